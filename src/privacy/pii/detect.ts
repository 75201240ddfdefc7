import { detectDatesOfBirth, detectStreetAddresses } from "./contextual";
import { detectPersonNames } from "./names";
import { detectPhones } from "./phone";
import { detectCards, detectEmails, detectIbans, detectIps, detectUsSsns } from "./structured";
import { PII_TYPES, type PiiMatch, type PiiType } from "./types";

const DETECTORS = [
  detectEmails,
  detectIbans,
  detectCards,
  detectUsSsns,
  detectIps,
  detectDatesOfBirth,
  detectPhones,
  detectStreetAddresses,
  detectPersonNames,
];

/** Lower is more specific: a checksum beats a shape, a shape beats a cue. */
const RANK = Object.fromEntries(PII_TYPES.map((type, i) => [type, i])) as Record<PiiType, number>;

/**
 * Every entity in `text`, sorted by start and non-overlapping. Where candidates overlap the more
 * specific type wins (`PII_TYPES` order: a Luhn-valid card over the phone its digits also
 * resemble), then the longer span.
 *
 * @example
 * detectPii("Mail jo@example.com or call +44 20 7946 0958");
 * // [{ type: "email", start: 5, end: 19, text: "jo@example.com" },
 * //  { type: "phone", start: 28, end: 44, text: "+44 20 7946 0958" }]
 */
export function detectPii(text: string): PiiMatch[] {
  if (typeof text !== "string") throw new TypeError("detectPii expects a string");
  const candidates = DETECTORS.flatMap((detect) => detect(text));
  candidates.sort((a, b) => RANK[a.type] - RANK[b.type] || b.end - b.start - (a.end - a.start) || a.start - b.start);
  // One flag per character keeps resolution linear in the text, however many candidates there are.
  const taken = new Uint8Array(text.length);
  const kept: PiiMatch[] = [];
  for (const candidate of candidates) {
    if (taken.subarray(candidate.start, candidate.end).includes(1)) continue;
    taken.fill(1, candidate.start, candidate.end);
    kept.push(candidate);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * Whether `text` holds any entity `detectPii` finds.
 *
 * @example
 * containsPii("Call me on 020 7946 0958"); // true
 */
export function containsPii(text: string): boolean {
  return detectPii(text).length > 0;
}

/** `containsPii` failing closed: when detection throws, the text is treated as carrying PII. */
export function mayContainPii(text: string): boolean {
  try {
    return containsPii(text);
  } catch {
    return true;
  }
}
