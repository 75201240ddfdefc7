import { describe, expect, it } from "vitest";
import { admin, createAgent } from "../support/agents";
import { createKey, csrfOf, page, signIn } from "./support";

describe("dashboard sign-in", () => {
  it("serves the sign-in form with the security headers and no inline script or style", async () => {
    const res = await page("/dashboard/sign-in");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/<style/);
    const css = await page("/dashboard/assets/app.css");
    expect(css.headers.get("content-type")).toContain("text/css");
    expect(css.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("sends a page without a session to the sign-in form", async () => {
    for (const path of ["/dashboard", "/dashboard/agents", "/dashboard/agents/x"]) {
      const res = await page(path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/dashboard/sign-in");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    }
  });

  it("starts a session for the ADMIN_TOKEN secret in an HttpOnly, Secure, SameSite=Strict cookie that expires", async () => {
    const { setCookie } = await signIn();
    expect(setCookie).toMatch(/^foreman_session=[A-Za-z0-9_-]{43};/);
    for (const attribute of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/dashboard", "Max-Age=28800"]) expect(setCookie).toContain(attribute);
  });

  it("refuses a wrong key, a revoked key and an empty key, without a cookie", async () => {
    const { key, id } = await createKey({ role: "viewer" });
    expect((await admin(`/v1/keys/${id}`, { method: "DELETE" })).status).toBe(200);
    for (const bad of [`fmk_${"A".repeat(43)}`, key, "", "test-admin-token-not"]) {
      const res = await page("/dashboard/sign-in", { form: { key: bad } });
      expect(res.status).toBe(401);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(await res.text()).toContain("That key is not valid");
    }
  });

  it("refuses a sign-in posted from another origin or from no browser page", async () => {
    const attempts: Array<Record<string, string>> = [{ origin: "https://evil.test" }, { "sec-fetch-site": "cross-site", origin: "null" }, {}];
    for (const headers of attempts) {
      const res = await page("/dashboard/sign-in", { form: { key: "test-admin-token" }, headers });
      expect(res.status).toBe(403);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
  });
});

describe("dashboard sessions", () => {
  it("signing out ends the session: the old cookie no longer opens a page", async () => {
    const { cookie } = await signIn();
    const agents = await page("/dashboard/agents", { cookie });
    expect(agents.status).toBe(200);
    const csrf = csrfOf(await agents.text());
    // Without the CSRF token the session stays.
    expect((await page("/dashboard/sign-out", { cookie, form: { _csrf: "wrong" } })).status).toBe(403);
    expect((await page("/dashboard/agents", { cookie })).status).toBe(200);
    const out = await page("/dashboard/sign-out", { cookie, form: { _csrf: csrf } });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/foreman_session=;.*Max-Age=0/);
    const after = await page("/dashboard/agents", { cookie });
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toBe("/dashboard/sign-in");
  });

  it("revoking a key ends its sessions at the next request", async () => {
    const { key, id } = await createKey({ role: "admin" });
    const { cookie } = await signIn(key);
    expect((await page("/dashboard/agents", { cookie })).status).toBe(200);
    expect((await admin(`/v1/keys/${id}`, { method: "DELETE" })).status).toBe(200);
    expect((await page("/dashboard/agents", { cookie })).status).toBe(303);
  });

  it("answers an unknown dashboard page with an HTML 404 under the same headers", async () => {
    const { cookie } = await signIn();
    const res = await page("/dashboard/no-such-page", { cookie });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("signing in again replaces the session the browser held", async () => {
    const first = await signIn();
    const res = await page("/dashboard/sign-in", { form: { key: "test-admin-token" }, headers: { cookie: first.cookie, "sec-fetch-site": "same-origin" } });
    expect(res.status).toBe(303);
    expect((await page("/dashboard/agents", { cookie: first.cookie })).status).toBe(303);
    const second = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect((await page("/dashboard/agents", { cookie: second })).status).toBe(200);
  });

  it("a forged or unknown cookie is no session", async () => {
    const res = await page("/dashboard/agents", { cookie: `foreman_session=${"x".repeat(43)}` });
    expect(res.status).toBe(303);
  });
});

describe("dashboard roles", () => {
  it("a viewer sees an agent and is refused its action, with or without the CSRF token", async () => {
    const agentId = await createAgent();
    const { key } = await createKey({ role: "viewer" });
    const { cookie } = await signIn(key);
    const overview = await page(`/dashboard/agents/${agentId}`, { cookie });
    expect(overview.status).toBe(200);
    const html = await overview.text();
    expect(html).toContain("This key is read-only.");
    const csrf = csrfOf(html);
    const forms: Array<Record<string, string>> = [{ _csrf: csrf, action: "freeze", reason: "viewer tries" }, { action: "freeze", reason: "viewer tries" }];
    for (const form of forms) {
      const res = await page(`/dashboard/agents/${agentId}/trust`, { cookie, form });
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toContain("text/html");
    }
    const trust = (await (await admin(`/v1/agents/${agentId}/trust`)).json()) as { frozen: boolean };
    expect(trust.frozen).toBe(false);
  });

  it("an operator acts on its agents with the CSRF token, and never without it or from another origin", async () => {
    const agentId = await createAgent();
    const other = await createAgent();
    const { key, id } = await createKey({ role: "operator", agents: [agentId] });
    const { cookie } = await signIn(key);
    const html = await (await page(`/dashboard/agents/${agentId}`, { cookie })).text();
    const csrf = csrfOf(html);
    const freeze = { _csrf: csrf, action: "freeze", reason: "checking the dashboard" };
    expect((await page(`/dashboard/agents/${agentId}/trust`, { cookie, form: { ...freeze, _csrf: "" } })).status).toBe(403);
    expect((await page(`/dashboard/agents/${agentId}/trust`, { cookie, form: freeze, headers: { origin: "https://evil.test" } })).status).toBe(403);
    expect((await page(`/dashboard/agents/${other}/trust`, { cookie, form: freeze })).status).toBe(403);
    expect((await page(`/dashboard/agents/${other}`, { cookie })).status).toBe(403);
    const listing = await (await page("/dashboard/agents", { cookie })).text();
    expect(listing).toContain(agentId);
    expect(listing).not.toContain(other);

    const done = await page(`/dashboard/agents/${agentId}/trust`, { cookie, form: freeze });
    expect(done.status).toBe(303);
    const trust = (await (await admin(`/v1/agents/${agentId}/trust`)).json()) as { frozen: boolean; recentChanges: Array<{ actor?: string }> };
    expect(trust.frozen).toBe(true);
    expect(JSON.stringify(trust.recentChanges)).toContain(`admin:${id}`);
    expect(await (await page(`/dashboard/agents/${agentId}`, { cookie })).text()).toContain("Unfreeze");
  });
});
