// Self-contained (WebCrypto only, no imports) so the Node CLI can sign with the same code.

/** Requests signed more than this long ago (or ahead) are refused: a replay window. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export type SignatureFailure = "missing_signature" | "malformed_timestamp" | "stale_timestamp" | "bad_signature";

const encoder = new TextEncoder();

async function hmacHex(secret: string, data: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(data)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The `X-Foreman-Signature` value for a body: `v1=` + hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + body).
 *
 * @example
 * const ts = Math.floor(Date.now() / 1000);
 * const headers = { "X-Foreman-Timestamp": String(ts), "X-Foreman-Signature": await signHttpRequest(secret, ts, body) };
 */
export async function signHttpRequest(secret: string, timestamp: number, rawBody: string): Promise<string> {
  return `v1=${await hmacHex(secret, `v1:${timestamp}:${rawBody}`)}`;
}

/**
 * Verifies a signed HTTP-channel request. The comparison hashes both sides and compares
 * digests in constant time, so timing reveals nothing about the expected signature.
 */
export async function verifyHttpRequest(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  nowSeconds: number;
}): Promise<{ ok: true } | { ok: false; reason: SignatureFailure }> {
  if (!input.signature || !input.timestamp) return { ok: false, reason: "missing_signature" };
  if (!/^\d{1,12}$/.test(input.timestamp)) return { ok: false, reason: "malformed_timestamp" };
  const ts = Number(input.timestamp);
  if (Math.abs(input.nowSeconds - ts) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: "stale_timestamp" };
  const expected = await signHttpRequest(input.secret, ts, input.rawBody);
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
    crypto.subtle.digest("SHA-256", encoder.encode(input.signature.trim())),
  ]);
  return timingSafeEqualBytes(new Uint8Array(a), new Uint8Array(b)) ? { ok: true } : { ok: false, reason: "bad_signature" };
}

// Node lacks crypto.subtle.timingSafeEqual, so the comparison is written out: no early exit.
function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
