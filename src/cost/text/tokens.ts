/** Word tokens shared by the intent matcher, the follow-up detector and the near-opposite guard. */
import { normalizeText } from "./normalize";

/** Contractions written without the apostrophe, as customers type them ("cant", "doesnt"). */
const BARE_NEGATIVES: Record<string, string> = {
  cant: "can not",
  dont: "do not",
  doesnt: "does not",
  didnt: "did not",
  isnt: "is not",
  arent: "are not",
  wasnt: "was not",
  werent: "were not",
  havent: "have not",
  hasnt: "has not",
  hadnt: "had not",
  couldnt: "could not",
  wouldnt: "would not",
  shouldnt: "should not",
  wont: "will not",
  aint: "is not",
};

/** Words whose `'s` is "is" ("what's", "it's"); after any other word `'s` is a possessive. */
const IS_CONTRACTIONS = new Set(["it", "that", "this", "what", "where", "when", "who", "how", "there", "here", "he", "she", "why"]);

/**
 * English contractions spelled out, so "can't" and "cannot" and "cant" all read "can not" and
 * "what's" reads "what is". Expects normalized (lower-case, straight-apostrophe) text.
 *
 * @example
 * expandContractions("i can't see what's wrong with my card's pin"); // "i can not see what is wrong with my card pin"
 */
export function expandContractions(text: string): string {
  return text
    .replace(/\bcannot\b/g, "can not")
    .replace(/\b(won|shan|ain|can)'t\b/g, (_, w: string) => `${{ won: "will", shan: "shall", ain: "is", can: "can" }[w]} not`)
    .replace(/\b([a-z]+)n't\b/g, "$1 not")
    .replace(/\b[a-z]+\b/g, (w) => BARE_NEGATIVES[w] ?? w)
    .replace(/\blet's\b/g, "let us")
    .replace(/\b([a-z]+)'(re|m|ve|ll|d)\b/g, (_, w: string, c: string) => `${w} ${{ re: "are", m: "am", ve: "have", ll: "will", d: "would" }[c]}`)
    .replace(/\b([a-z]+)'s\b/g, (_, w: string) => (IS_CONTRACTIONS.has(w) ? `${w} is` : w));
}

/** A word, or a number with its decimal or thousands separators ("2.5", "1,000"); apostrophes stay inside words ("o'clock"). */
const WORD = /[\p{L}\p{M}\p{N}]+(?:(?:'(?=\p{L})|(?<=\p{N})[.,](?=\p{N}))[\p{L}\p{M}\p{N}]+)*/gu;

/**
 * Every word of a message, normalized, with contractions spelled out and punctuation, emoji and
 * hyphens dropped ("top-up" is "top", "up").
 *
 * @example
 * wordTokens("Why can't I top-up €2.50?"); // ["why", "can", "not", "i", "top", "up", "2.50"]
 */
export function wordTokens(text: string): string[] {
  return expandContractions(normalizeText(text)).match(WORD) ?? [];
}

/** A small English stopword list: function words, pronouns, auxiliaries, politeness. Negations are here too; the guard checks them separately. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  `a an the and or but if then else so than too very just also only even still yet
   i me my mine myself we us our ours you your yours he him his she her hers it its they them their theirs
   this that these those what which who whom whose when where why how there here
   is am are was were be been being do does did doing done have has had having
   will would can could shall should may might must not no nor
   to of in on at by for with from about as into onto over under up down out off again
   before after during while because until
   all any both each few more most other some such own same
   please ok okay hi hey hello thanks thank yes yeah`.split(/\s+/),
);

/**
 * The words of a message that carry its topic: lower-cased word tokens without stopwords, in order.
 * Numbers are kept.
 *
 * @example
 * contentTokens("How do I reset my PIN after 3 tries?"); // ["reset", "pin", "3", "tries"]
 */
export function contentTokens(text: string): string[] {
  return wordTokens(text).filter((w) => !STOPWORDS.has(w));
}
