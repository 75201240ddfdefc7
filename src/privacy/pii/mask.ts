import { detectPii } from "./detect";
import { PII_TYPES, type PiiDetector, type PiiMatch, type PiiType } from "./types";

export type MaskMode = "redact" | "last4" | "hash";

export interface MaskOptions {
  /** `redact` (default): `[EMAIL]`. `last4`: `[CARD …4242]`. `hash`: `[EMAIL:1f2e3d4c5b6a]`. */
  mode?: MaskMode;
  /** HMAC key for `hash`; required in that mode (see docs/pii.md: an unkeyed hash of a phone number is reversible). */
  salt?: string;
  /** Mask only these types; the others are left as they are. Default: all. */
  types?: PiiType[];
  /** The detector; injectable so tests can make detection fail. Default: `detectPii`. */
  detect?: PiiDetector;
}

export interface MaskedSpan {
  type: PiiType;
  /** Offsets in the input text, not the masked one. */
  start: number;
  end: number;
}

export interface MaskResult {
  text: string;
  matches: MaskedSpan[];
}

/** What `last4` keeps; the other types carry nothing useful in their last four characters, so they are redacted. */
const LAST4_TYPES: ReadonlySet<PiiType> = new Set(["card", "phone", "us_ssn", "iban"]);

/**
 * The value a hash is taken over, so one value written two ways shares a hash.
 *
 * @example
 * normalizePii("phone", "(415) 555-0132"); // "4155550132"
 * normalizePii("iban", "de89 3704 0044 0532 0130 00"); // "DE89370400440532013000"
 */
export function normalizePii(type: PiiType, value: string): string {
  switch (type) {
    case "email":
    case "ip":
      return value.toLowerCase();
    case "phone":
    case "card":
    case "us_ssn":
      return value.replace(/\D/g, "");
    case "iban":
      return value.replace(/\s/g, "").toUpperCase();
    case "date_of_birth":
    case "street_address":
    case "person_name":
      return value.trim().replace(/\s+/g, " ").toLowerCase();
  }
}

/**
 * The placeholder's name: the type in capitals.
 *
 * @example
 * piiTag("us_ssn"); // "US_SSN", as in "[US_SSN]"
 */
export const piiTag = (type: PiiType): string => type.toUpperCase();

async function hmacKey(salt: string | undefined): Promise<CryptoKey> {
  if (!salt) throw new TypeError("maskPii: mode 'hash' needs a salt");
  return crypto.subtle.importKey("raw", new TextEncoder().encode(salt), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

async function shortHmac(key: CryptoKey, value: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(value)));
  return [...mac.subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function last4(type: PiiType, value: string): string {
  if (type === "email") return `[EMAIL …${value.slice(value.lastIndexOf("@"))}]`;
  if (!LAST4_TYPES.has(type)) return `[${piiTag(type)}]`;
  return `[${piiTag(type)} …${value.replace(/[^\p{L}\p{N}]/gu, "").slice(-4)}]`;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(PII_TYPES);

/** A detector's answer is trusted only if its spans are typed, in bounds, ordered and disjoint. */
function checkedSpans(matches: PiiMatch[], text: string): PiiMatch[] {
  if (!Array.isArray(matches)) throw new TypeError("PII detector returned no list");
  let previousEnd = 0;
  for (const m of matches) {
    const valid =
      KNOWN_TYPES.has(m.type) &&
      Number.isInteger(m.start) &&
      Number.isInteger(m.end) &&
      m.start >= previousEnd &&
      m.end > m.start &&
      m.end <= text.length;
    if (!valid) throw new RangeError("PII detector returned an invalid span");
    previousEnd = m.end;
  }
  return matches;
}

/**
 * Replaces every detected entity with a placeholder. Offsets in `matches` refer to the input.
 *
 * @example
 * await maskPii("Card 4242 4242 4242 4242, mail jo@example.com", { mode: "last4" });
 * // { text: "Card [CARD …4242], mail [EMAIL …@example.com]", matches: [...] }
 */
export async function maskPii(text: string, opts: MaskOptions = {}): Promise<MaskResult> {
  const { mode = "redact", salt, types, detect = detectPii } = opts;
  const wanted = types ? new Set(types) : undefined;
  const matches = checkedSpans(detect(text), text).filter((m) => !wanted || wanted.has(m.type));
  const key = mode === "hash" ? await hmacKey(salt) : undefined;
  const hashes = new Map<string, string>();
  const placeholder = async (type: PiiType, value: string): Promise<string> => {
    if (mode === "last4") return last4(type, value);
    if (!key) return `[${piiTag(type)}]`;
    const normalized = normalizePii(type, value);
    let hash = hashes.get(normalized);
    if (hash === undefined) hashes.set(normalized, (hash = await shortHmac(key, normalized)));
    return `[${piiTag(type)}:${hash}]`;
  };
  let masked = "";
  let cursor = 0;
  for (const m of matches) {
    masked += text.slice(cursor, m.start) + (await placeholder(m.type, text.slice(m.start, m.end)));
    cursor = m.end;
  }
  masked += text.slice(cursor);
  return { text: masked, matches: matches.map(({ type, start, end }) => ({ type, start, end })) };
}

/**
 * What is stored in place of a text whose masking failed.
 *
 * @example
 * const masked = await maskPiiFailClosed(text, { detect: () => { throw new Error("down"); } });
 * masked.text === PII_FAILURE_TEXT; // true
 */
export const PII_FAILURE_TEXT = "[REDACTED: PII detection failed]";

/**
 * `maskPii` that never returns unmasked text: if detection, validation or hashing throws, the
 * whole text is replaced by `PII_FAILURE_TEXT` and `failed` is true. The function every store
 * and analytics sink should call.
 *
 * @example
 * const { text, failed } = await maskPiiFailClosed(message, { mode: "hash", salt });
 */
export async function maskPiiFailClosed(text: string, opts: MaskOptions = {}): Promise<MaskResult & { failed: boolean }> {
  try {
    return { ...(await maskPii(text, opts)), failed: false };
  } catch {
    return { text: PII_FAILURE_TEXT, matches: [], failed: true };
  }
}
