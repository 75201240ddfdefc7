import { timingSafeEqualStrings } from "../../core/crypto";

const encoder = new TextEncoder();

/**
 * Twilio's request signature: base64 HMAC-SHA1 (auth token) over the full public URL followed
 * by every POST parameter, sorted by name, as name + value
 * (https://www.twilio.com/docs/usage/security#validating-requests).
 */
export async function twilioSignature(authToken: string, url: string, params: ReadonlyArray<readonly [string, string]>): Promise<string> {
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const data = url + sorted.map(([k, v]) => k + v).join("");
  const key = await crypto.subtle.importKey("raw", encoder.encode(authToken), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(data)));
  return btoa(String.fromCharCode(...mac));
}

/** Whether `X-Twilio-Signature` matches; compared in constant time. */
export async function verifyTwilioRequest(input: {
  authToken: string;
  url: string;
  params: ReadonlyArray<readonly [string, string]>;
  signature: string | undefined;
}): Promise<boolean> {
  if (!input.signature) return false;
  return timingSafeEqualStrings(await twilioSignature(input.authToken, input.url, input.params), input.signature.trim());
}
