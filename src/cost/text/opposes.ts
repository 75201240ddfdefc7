/**
 * The near-opposite guard of the similarity cache: embeddings put "how do I enable 2FA" and "how
 * do I disable 2FA" close together, yet one answer is wrong for the other. The guard looks for the
 * small differences that flip an answer; it errs towards firing, since a miss costs a model call
 * and a false hit costs a wrong answer.
 */
import { normalizeText } from "./normalize";
import {
  CURRENCIES,
  FALSE_PREFIXED,
  NEGATING_PREFIXES,
  OPPOSITE_VERBS,
  OPPOSITE_WORDS,
  PLACES,
} from "./opposite-words";
import { STOPWORDS, wordTokens } from "./tokens";

const NEGATIONS = new Set(["not", "no", "never", "nobody", "nothing", "none", "nowhere", "neither", "nor", "without"]);
/** Negated hedges about the customer's own knowledge ("I don't know why", "not sure if") negate nothing that is asked. */
const HEDGES = / (?:do|does|did) not (?:know|understand|see) (?:why|what|how|where|when|if|whether) | not sure | no idea /g;

/** The regular inflections and -al/-ion nouns of a verb: enable → enabled, enabling; deny → denied; withdraw → withdrawal. */
function inflect(base: string): string[] {
  const stem = base.endsWith("e") ? base.slice(0, -1) : base;
  const doubled = base + base.slice(-1); // stop → stopped
  const y = /[^aeiou]y$/.test(base) ? [`${base.slice(0, -1)}ied`, `${base.slice(0, -1)}ies`] : [];
  const suffixed = ["s", "es", "ed", "ing", "al", "als", "ion", "ions"].map((s) => (s === "s" || s === "es" ? base : stem) + s);
  // Over-generation ("lockked", "addion") is harmless: only forms that occur in a message matter.
  return [base, ...suffixed, `${doubled}ed`, `${doubled}ing`, ...y];
}

/** A phrase's forms; a verb phrase inflects its first word ("top up" → "topped up"). */
function phraseForms(phrase: string, isVerb: boolean): string[] {
  const [head = "", ...rest] = wordTokens(phrase);
  const heads = isVerb ? inflect(head) : [head];
  return heads.map((h) => [h, ...rest].join(" "));
}

type Side = { label: string; forms: string[] };

function side(list: string, isVerb: boolean): Side {
  const phrases = list.split("|").map((p) => p.trim());
  const forms = phrases.flatMap((p) => phraseForms(p, isVerb));
  return { label: phrases[0] ?? "", forms: [...new Set(forms)] };
}

const PAIRS: ReadonlyArray<readonly [Side, Side]> = [
  ...OPPOSITE_VERBS.map(([a, b]) => [side(a, true), side(b, true)] as const),
  ...OPPOSITE_WORDS.map(([a, b]) => [side(a, false), side(b, false)] as const),
];

/** Tokens as one space-padded string, so a phrase is found with `includes(" top up ")`. */
function padded(tokens: readonly string[]): string {
  return ` ${tokens.join(" ")} `;
}

function has(text: string, s: Side): boolean {
  return s.forms.some((f) => text.includes(` ${f} `));
}

/** Whole-word phrases (and symbols) naming an entity, longest first, so "swiss franc" is read before "swiss". */
const ENTITY_FORMS: ReadonlyArray<{ words: string; id: string }> = Object.entries({ ...CURRENCIES, ...PLACES })
  .flatMap(([id, list]) => list.split("|").map((f) => ({ words: wordTokens(f).join(" ") || f.trim(), id })))
  .sort((a, b) => b.words.length - a.words.length);

/** "US" as a country: in capitals, not the "US" of "US dollars", in a text that is not all capitals. */
const US = /\bU\.?S\b(?!\.?\s*(?:dollars?\b|\$))/;

/** The currencies and places a text names. */
function entities(raw: string, tokens: readonly string[]): Set<string> {
  const normalized = normalizeText(raw);
  let rest = padded(tokens);
  const found = new Set<string>();
  for (const { words, id } of ENTITY_FORMS) {
    const isSymbol = !/[\p{L}\p{N}]/u.test(words);
    if (isSymbol ? normalized.includes(words) : rest.includes(` ${words} `)) {
      found.add(id);
      rest = rest.split(` ${words} `).join("  ");
    }
  }
  if (US.test(raw) && /\p{Ll}/u.test(raw)) found.add("US");
  if (/\bu\.k\b/.test(normalized)) found.add("GB");
  return found;
}

