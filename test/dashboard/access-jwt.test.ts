/**
 * Cloudflare Access in front of the dashboard: with ACCESS_TEAM_DOMAIN and ACCESS_AUD set, a
 * request needs the application token Access adds (Cf-Access-Jwt-Assertion), signed by a key the
 * team publishes, for this application, current; the API key sign-in still decides the role.
 * The team is a local fake publishing real RS256 keys (test/support/node/fake-access.ts).
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { AccessDenied, accessSettings, verifyAccessToken } from "../../src/dashboard/access-jwt";
import worker from "../../src/index";
import { ADMIN_TOKEN } from "../support/agents";
import { SAME_ORIGIN } from "./support";

const team = inject("fakeAccessUrl");
const AUD = "3f1c2a7e9b0d4c5e8f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c0";
const accessEnv = { ...env, ACCESS_TEAM_DOMAIN: team, ACCESS_AUD: AUD };

async function token(claims: Record<string, unknown>, opts: { key?: string; alg?: string } = {}): Promise<string> {
  const res = await fetch(`${team}/_fake/sign`, { method: "POST", body: JSON.stringify({ claims, ...opts }) });
  return ((await res.json()) as { token: string }).token;
}

const now = () => Math.floor(Date.now() / 1000);
const good = (extra: Record<string, unknown> = {}) => ({ iss: team, aud: [AUD], sub: "user-1", email: "owner@shop.example", iat: now(), nbf: now(), exp: now() + 600, type: "app", ...extra });

async function call(path: string, opts: { jwt?: string; form?: Record<string, string>; envOverride?: Record<string, unknown> } = {}): Promise<Response> {
  const headers = new Headers();
  if (opts.jwt !== undefined) headers.set("cf-access-jwt-assertion", opts.jwt);
  if (opts.form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    for (const [k, v] of Object.entries(SAME_ORIGIN)) headers.set(k, v);
    headers.set("cf-connecting-ip", "192.0.2.44");
  }
  const request = new Request(`https://foreman.test${path}`, {
    method: opts.form ? "POST" : "GET",
    headers,
    body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
    redirect: "manual",
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...accessEnv, ...opts.envOverride } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("accessSettings", () => {
  it("is off with neither variable, refuses half a configuration and plain http in production", () => {
    expect(accessSettings({})).toBeNull();
    expect(accessSettings({ ACCESS_TEAM_DOMAIN: "", ACCESS_AUD: "" })).toBeNull();
    expect(() => accessSettings({ ACCESS_TEAM_DOMAIN: "https://shop.cloudflareaccess.com" })).toThrow(/set both ACCESS_TEAM_DOMAIN and ACCESS_AUD/);
    expect(() => accessSettings({ ACCESS_AUD: AUD })).toThrow(/set both/);
    expect(() => accessSettings({ ACCESS_TEAM_DOMAIN: "shop", ACCESS_AUD: AUD })).toThrow(/must be a URL such as https:/);
    expect(() => accessSettings({ ACCESS_TEAM_DOMAIN: "http://shop.cloudflareaccess.com", ACCESS_AUD: AUD })).toThrow(/must be an https:\/\/ URL/);
    expect(accessSettings({ ACCESS_TEAM_DOMAIN: "https://shop.cloudflareaccess.com/", ACCESS_AUD: ` ${AUD} ` })).toEqual({ team: "https://shop.cloudflareaccess.com", aud: AUD });
  });
});

describe("dashboard behind Cloudflare Access", () => {
  it("refuses a request without the Access token, the sign-in form included", async () => {
    for (const path of ["/dashboard/sign-in", "/dashboard/agents"]) {
      const res = await call(path);
      expect(res.status).toBe(403);
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(await res.text()).toContain("behind Cloudflare Access");
    }
    expect((await call("/dashboard/sign-in", { form: { key: ADMIN_TOKEN } })).status).toBe(403);
  });

  it("lets a valid token through to the key sign-in, which still decides", async () => {
    const jwt = await token(good());
    const form = await call("/dashboard/sign-in", { jwt });
    expect(form.status).toBe(200);
    const wrongKey = await call("/dashboard/sign-in", { jwt, form: { key: "not-a-key" } });
    expect(wrongKey.status).toBe(401);
    const signedIn = await call("/dashboard/sign-in", { jwt, form: { key: ADMIN_TOKEN } });
    expect(signedIn.status).toBe(303);
    const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0]!;
    // The session alone is not enough: every request needs Access's token.
    const headers = { cookie };
    const ctx = createExecutionContext();
    const bare = await worker.fetch(new Request("https://foreman.test/dashboard/agents", { headers, redirect: "manual" }), accessEnv as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(bare.status).toBe(403);
    const ctx2 = createExecutionContext();
    const withJwt = await worker.fetch(new Request("https://foreman.test/dashboard/agents", { headers: { ...headers, "cf-access-jwt-assertion": jwt }, redirect: "manual" }), accessEnv as Env, ctx2);
    await waitOnExecutionContext(ctx2);
    expect(withJwt.status).toBe(200);
  });

  it("accepts a token of the previous key and a service token; refuses each way a token can be wrong", async () => {
    expect((await call("/dashboard/sign-in", { jwt: await token(good(), { key: "previous" }) })).status).toBe(200);
    expect((await call("/dashboard/sign-in", { jwt: await token(good({ email: undefined, common_name: "ci.access" })) })).status).toBe(200);
    const bad: Array<[string, Promise<string> | string]> = [
      ["garbage", "not.a.jwt"],
      ["two parts", "abc.def"],
      ["unpublished key", token(good(), { key: "unpublished" })],
      ["another issuer", token(good({ iss: "https://other.cloudflareaccess.com" }))],
      ["another application", token(good({ aud: ["another-aud"] }))],
      ["expired", token(good({ exp: now() - 3600 }))],
      ["not valid yet", token(good({ nbf: now() + 3600 }))],
      ["no expiry", token(good({ exp: undefined }))],
      ["alg none", token(good(), { alg: "none" })],
      ["HS256", token(good(), { alg: "HS256" })],
    ];
    for (const [what, jwt] of bad) {
      const res = await call("/dashboard/sign-in", { jwt: await jwt });
      expect(res.status, what).toBe(403);
      expect(await res.text(), what).toContain("Cloudflare Access did not vouch for this request");
    }
    // A token whose payload was changed after signing.
    const [h, , s] = (await token(good())).split(".");
    const forged = `${h}.${btoa(JSON.stringify(good({ email: "attacker@evil.example" }))).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")}.${s}`;
    expect((await call("/dashboard/sign-in", { jwt: forged })).status).toBe(403);
  });

  it("follows a key rotation, and does not refetch the certs for every made-up key id", async () => {
    const settings = accessSettings(accessEnv)!;
    const fetches = async () => ((await (await fetch(`${team}/_fake/fetches`)).json()) as { fetches: number }).fetches;
    // The cache knows the current key.
    const t0 = Date.now();
    await verifyAccessToken(await token(good()), settings, t0);
    await fetch(`${team}/_fake/rotate`, { method: "POST" });
    const rotated = await token(good());
    // Within 30 s of the last fetch an unknown key id fetches nothing: refused, no request.
    const before = await fetches();
    for (let i = 0; i < 5; i++) await expect(verifyAccessToken(await token(good(), { key: "unpublished" }), settings, t0)).rejects.toThrow(AccessDenied);
    expect(await fetches()).toBe(before);
    // Later, the new key's token refetches the certs once and verifies.
    const later = t0 + 31_000;
    expect(await verifyAccessToken(rotated, settings, later)).toEqual({ sub: "user-1", email: "owner@shop.example", commonName: null });
    expect(await fetches()).toBe(before + 1);
    // The old current key is the previous one now, still published.
    await verifyAccessToken(await token(good(), { key: "previous" }), settings, later);
    expect(await fetches()).toBe(before + 1);
  });

  it("answers 503 naming the fix when Access is half configured", async () => {
    const res = await call("/dashboard/sign-in", { jwt: await token(good()), envOverride: { ACCESS_AUD: "" } });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("set both ACCESS_TEAM_DOMAIN and ACCESS_AUD");
  });
});
