import { hmacSha256Hex, timingSafeEqualStrings } from "../../core/crypto";

/** Slack's replay window: requests signed more than five minutes from now are refused. */
const TOLERANCE_SECONDS = 5 * 60;

export type SlackSignatureFailure = "missing_signature" | "malformed_timestamp" | "stale_timestamp" | "bad_signature";

/**
 * Verifies a Slack request: `X-Slack-Signature` must be `v0=` + hex HMAC-SHA256(signing secret,
 * `v0:{X-Slack-Request-Timestamp}:{raw body}`), within five minutes of now
 * (https://api.slack.com/authentication/verifying-requests-from-slack). Compared in constant time.
 */
export async function verifySlackRequest(input: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  nowSeconds: number;
}): Promise<{ ok: true } | { ok: false; reason: SlackSignatureFailure }> {
  if (!input.timestamp || !input.signature) return { ok: false, reason: "missing_signature" };
  if (!/^\d{1,12}$/.test(input.timestamp)) return { ok: false, reason: "malformed_timestamp" };
  if (Math.abs(input.nowSeconds - Number(input.timestamp)) > TOLERANCE_SECONDS) return { ok: false, reason: "stale_timestamp" };
  const expected = `v0=${await hmacSha256Hex(input.signingSecret, `v0:${input.timestamp}:${input.rawBody}`)}`;
  return (await timingSafeEqualStrings(expected, input.signature.trim())) ? { ok: true } : { ok: false, reason: "bad_signature" };
}
