/**
 * Guessing keys at the sign-in form: each client address gets `SIGN_IN_LIMIT`'s allowance of
 * failed sign-ins (wrangler.toml: 10 a minute). The failure that exceeds it locks the address out
 * for a minute, and a locked address is refused before its key is even looked at, so a guess made
 * while locked out tells nothing, right or wrong. Sign-ins with a valid key never count: a team
 * behind one office address is never locked out by its own people signing in.
 *
 * The Rate Limiting binding counts per Cloudflare location, as the lock in KV is read where it was
 * written: both are approximate across locations and exact enough within one, which is where one
 * client's guesses arrive.
 */
import { sha256Hex } from "../core/crypto";

/** How long an address stays locked out after exceeding its allowance (KV's shortest expiry). */
export const SIGN_IN_LOCK_SECONDS = 60;

/**
 * The address a sign-in is counted against: `CF-Connecting-IP`, which Cloudflare sets (never
 * `X-Forwarded-For`, which the client writes), with an IPv6 address counted as its /64, the
 * block one customer line gets.
 */
export function clientAddress(headers: Headers): string {
  const ip = (headers.get("cf-connecting-ip") ?? "").trim().toLowerCase();
  if (ip === "") return "unknown";
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.split("::", 2);
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = ip.includes("::") ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

const lockKey = async (address: string) => `dashboard:sign-in-lock:${await sha256Hex(address)}`;

/** Whether the address is locked out now; its key must not be checked. */
export async function signInLocked(env: Env, address: string): Promise<boolean> {
  return (await env.CACHE.get(await lockKey(address))) !== null;
}

/** Counts a failed sign-in; true when it exceeded the allowance (the address is now locked out). */
export async function countFailedSignIn(env: Env, address: string): Promise<boolean> {
  const { success } = await env.SIGN_IN_LIMIT.limit({ key: address });
  if (success) return false;
  await env.CACHE.put(await lockKey(address), "1", { expirationTtl: SIGN_IN_LOCK_SECONDS });
  return true;
}