/** Units a number may carry in one token ("24h", "10k", "3rd"); "2fa" and "3ds" are names, not numbers. */
const NUMBER = /^(\d+(?:[.,]\d+)*)(?:k|m|h|hr|hrs|d|pm|am|st|nd|rd|th|x|s|min|mins|yr|yrs)?$/;

/** A number's value as text: "1,000" and "1000" and "1000.00" are "1000"; "2,5" is "2.5". */
function numberValue(token: string): string | null {
  const digits = NUMBER.exec(token)?.[1];
  if (digits === undefined) return null;
  const plain = /^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(digits) ? digits.replace(/,/g, "") : digits.replace(",", ".");
  const value = Number(plain);
  return Number.isFinite(value) ? String(value) : plain;
}

/** "non-refundable" is split by the tokenizer; glue "non" back to its word. */
function joinNon(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const next = tokens[i + 1];
    if (tokens[i] === "non" && next !== undefined) out.push(`non${tokens[++i]}`);
    else out.push(tokens[i] ?? "");
  }
  return out;
}

/** What the guard compares in one text. */
interface Reading {
  text: string;
  words: Set<string>;
  negations: string[];
  numbers: Set<string>;
  entities: Set<string>;
}

function read(raw: string): Reading {
  const tokens = joinNon(wordTokens(raw));
  return {
    text: padded(tokens),
    words: new Set(tokens),
    negations: padded(tokens).replace(HEDGES, "  ").split(" ").filter((t) => NEGATIONS.has(t)),
    numbers: new Set(tokens.map(numberValue).filter((n): n is string => n !== null)),
    entities: entities(raw, tokens),
  };
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
const listed = (s: Set<string>) => (s.size === 0 ? "none" : [...s].sort().join(", "));

function oppositeWords(a: Reading, b: Reading): string | null {
  for (const [x, y] of PAIRS) {
    const ax = has(a.text, x), ay = has(a.text, y), bx = has(b.text, x), by = has(b.text, y);
    if (ax && !bx && by && !ay) return `opposite words: "${x.label}" / "${y.label}"`;
    if (ay && !by && bx && !ax) return `opposite words: "${y.label}" / "${x.label}"`;
  }
  return null;
}

/** A word in one text whose prefixed negation ("unverified") is in the other and not the first. */
function negatedByPrefix(a: Reading, b: Reading): string | null {
  for (const word of a.words) {
    if (word.length < 4 || STOPWORDS.has(word) || b.words.has(word)) continue;
    for (const prefix of NEGATING_PREFIXES) {
      const negated = prefix + word;
      if (b.words.has(negated) && !a.words.has(negated) && !FALSE_PREFIXED.has(negated)) {
        return `opposite words: "${word}" / "${negated}"`;
      }
    }
  }
  return null;
}

/**
 * Why two texts that embed close together may still need different answers, or `null` when the
 * guard sees no reason. Fires on: a negation in one text only ("not", "no", "never", "n't",
 * "cannot", "without", "nobody"…); opposite words across the texts (enable/disable, top up/withdraw,
 * on/off, cheapest/most expensive…, with inflections); a word in one and its un-/dis-/de-/in-/non-
 * form in the other; different sets of numbers ("100" vs "1000"; "1,000" equals "1000"); different
 * currencies or places (EUR vs USD, "UK" vs "US"). Symmetric in its arguments, and `null` for a
 * text against itself. Number words ("two") are not read as numbers, so "2FA" and "two factor"
 * do not differ.
 *
 * @example
 * opposesMeaning("How do I enable 2FA?", "How do I disable 2FA?");        // 'opposite words: "enable" / "disable"'
 * opposesMeaning("Can I cancel my order?", "Can't I cancel my order?");  // 'negation in one text only: "not"'
 * opposesMeaning("what is the exchange rate", "what's the exchange rate"); // null
 */
export function opposesMeaning(a: string, b: string): string | null {
  const ra = read(a), rb = read(b);
  if ((ra.negations.length > 0) !== (rb.negations.length > 0)) {
    return `negation in one text only: "${[...ra.negations, ...rb.negations][0]}"`;
  }
  const reason = oppositeWords(ra, rb) ?? negatedByPrefix(ra, rb) ?? negatedByPrefix(rb, ra);
  if (reason) return reason;
  if (!sameSet(ra.numbers, rb.numbers)) return `different numbers: ${listed(ra.numbers)} / ${listed(rb.numbers)}`;
  if (!sameSet(ra.entities, rb.entities)) {
    return `different currencies or places: ${listed(ra.entities)} / ${listed(rb.entities)}`;
  }
  return null;
}
