/**
 * Check digits and address grammars: what turns a digit run into a card, an IBAN or an IP.
 */

/** Luhn (ISO/IEC 7812-1 annex B) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = digits.length - 1, double = false; i >= 0; i--, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * IBAN lengths by country (SWIFT IBAN Registry). A candidate is cut to its country's length
 * before the check, so "DE89 3704 0044 0532 0130 00 ASAP" does not swallow the next word.
 */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22,
  IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28, NL: 18,
  NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31,
  SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
};

/** ISO 13616 check: move the first four characters to the end, letters to 10–35, mod 97 must be 1. */
export function ibanValid(compact: string): boolean {
  const iban = compact.toUpperCase();
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48;
    remainder = (value > 9 ? remainder * 100 + value : remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

/** Dotted-quad IPv4, each octet 0–255. */
export function ipv4Valid(candidate: string): boolean {
  const octets = candidate.split(".");
  return octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/**
 * IPv6 text form (RFC 4291 §2.2): eight groups of 1–4 hex digits, at most one `::` standing for
 * one or more zero groups, and an optional dotted-quad tail counting as two groups.
 */
export function ipv6Valid(candidate: string): boolean {
  let address = candidate;
  if (address.includes(".")) {
    const lastColon = address.lastIndexOf(":");
    if (lastColon < 0 || !ipv4Valid(address.slice(lastColon + 1))) return false;
    address = `${address.slice(0, lastColon + 1)}0:0`;
  }
  if (address.includes(":::")) return false;
  const halves = address.split("::");
  if (halves.length > 2) return false;
  const groups = (half: string | undefined): string[] => (half ? half.split(":") : []);
  if (halves.length === 1) {
    const all = groups(halves[0]);
    return all.length === 8 && all.every((g) => HEX_GROUP.test(g));
  }
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  // "::" alone (the unspecified address) is too short to tell from punctuation.
  if (left.length + right.length === 0) return false;
  return left.length + right.length <= 7 && [...left, ...right].every((g) => HEX_GROUP.test(g));
}
