/**
 * SMS segments. GSM-7 carries 160 characters in one segment and 153 per segment when split;
 * one character outside GSM-7 turns the whole message into UCS-2: 70 and 67. Extension
 * characters (`^{}[]~|€` and `\`) take two GSM-7 septets. Twilio bills per segment.
 */

const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENDED = "^{}\\[~]|€\f";
const BASIC = new Set(GSM7_BASIC);
const EXTENDED = new Set(GSM7_EXTENDED);

export interface SegmentInfo {
  encoding: "GSM-7" | "UCS-2";
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

/**
 * How a text is encoded and how many segments it takes.
 *
 * @example
 * segmentInfo("Hello"); // { encoding: "GSM-7", units: 5, segments: 1 }
 * segmentInfo("Hi 👋"); // { encoding: "UCS-2", units: 5, segments: 1 }
 */
export function segmentInfo(text: string): SegmentInfo {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (BASIC.has(ch)) septets += 1;
    else if (EXTENDED.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: "GSM-7", units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  const units = text.length; // UTF-16 code units: an emoji takes two.
  return { encoding: "UCS-2", units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

/**
 * Cuts a text to fit `maxSegments`, at the last sentence end that fits (else the last word),
 * never inside a character, adding "…" when something was cut.
 */
export function fitToSegments(text: string, maxSegments: number): string {
  const clean = text.replace(/\s+/g, " ").trim();
  if (segmentInfo(clean).segments <= maxSegments) return clean;
  const chars = [...clean];
  // The longest prefix (in whole characters) that fits with the ellipsis.
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (segmentInfo(`${chars.slice(0, mid).join("")}…`).segments <= maxSegments) lo = mid;
    else hi = mid - 1;
  }
  const prefix = chars.slice(0, lo).join("");
  const sentence = Math.max(prefix.lastIndexOf(". "), prefix.lastIndexOf("! "), prefix.lastIndexOf("? "));
  if (sentence > prefix.length / 2) return prefix.slice(0, sentence + 1);
  const word = prefix.lastIndexOf(" ");
  return `${(word > prefix.length / 2 ? prefix.slice(0, word) : prefix).trimEnd()}…`;
}

/** Segments an answer may take: `maxSegments`, or 3 with `short_responses`; 10 (1,600 characters) at most. */
const DEFAULT_SHORT_SEGMENTS = 3;
const MAX_SEGMENTS = 10;

/**
 * The segment budget of an agent's SMS channel.
 *
 * @example
 * segmentBudget({ features: ["short_responses"] }); // 3
 * segmentBudget({ features: [], maxSegments: 2 });   // 2
 */
export function segmentBudget(channel: { features: readonly string[]; maxSegments?: number } | undefined): number {
  const short = channel?.features.includes("short_responses") ?? false;
  return Math.min(MAX_SEGMENTS, channel?.maxSegments ?? (short ? DEFAULT_SHORT_SEGMENTS : MAX_SEGMENTS));
}
