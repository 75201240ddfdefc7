/**
 * Follow-up detection: a message that leans on earlier turns ("how old is she?", "and them?")
 * must never be answered from, or stored into, a cache shared across conversations.
 */
import { matchIntent } from "./intents";
import { normalizeText } from "./normalize";
import { STOPWORDS, wordTokens } from "./tokens";

const words = (list: string) => new Set(list.trim().split(/\s+/));

/** Openers that continue an earlier turn. Checked after leading interjections ("ok so what about…"). */
const CONTINUATION = /^(?:and|also|plus|but|or|then|what about|how about|same for|same with|same goes|same thing|same question|as well)\b/;
/** Interjections dropped before looking at how a message opens. */
const INTERJECTION = /^(?:(?:ok|okay|so|well|hmm+|um+|uh+|oh|ah|alright|right|great|cool|fine)\b[\s,]*)+/;
/** Replies to a question the assistant asked. */
const ANSWER_OPENER = /^(?:yes|yeah|yep|yup|nope|nah|sure|correct|exactly|indeed)\b/;

/** Pointers back into the conversation. "Earlier" alone is common in standalone messages ("a transfer earlier") and is not one. */
const REFERENCE = new RegExp(
  [
    String.raw`\bthe (?:above|previous|last|earlier|first|second|other|same) (?:one|message|question|answer|reply|response|option|link)s?\b`,
    String.raw`\b(?:my|your) (?:previous|last|earlier|first) (?:message|question|answer|reply|response)s?\b`,
    String.raw`\bthe above\b`,
    String.raw`\b(?:as|like) (?:i|you) (?:said|mentioned|wrote|asked|explained|suggested)\b`,
    String.raw`\bwhat you (?:said|mentioned|wrote|explained|suggested)\b`,
    String.raw`\byou (?:just )?(?:said|mentioned|told me|wrote|suggested|recommended)\b`,
    String.raw`\b(?:this|that|the other|the same|another) ones?\b`,
    String.raw`\bthe [a-z]+ one\b$`,
  ].join("|"),
);

/** People a he/she can point back to inside the same message ("my friend … she has not received it"). */
const PERSON_NOUNS = words(`
  friend friends son daughter child children kid kids wife husband partner spouse mother mom mum father dad
  parent parents brother sister boyfriend girlfriend family landlord landlady tenant roommate flatmate
  colleague boss employer employee merchant seller vendor shop store company recipient receiver payee
  sender beneficiary person someone somebody man woman guy girl boy customer user agent teenager grandson granddaughter
`);
const PERSON_PRONOUNS = words("he him his she her hers himself herself");
const THING_PRONOUNS = words("it its this that these those they them their");
const DEMONSTRATIVES = words("this that these those");

/**
 * Words that do not name a topic on their own: question words, answers, times, days, colours,
 * comparatives, currencies and the generic verbs of a request. A short message made of these
 * ("sunday?", "why?", "the blue one", "how much?", "100 euros") only makes sense after another turn.
 */
const NON_TOPIC = words(`
  why how what when where which who whom whose really
  yes yeah yep yup no nope nah sure fine correct right exactly maybe perhaps indeed true false
  now today tonight tomorrow yesterday later soon earlier before after next last first second third
  morning afternoon evening night week weekend month year time times day days hour hours minute minutes
  monday tuesday wednesday thursday friday saturday sunday
  red blue green black white yellow grey gray gold silver pink purple orange
  cheaper cheapest bigger biggest smaller smallest better best worse worst faster fastest slower more less much many one ones other another else
  euro euros dollar dollars pound pounds usd eur gbp
  do did does done make get got go want need like know mean think help tell try work happen happened please thing things stuff way
  ok okay
`);

/** A pronoun makes a message a follow-up when the message names at most this many topic words. */
const MAX_TOPICS_WITH_PRONOUN = 1;

/** The words that could name what a message is about. */
function topicWords(tokens: readonly string[]): string[] {
  return tokens.filter((w) => !STOPWORDS.has(w) && !NON_TOPIC.has(w) && !/^\d/.test(w));
}

/** it/this/that/they/them standing for something; "this card" or "that morning" names its own noun. */
function hasThingPronoun(tokens: readonly string[]): boolean {
  return tokens.some((w, i) => THING_PRONOUNS.has(w) && !(DEMONSTRATIVES.has(w) && !STOPWORDS.has(tokens[i + 1] ?? "the")));
}

/** "He" or "she" with no person named earlier in the same message. */
function hasDanglingPerson(tokens: readonly string[]): boolean {
  const first = tokens.findIndex((w) => PERSON_PRONOUNS.has(w));
  return first !== -1 && !tokens.slice(0, first).some((w) => PERSON_NOUNS.has(w));
}

/**
 * Whether a message depends on earlier turns, so that a cached answer to it in one conversation
 * could be wrong in another. True for:
 * - continuations: "and them?", "what about it?", "also the fees", "but why?", "same for Spain";
 * - answers to the assistant: "yes", "sure, go ahead", "nope";
 * - references back: "the above", "as I said", "my previous message", "you said", "this one";
 * - "he"/"she" with no person named before it in the message ("how old is she?");
 * - it/this/that/they/them when the message names at most one topic word of its own
 *   ("can you change that?", "Why was I charged for this?"): with nothing else to go on the pronoun
 *   is the topic, and the answer depends on what it points at. A message that names two or more
 *   ("I topped up my card but it was declined") carries its own context, so "it" in it is not a follow-up;
 * - very short fragments with no topic word ("sunday?", "why?", "the blue one", "ok do it", "👍").
 * Standalone questions ("How do I reset my password?", "My card hasn't arrived yet") are not.
 *
 * @example
 * isFollowUp("how old is she?");              // true
 * isFollowUp("and them?");                    // true
 * isFollowUp("How do I reset my password?");  // false
 */
export function isFollowUp(text: string): boolean {
  const normalized = normalizeText(text);
  const tokens = wordTokens(normalized);
  if (tokens.length === 0) return normalized !== ""; // a bare reaction ("👍", "?") answers something
  if (matchIntent(text) !== null) return false; // "hello there" is a whole message, not a fragment
  const phrase = tokens.join(" ");
  const opening = phrase.replace(INTERJECTION, "");
  if (opening === "" || CONTINUATION.test(opening) || ANSWER_OPENER.test(opening)) return true;
  if (REFERENCE.test(phrase) || hasDanglingPerson(tokens)) return true;
  const topics = topicWords(tokens);
  if (topics.length <= MAX_TOPICS_WITH_PRONOUN && hasThingPronoun(tokens)) return true;
  return tokens.length <= 3 && topics.length === 0;
}
