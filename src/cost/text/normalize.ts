/**
 * The exact-cache key form of a message, and the word tokens the other text functions share.
 * Pure and synchronous: safe in any Worker, Durable Object or script.
 */

/** Characters that render as nothing and only make equal messages differ. ZWJ and ZWNJ stay: emoji and some scripts need them. */
const INVISIBLE = /[\u00ad\u200b\u2060\ufeff]/g;
const SINGLE_QUOTES = /[\u2018\u2019\u201a\u201b\u2032\u2035\u0060\u00b4\u02bc]/g;
const DOUBLE_QUOTES = /[\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb]/g;

/**
 * Decoration at either end: punctuation, symbols (emoji are symbols), separators, emoji joiners
 * and variation selectors. Currency signs, `%` and `‰` are kept: "$100" and "50%" mean something
 * "100" and "50" do not. Combining marks are not stripped in general, since Devanagari or Thai
 * words end in them.
 */
const DECOR = String.raw`(?:(?![\p{Sc}%‰])[\p{P}\p{S}\p{Z}\s\u200d\ufe0e\ufe0f\u20e3])`;
/** A sign or decimal point directly before a digit starts a number ("-5", ".5", "+44"), so it stays. */
const LEADING = new RegExp(String.raw`^(?:(?![-+.]\d)${DECOR})+`, "u");
const TRAILING = new RegExp(String.raw`${DECOR}+$`, "u");

/** NFKC, then lower case; NFKC again because lowering can leave a compatibility form behind. */
function foldCase(text: string): string {
  return text.normalize("NFKC").toLowerCase().normalize("NFKC");
}

/**
 * The form two messages share when a cached answer to one is the answer to the other: Unicode
 * NFKC, lower case, one space between words, curly quotes and apostrophes made straight, leading
 * and trailing punctuation and emoji removed, `!!!`/`?!` runs shortened. Inner punctuation stays,
 * because it can change the meaning ("2.5" vs "25", "can't" vs "cant"). A message that is nothing
 * but decoration ("👍", "?") keeps its decoration, so "👍" and "👎" do not share a key.
 * Idempotent: `normalizeText(normalizeText(x)) === normalizeText(x)`.
 *
 * @example
 * normalizeText("  Hello   THERE!! 👋 ");    // "hello there"
 * normalizeText("What’s the fee for 2.5 €?"); // "what's the fee for 2.5 €"
 * normalizeText("👍");                         // "👍"
 */
export function normalizeText(text: string): string {
  const spaced = foldCase(text)
    .replace(INVISIBLE, "")
    .replace(SINGLE_QUOTES, "'")
    .replace(DOUBLE_QUOTES, '"')
    .replace(/\s+/gu, " ")
    .replace(/ +(?=[,!?;:])/g, "")
    .replace(/([!?])[!?]+/g, "$1");
  const stripped = spaced.replace(LEADING, "").replace(TRAILING, "");
  return stripped === "" ? spaced.trim() : stripped;
}
