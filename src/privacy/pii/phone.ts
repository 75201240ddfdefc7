/**
 * Phone numbers. A number run is scanned once, then judged by its shape: international (`+` or
 * `00`), North American (NANP), an area code in brackets, or a national number with a trunk `0`.
 * Any other digit run of 7–15 digits is a phone only when a phone cue ("call", "mobile", "tel")
 * is nearer than a reference cue ("order", "invoice", "tracking"): that is what keeps order
 * numbers, amounts, years, times and dates out.
 */
import { nearerCue, piiMatch, type PiiMatch } from "./types";

/**
 * A digit run with single separators between groups: a space, dot or dash, a bracket with an
 * optional separator, or a separator before a bracket. Alternatives start with distinct
 * characters and nothing follows the final `*`, so the scan never backtracks.
 */
const NUMBER_RUN = /(?<![\p{L}\p{N}_.,/-])(?:\(?\+|\()?\d(?:\d|\)[ .\-\u00a0]?(?=\d)|[ .\-\u00a0]\(?(?=\d)|\((?=\d))*/gu;

/** NANP: area code and exchange start 2–9 (N11 codes aside), an optional leading 1. */
const NANP = /^(?:\+?1[ .\-\u00a0]?)?(?:\([2-9]\d{2}\)|[2-9]\d{2})[ .\-\u00a0]?[2-9]\d{2}[ .\-\u00a0]\d{4}$/;
const DATE_SHAPE = /^(?:\d{4}[-. ]\d{1,2}[-. ]\d{1,2}|\d{1,2}[-. ]\d{1,2}[-. ]\d{2,4})$/;
const IPV4_SHAPE = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const DECIMAL_SHAPE = /^\d+\.\d+$/;

const PHONE_CUE =
  /(?<![\p{L}])(?:phone|phones|tel|telephone|mobile|cell|cellphone|call|called|calling|ring|text|sms|whatsapp|fax|landline|reach me|contact me|number to call|my number|my new number|my old number|my number's|handy|téléphone|portable|tél)(?![\p{L}])/gu;
const REFERENCE_CUE =
  /(?<![\p{L}])(?:order|invoice|ticket|case|ref|reference|tracking|transaction|txn|confirmation|booking|reservation|account|acct|iban|routing|sort code|serial|sku|item|parcel|shipment|policy|member|membership|customer id|customer number|id|zip|postcode|postal code|amount|balance|total|version|build|no\.)(?![\p{L}])/gu;

type Cue = "phone" | "reference" | "none";

/** The nearer of a phone cue and a reference cue within 40 characters before `start`. */
function nearestCue(text: string, start: number): Cue {
  const nearer = nearerCue(text, start, PHONE_CUE, REFERENCE_CUE);
  return nearer === "none" ? "none" : nearer === "cue" ? "phone" : "reference";
}

function isPhone(text: string, start: number, raw: string): boolean {
  const digits = raw.replace(/\D/g, "");
  if (digits.length < 7 || digits.length > 15) return false;
  // "#12345678", "$1 234 567", "12345678kg", "12345678%", and runs continuing as a time or a date.
  if (/[#$€£¥№]\s?$/.test(text.slice(Math.max(0, start - 2), start))) return false;
  if (/^(?:\s?%|[\p{L}_]|[:/]\d)/u.test(text.slice(start + raw.length, start + raw.length + 2))) return false;
  if (DATE_SHAPE.test(raw) || IPV4_SHAPE.test(raw) || DECIMAL_SHAPE.test(raw)) return false;

  // A "+" is written only before a country code; "00" is also how order numbers start.
  if (/^\(?\+/.test(raw)) return digits.length >= 8;
  const cue = nearestCue(text, start);
  if (cue === "reference") return false;
  if (/^00[1-9]/.test(digits) && /\D/.test(raw)) return digits.length >= 10;
  if (NANP.test(raw)) return true;
  if (/\(\d{2,5}\)/.test(raw)) return digits.length >= 8;
  // A national number with its trunk prefix: "020 7946 0958", "030 1234567", "06 12 34 56 78".
  if (digits[0] === "0" && digits[1] !== "0" && digits.length >= 9 && digits.length <= 12) return true;
  return cue === "phone";
}

export function detectPhones(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  for (const m of text.matchAll(NUMBER_RUN)) {
    // A leading bracket belongs to the number only around an area code or before a country code.
    const start = /^\((?!\+|\d+\))/.test(m[0]) ? m.index + 1 : m.index;
    // The run may end on a separator or bracket that opened nothing.
    const end = m.index + m[0].replace(/\D+$/, "").length;
    if (isPhone(text, start, text.slice(start, end))) found.push(piiMatch("phone", text, start, end));
  }
  return found;
}
