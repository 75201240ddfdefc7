/**
 * Detectors for the entities with a fixed grammar: email, card, US SSN, IBAN and IP (phones: phone.ts).
 *
 * Every pattern is linear in practice: quantifiers are bounded or followed by nothing that can
 * fail, and each start position is guarded by a look-behind so a long run is tried once, not at
 * every offset (see the pathological-input tests).
 */
import { ibanValid, IBAN_LENGTHS, ipv4Valid, ipv6Valid, luhnValid } from "./checksums";
import { lookBehind, nearerCue, piiMatch, type PiiMatch } from "./types";

/** RFC 5321 sizes: a local part of at most 64 octets, labels of at most 63. A bare `@handle` has no local part. */
const EMAIL =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}_%+-][\p{L}\p{N}._%+-]{0,63}@[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![\p{L}\p{N}_-])/gu;

export function detectEmails(text: string): PiiMatch[] {
  return [...text.matchAll(EMAIL)].map((m) => piiMatch("email", text, m.index, m.index + m[0].length));
}

/**
 * 13–19 digits, optionally grouped by single spaces or dashes, that make up the whole run (a
 * 22-digit tracking number does not contain a card). Accepted when Luhn-valid and the first digit
 * is a payment-card major industry identifier (ISO/IEC 7812: 2–6 cover Mastercard, Amex, Diners,
 * JCB, Visa, Maestro, Discover and UnionPay), unless a reference cue is nearer than a card cue.
 */
const CARD = /(?<![\p{L}\p{N}_+.#$€£-]|\d[ -])\d(?:[ -]?\d){12,18}(?![\p{L}\p{N}_]|[ -]\d|[.,]\d)/gu;
const CARD_CUE =
  /(?<![\p{L}])(?:card|cards|visa|mastercard|amex|american express|maestro|discover|diners|jcb|unionpay|debit|credit|pan|cc|paid|pay|payment|charged|karte|kreditkarte|tarjeta|carte)(?![\p{L}])/gu;
/**
 * Identifiers that are not card numbers. One number in ten passes Luhn, so a 13–19 digit reference
 * starting 2–6 is a "card" one time in ten ("merchant ID 4929 0000 0000 6"). "Account" and "number"
 * are left out on purpose: customers call their card number both.
 */
const NOT_CARD_CUE =
  /(?<![\p{L}])(?:merchant|terminal|order|invoice|ticket|case|ref|reference|tracking|transaction|txn|confirmation|booking|reservation|serial|sku|parcel|shipment|consignment|policy|imei|id|version|build)(?![\p{L}])/gu;

export function detectCards(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  for (const m of text.matchAll(CARD)) {
    const digits = m[0].replace(/\D/g, "");
    if (digits[0]! >= "2" && digits[0]! <= "6" && luhnValid(digits) && nearerCue(text, m.index, CARD_CUE, NOT_CARD_CUE) !== "counter") {
      found.push(piiMatch("card", text, m.index, m.index + m[0].length));
    }
  }
  return found;
}

/** `AAA-GG-SSSS` (dashes or spaces, used consistently); nine bare digits only after an SSN cue. */
const SSN = /(?<![\p{L}\p{N}_./-]|\d )(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\p{L}\p{N}_]|[-/.]\d| \d)/gu;
const SSN_CUE = /\b(?:ssn|ss#|social security(?: number| no\.?)?|soc\.? sec\.?)\W{0,12}$/;

/** Never-issued ranges (SSA): area 000, 666 and 900–999, group 00, serial 0000. */
function ssnIssuable(area: string, group: string, serial: string): boolean {
  return area !== "000" && area !== "666" && area[0] !== "9" && group !== "00" && serial !== "0000";
}

export function detectUsSsns(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  for (const m of text.matchAll(SSN)) {
    const [, area = "", separator, group = "", serial = ""] = m;
    if (!ssnIssuable(area, group, serial)) continue;
    if (!separator && !SSN_CUE.test(lookBehind(text, m.index, 40))) continue;
    found.push(piiMatch("us_ssn", text, m.index, m.index + m[0].length));
  }
  return found;
}

/** Country code and check digits, then the BBAN in any case, optionally in groups split by single spaces. */
const IBAN_START = /(?<![\p{L}\p{N}_])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){8,34}/gu;

export function detectIbans(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  IBAN_START.lastIndex = 0;
  for (let m = IBAN_START.exec(text); m; m = IBAN_START.exec(text)) {
    const length = IBAN_LENGTHS[m[0].slice(0, 2).toUpperCase()];
    const end = length ? endAfterAlphanumerics(text, m.index, length) : -1;
    if (end > 0 && ibanValid(text.slice(m.index, end).replace(/ /g, ""))) {
      found.push(piiMatch("iban", text, m.index, end));
      IBAN_START.lastIndex = end;
    } else {
      IBAN_START.lastIndex = m.index + 1;
    }
  }
  return found;
}

/** Where `count` alphanumerics (single spaces between allowed) starting at `start` end, if a word boundary follows. */
function endAfterAlphanumerics(text: string, start: number, count: number): number {
  let seen = 0;
  let i = start;
  while (i < text.length && seen < count) {
    if (/[A-Za-z0-9]/.test(text[i]!)) seen++;
    else if (text[i] !== " " || text[i - 1] === " ") return -1;
    i++;
  }
  return seen === count && !/[\p{L}\p{N}_]/u.test(text[i] ?? "") ? i : -1;
}

const IPV4 = /(?<![\p{L}\p{N}_.-])(?:\d{1,3}\.){3}\d{1,3}(?![\p{L}\p{N}_]|\.\d)/gu;
const IPV6 = /(?<![\p{L}\p{N}_:.])[0-9A-Fa-f:]{2,39}(?:\.\d{1,3}){0,3}/gu;
/** Four-part version numbers ("version 4.2.0.1") are not addresses. */
const VERSION_CUE = /\b(?:version|ver\.?|v|build|release|firmware|update|app)\s*$/;

export function detectIps(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  for (const m of text.matchAll(IPV4)) {
    if (ipv4Valid(m[0]) && !VERSION_CUE.test(lookBehind(text, m.index, 16))) {
      found.push(piiMatch("ip", text, m.index, m.index + m[0].length));
    }
  }
  for (const m of text.matchAll(IPV6)) {
    let candidate = m[0];
    if (candidate.endsWith(":") && !candidate.endsWith("::")) candidate = candidate.slice(0, -1);
    const end = m.index + candidate.length;
    if (/[\p{L}\p{N}_]/u.test(text[end] ?? "")) continue;
    if (candidate.split(":").length > 2 && ipv6Valid(candidate)) found.push(piiMatch("ip", text, m.index, end));
  }
  return found;
}
