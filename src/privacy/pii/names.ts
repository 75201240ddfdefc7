/**
 * Person names, only after an explicit cue, and kept conservative: capitalised tokens (particles
 * such as "van" or "de" allowed between them), none of them a common word. Strong cues ("my name
 * is", "Name:", "Mr") take up to four tokens as they are, in Title Case or ALL CAPS, and lowercase
 * ones when the writer is not capitalising. The other cues ("I'm", "this is … from", "Hi, this is …", a sign-off, a
 * bare "name" field, "my daughter", "my maiden name,") also need what follows to look like the end
 * of a name.
 */
import { COMMON_WORDS, NOT_NAMES } from "./name-words";
import { piiMatch, type PiiMatch } from "./types";

/** A capitalised token ("Anne-Marie", "O'Brien", "McDonald") or an initial ("J."). */
const TITLE_TOKEN = /(?:\p{Lu}\.(?=[ \t]+\p{Lu})|\p{Lu}[\p{Ll}'’-]*(?:\p{Lu}\p{Ll}+)?(?![\p{L}\p{N}]))/uy;
/** An ALL-CAPS token of two letters or more ("ZHANG", "O'NEILL", "JEAN-PAUL"). */
const CAPS_TOKEN = /\p{Lu}(?:['’-]?\p{Lu})+(?![\p{L}\p{N}])/uy;
/** A lowercase token of two letters or more ("chen", "o'neill"). */
const LOWER_TOKEN = /\p{Ll}(?:['’-]?\p{Ll})+(?![\p{L}\p{N}])/uy;
const GAP = /[ \t]+(?:(?:van|von|der|den|de|da|di|du|del|della|la|le|bin|ibn|al)[ \t]+){0,2}/uy;

/** What may follow a name in running text: punctuation, the end, or a word that ends an introduction. */
const SENTENCE_END = /^(?:$|[ \t]*[,.!?;:)\n]|[ \t]+(?:and|from|here|calling|writing|speaking|with)(?![\p{L}]))/u;
/** The end of a name set off by commas ("my husband, David Okafor, is …"): the closing comma or a full stop. */
const APPOSITIVE_END = /^[ \t]*(?:$|[,.!?;:)\n])/u;
/** A lowercase writer also runs on without punctuation: "my name is kevin murphy i need …". */
const LOWERCASE_END = /^(?:$|[ \t]*[,.!?;:)\n]|[ \t]+(?:and|from|here|i|im|i['’]m|my|please|pls|hi|thanks)(?![\p{L}]))/u;

interface Cue {
  /** The cue phrase, matched case-insensitively unless the pattern says otherwise. */
  re: RegExp;
  /** Fewest and most name tokens after this cue. */
  min: number;
  max: number;
  /** ALL-CAPS tokens ("Name on card: WEI ZHANG") are accepted. */
  caps: boolean;
  /** Lowercase tokens are accepted when the writer has capitalised nothing in the sentence so far. */
  lower: boolean;
  /** What must follow the name, if anything. */
  end?: RegExp;
  /** "I'm Reading …": a weak cue followed by a gerund is a verb phrase, not a name. */
  notGerund?: boolean;
}

const strong = (re: RegExp): Cue => ({ re, min: 1, max: 4, caps: true, lower: true });

/** Family members customers name when asking for a card or a transfer for them. */
const RELATIVE =
  "husband|wife|partner|spouse|fianc[eé]e?|boyfriend|girlfriend|son|daughter|stepson|stepdaughter|child|mother|mum|mom|father|dad|" +
  "brother|sister|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|aunt|uncle|niece|nephew|cousin";
const RELATION = `(?<![\\p{L}])(?:my|our)[ \\t]+(?:(?:eldest|oldest|youngest|elder|older|younger|little|baby|twin|late)[ \\t]+)?(?:${RELATIVE})`;
/** The kinds of name a customer says is theirs: "my maiden name", "my surname". */
const NAME_KIND = "(?:(?:full|first|last|legal|maiden|married|middle|birth|family|given|real|former|previous|old|new)[ \\t]+)?(?:sur)?name";

const CUES: readonly Cue[] = [
  strong(
    new RegExp(
      `(?<![\\p{L}])(?:my ${NAME_KIND} is(?: now| actually)?|my name['’]s|(?:his|her|their|the (?:account|card|cardholder|account holder)(?:['’]s)?) (?:full )?name is|name on (?:the |my )?(?:card|account)(?: is|[ \\t]*:)|under the name(?: of)?|i am called|je m['’]appelle|ich hei(?:ß|ss)e|mein name ist|me llamo|mi chiamo)[ \\t]+`,
      "giu",
    ),
  ),
  strong(
    /(?<![\p{L}])(?<!(?:file|user|host|product|company|business|display|domain|device|network|brand|store|shop|model|event|project|team|plan|package|wifi|field|app|bank|merchant|pet|dog|cat|street|city|town|country) )(?:(?:full|first|last|legal|customer|contact|sender|recipient|account holder|cardholder|card holder|beneficiary)[ \t])?name[ \t]*:[ \t]*/giu,
  ),
  strong(/(?<![\p{L}])(?:account holder|cardholder|card holder|beneficiary)[ \t]*:[ \t]*/giu),
  strong(/(?<![\p{L}])(?:Mr|Mrs|Ms|Miss|Mx|Mme|Herr|Frau)\.?[ \t]+/gu),
  // A details list without colons: "For verification: name Laura Chen, born …". Two tokens at
  // least, since "name" alone after a comma is as often a verb ("…, name X as beneficiary").
  { re: /(?:^|[:;,(\n][ \t]*)(?:(?:full|first|last|legal)[ \t]+)?name[ \t]+/giu, min: 2, max: 4, caps: true, lower: false, end: SENTENCE_END },
  // "My daughter Chloe needs …", "my son Lukas but …": a capitalised word straight after a
  // relative is the relative's name.
  { re: new RegExp(`${RELATION}[ \\t]+`, "giu"), min: 1, max: 3, caps: false, lower: false },
  // "My husband, David Okafor, is …", "my maiden name, Kowalski, not …": set off by commas.
  { re: new RegExp(`${RELATION}[ \\t]*,[ \\t]*`, "giu"), min: 1, max: 3, caps: false, lower: false, end: APPOSITIVE_END },
  { re: new RegExp(`(?<![\\p{L}])(?:my|his|her|their)[ \\t]+${NAME_KIND}[ \\t]*,[ \\t]*`, "giu"), min: 1, max: 4, caps: true, lower: false, end: APPOSITIVE_END },
  { re: /(?<![\p{L}])(?:i['’]m|i am)[ \t]+/giu, min: 1, max: 3, caps: false, lower: false, end: SENTENCE_END, notGerund: true },
  // Not "calling": customers quote scam calls that open with "this is Amazon calling".
  { re: /(?<![\p{L}])this is[ \t]+/giu, min: 1, max: 3, caps: false, lower: false, end: /^[ \t]*,?[ \t]+(?:from|here|speaking)(?![\p{L}])/u },
  // A greeting, then who writes: "Hi, this is Jo Baker. Can you …". The name ends its sentence.
  {
    re: /(?:^|[\n.!?:][ \t]*)(?:hi|hello|hey|dear [\p{L}]+|good (?:morning|afternoon|evening))[ \t]*[,!.]?[ \t]*this is[ \t]+/giu,
    min: 1,
    max: 3,
    caps: false,
    lower: false,
    end: /^[ \t]*[,.!;\n]/u,
  },
  {
    re: /(?:^|[\n.!?][ \t]*)(?:signed|regards|kind regards|best regards|warm regards|many thanks|thanks|thank you|sincerely|yours sincerely|yours faithfully|yours truly|cheers|best wishes|best)[ \t]*[,!.-]?\s{0,4}/giu,
    min: 1,
    max: 3,
    caps: false,
    lower: false,
    end: /^[ \t]*[.!]?[ \t]*(?:$|\n)/u,
  },
];

type Case = "title" | "lower";

/** A token is a common word if it is one in any case: "And", "AND" and "and" alike. */
function isCommonWord(token: string): boolean {
  const plain = token.replace(/[’]/g, "'");
  const lower = plain.toLowerCase();
  const title = lower[0]!.toUpperCase() + lower.slice(1);
  if (NOT_NAMES.has(plain) || NOT_NAMES.has(title)) return true;
  return plain !== title && COMMON_WORDS.has(lower);
}

function tokenAt(text: string, at: number, letterCase: Case, caps: boolean): string | undefined {
  // ALL CAPS first: "O'NEILL" would otherwise be the initial "O".
  const patterns = letterCase === "lower" ? [LOWER_TOKEN] : caps ? [CAPS_TOKEN, TITLE_TOKEN] : [TITLE_TOKEN];
  for (const pattern of patterns) {
    pattern.lastIndex = at;
    const token = pattern.exec(text)?.[0];
    if (token) return token;
  }
  return undefined;
}

/** The end of `min` to `max` name tokens at `start`, or -1. */
function nameEnd(text: string, start: number, cue: Cue, letterCase: Case): number {
  let end = -1;
  let count = 0;
  let at = start;
  while (count < cue.max) {
    const token = tokenAt(text, at, letterCase, cue.caps);
    if (!token || isCommonWord(token)) break;
    count++;
    if (!token.endsWith(".")) end = at + token.length;
    GAP.lastIndex = at + token.length;
    if (!GAP.exec(text)) break;
    at = GAP.lastIndex;
  }
  return count >= cue.min ? end : -1;
}

/**
 * Whether the sentence holding the cue has no capital letter up to the name ("hi my name is
 * james o'neill"): a writer who capitalises neither the sentence nor "I" writes names in lowercase
 * too, while "My name is wrong on my card" shows a writer who would have capitalised a name.
 */
function writtenInLowercase(text: string, cueStart: number, nameStart: number): boolean {
  // At most 200 characters back, so a text of repeated cues without a full stop stays linear.
  const sentence = text.slice(Math.max(0, cueStart - 200), nameStart).split(/[.!?\n]/).pop()!;
  return !/\p{Lu}/u.test(sentence);
}

export function detectPersonNames(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  for (const cue of CUES) {
    for (const m of text.matchAll(cue.re)) {
      const start = m.index + m[0].length;
      let end = nameEnd(text, start, cue, "title");
      let endRule = cue.end;
      if (end < 0 && cue.lower && writtenInLowercase(text, m.index, start)) {
        end = nameEnd(text, start, cue, "lower");
        endRule = LOWERCASE_END;
      }
      if (end < 0) continue;
      if (endRule && !endRule.test(text.slice(end, end + 16))) continue;
      if (cue.notGerund && /ing$/.test(text.slice(start, end).split(/\s/)[0]!)) continue;
      found.push(piiMatch("person_name", text, start, end));
    }
  }
  return found;
}
