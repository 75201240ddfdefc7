/** Every entity type the detector knows, most specific first (the order overlaps are resolved in). */
export const PII_TYPES = [
  "email",
  "iban",
  "card",
  "us_ssn",
  "ip",
  "date_of_birth",
  "phone",
  "street_address",
  "person_name",
] as const;

export type PiiType = (typeof PII_TYPES)[number];

/** One detected entity: `text` is `input.slice(start, end)`. */
export interface PiiMatch {
  type: PiiType;
  start: number;
  end: number;
  text: string;
}

/** A detector takes a text and returns its entities, sorted and non-overlapping. */
export type PiiDetector = (text: string) => PiiMatch[];

export function piiMatch(type: PiiType, text: string, start: number, end: number): PiiMatch {
  return { type, start, end, text: text.slice(start, end) };
}

/** Up to `length` characters before `start`, lowercased, for cue words. */
export function lookBehind(text: string, start: number, length: number): string {
  return text.slice(Math.max(0, start - length), start).toLowerCase();
}

/**
 * Which of two cue patterns (global, matched against lowercased text) ends nearer before `start`,
 * within `length` characters: `"cue"`, `"counter"`, or `"none"` when neither occurs.
 */
export function nearerCue(text: string, start: number, cue: RegExp, counter: RegExp, length = 40): "cue" | "counter" | "none" {
  const window = lookBehind(text, start, length);
  const lastEnd = (re: RegExp): number => {
    let end = -1;
    for (const m of window.matchAll(re)) end = m.index + m[0].length;
    return end;
  };
  const cueEnd = lastEnd(cue);
  const counterEnd = lastEnd(counter);
  if (cueEnd < 0 && counterEnd < 0) return "none";
  return cueEnd > counterEnd ? "cue" : "counter";
}
