/**
 * Guessing keys at the sign-in form: failed sign-ins are counted per client address; the one
 * over the allowance locks the address out, and while locked its keys are not even looked at.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientAddress, SIGN_IN_LOCK_SECONDS } from "../../src/dashboard/sign-in-limit";
import { ADMIN_TOKEN } from "../support/agents";
import { page, SAME_ORIGIN } from "./support";

const LIMIT = 10; // wrangler.toml, [[ratelimits]] SIGN_IN_LIMIT
const from = (ip: string) => ({ ...SAME_ORIGIN, "cf-connecting-ip": ip });
const signInFrom = (ip: string, key: string) => page("/dashboard/sign-in", { form: { key }, headers: from(ip) });

describe("clientAddress", () => {
  it("is CF-Connecting-IP, an IPv6 address counted as its /64, never X-Forwarded-For", () => {
    expect(clientAddress(new Headers({ "cf-connecting-ip": "203.0.113.7", "x-forwarded-for": "10.0.0.1" }))).toBe("203.0.113.7");
    expect(clientAddress(new Headers({ "x-forwarded-for": "10.0.0.1" }))).toBe("unknown");
    const a = clientAddress(new Headers({ "cf-connecting-ip": "2001:db8:abcd:12::1" }));
    expect(a).toBe("2001:db8:abcd:12::/64");
    expect(clientAddress(new Headers({ "cf-connecting-ip": "2001:0DB8:abcd:0012:ffff:1:2:3" }))).toBe(a);
    expect(clientAddress(new Headers({ "cf-connecting-ip": "2001:db8::5" }))).toBe("2001:db8:0:0::/64");
    expect(clientAddress(new Headers({ "cf-connecting-ip": "2001:db8:abcd:13::1" }))).not.toBe(a);
  });
});

describe("dashboard sign-in limit", () => {
  it("locks an address out after its failed sign-ins; a right key is then refused too, other addresses are not", async () => {
    const ip = "203.0.113.10";
    for (let i = 0; i < LIMIT; i++) expect((await signInFrom(ip, `wrong-${i}`)).status).toBe(401);
    const over = await signInFrom(ip, "wrong-again");
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe(String(SIGN_IN_LOCK_SECONDS));
    expect(over.headers.get("set-cookie")).toBeNull();
    expect(await over.text()).toContain("Too many sign-ins that failed from your address");
    // Locked: the right key gets the same answer as a wrong one, so guessing tells nothing.
    const right = await signInFrom(ip, ADMIN_TOKEN);
    expect(right.status).toBe(429);
    expect(right.headers.get("set-cookie")).toBeNull();
    // Another address signs in.
    expect((await signInFrom("203.0.113.11", ADMIN_TOKEN)).status).toBe(303);
    // The lock expires by itself.
    const { keys } = await env.CACHE.list({ prefix: "dashboard:sign-in-lock:" });
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const k of keys) expect(k.expiration! - Date.now() / 1000).toBeLessThanOrEqual(SIGN_IN_LOCK_SECONDS + 1);
  });

  it("never counts a sign-in with a valid key", async () => {
    const ip = "203.0.113.20";
    for (let i = 0; i < LIMIT + 5; i++) expect((await signInFrom(ip, ADMIN_TOKEN)).status).toBe(303);
    expect((await signInFrom(ip, "wrong")).status).toBe(401);
  });

  it("counts an IPv6 /64 as one address", async () => {
    for (let i = 0; i < LIMIT; i++) expect((await signInFrom(`2001:db8:77:1::${i + 1}`, "wrong")).status).toBe(401);
    expect((await signInFrom("2001:db8:77:1:aaaa::9", "wrong")).status).toBe(429);
    expect((await signInFrom("2001:db8:77:2::1", ADMIN_TOKEN)).status).toBe(303);
  });
});
