/// <reference lib="dom" />
// The callbacks of page.$eval and page.evaluate run in the page: they see the DOM.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminJson, launchChromium } from "./support.ts";
import { overviewSpan } from "../../src/dashboard/span.ts";

const url = inject("devUrl");
const adminToken = inject("devAdminToken");
const agentId = inject("devAgentId");
const sent = inject("devMessages");

let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** A fresh browser profile (no cookies) with one page. */
async function freshPage(): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  return context.newPage();
}

const api = adminJson(url, adminToken);

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto(`${url}/dashboard`);
  expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
  await page.fill("input[name=key]", key);
  await page.click("button[type=submit]");
  await page.waitForLoadState();
}

/** The session cookie the browser holds, as a `Cookie` header value. */
async function sessionCookie(page: Page): Promise<string> {
  const cookies = await page.context().cookies(`${url}/dashboard/`);
  const session = cookies.find((c) => c.name === "foreman_session");
  if (!session) throw new Error("no session cookie");
  expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/dashboard" });
  expect(session.expires).toBeGreaterThan(Date.now() / 1000);
  return `${session.name}=${session.value}`;
}

const figure = (page: Page, name: string) => page.getAttribute(`[data-figure="${name}"]`, "data-value");

describe("the dashboard in a browser", () => {
  it("an admin signs in and sees the overview chart with the JSON API's totals", async () => {
    const page = await freshPage();
    // Anything the CSP blocked, and any asset that failed (the browser's own favicon request aside).
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && m.text().includes("Content Security Policy") && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && errors.push(`${r.status()} ${r.url()}`));
    await signIn(page, adminToken);
    expect(new URL(page.url()).pathname).toBe("/dashboard/agents");
    await page.click(`a[href="/dashboard/agents/${agentId}"]`);
    await page.waitForSelector("[data-testid=messages-chart]");

    const { from, to } = overviewSpan(Date.now());
    const json = await api<{ requests: number; costUsd: number; savingsUsd: number | null; tiers: Record<string, { requests: number }> }>(
      `/v1/agents/${agentId}/analytics?from=${from}&to=${to}`,
    );
    expect(json.requests).toBe(sent);
    expect(Number(await figure(page, "requests"))).toBe(json.requests);
    expect(Number(await figure(page, "cost-usd"))).toBe(json.costUsd);
    expect(await figure(page, "savings-usd")).toBe(String(json.savingsUsd));
    // The chart: fourteen days, today's bar holding every message, stacked by the JSON's tiers.
    const bars = await page.$$eval("[data-testid=messages-chart] g[data-day]", (gs) => gs.map((g) => Number(g.getAttribute("data-requests"))));
    expect(bars).toHaveLength(14);
    expect(bars.at(-1)).toBe(sent);
    const stacked = await page.$$eval("[data-testid=messages-chart] g[data-day]:last-of-type rect[data-tier]", (rs) =>
      Object.fromEntries(rs.map((r) => [r.getAttribute("data-tier"), Number(r.getAttribute("data-count"))])),
    );
    expect(stacked).toEqual(Object.fromEntries(Object.entries(json.tiers).map(([tier, t]) => [tier, t.requests])));
    // The stylesheet loaded under the CSP, and nothing was blocked.
    expect(await page.$eval("header.top", (h) => getComputedStyle(h).display)).toBe("flex");
    expect(errors).toEqual([]);
  });

  it("a viewer sees the overview and is refused every action, through the page and directly", async () => {
    const { key } = await api<{ key: string }>("/v1/keys", { method: "POST", body: JSON.stringify({ role: "viewer", name: "browser viewer" }) });
    const page = await freshPage();
    await signIn(page, key);
    await page.goto(`${url}/dashboard/agents/${agentId}`);
    expect(Number(await figure(page, "requests"))).toBe(sent);
    expect(await page.isDisabled("[data-testid=trust-form] button")).toBe(true);

    // The disabled form, enabled by hand and sent from the page: the server refuses it.
    page.on("dialog", (d) => void d.accept());
    await page.$eval("[data-testid=trust-form]", (form) => form.querySelectorAll("[disabled]").forEach((e) => e.removeAttribute("disabled")));
    await page.fill("[data-testid=trust-form] input[name=reason]", "a viewer tries");
    await page.click("[data-testid=trust-form] button");
    await page.waitForLoadState();
    expect(await page.textContent("[data-testid=error]")).toContain("viewer keys are read-only");

    // From the page's own origin, with and without the CSRF token.
    await page.goto(`${url}/dashboard/agents/${agentId}`);
    const statuses = await page.evaluate(async (path) => {
      const csrf = (document.querySelector("input[name=_csrf]") as HTMLInputElement).value;
      const post = (body: Record<string, string>) =>
        fetch(path, { method: "POST", body: new URLSearchParams(body), redirect: "manual" }).then((r) => r.status);
      return [await post({ _csrf: csrf, action: "freeze", reason: "x" }), await post({ action: "freeze", reason: "x" })];
    }, `/dashboard/agents/${agentId}/trust`);
    expect(statuses).toEqual([403, 403]);

    // Straight at the endpoint with the session cookie, with and without the token.
    const cookie = await sessionCookie(page);
    const csrf = await page.getAttribute("input[name=_csrf]", "value");
    const bodies: Array<Record<string, string>> = [{ _csrf: csrf ?? "", action: "freeze", reason: "x" }, { action: "freeze", reason: "x" }];
    for (const body of bodies) {
      const res = await fetch(`${url}/dashboard/agents/${agentId}/trust`, {
        method: "POST",
        headers: { cookie, origin: url, "sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(body),
        redirect: "manual",
      });
      expect(res.status).toBe(403);
    }
    expect((await api<{ frozen: boolean }>(`/v1/agents/${agentId}/trust`)).frozen).toBe(false);
  });

  it("shows a viewer every page of an agent with each action form disabled", async () => {
    const { key } = await api<{ key: string }>("/v1/keys", { method: "POST", body: JSON.stringify({ role: "viewer", name: "browser viewer pages" }) });
    const page = await freshPage();
    await signIn(page, key);
    const pages = ["", "/trust", "/learning", "/audit", "/channels", "/conversations", "/alerts", "/dead-letters", "/edit"].map((p) => `/dashboard/agents/${agentId}${p}`);
    let forms = 0;
    for (const path of [...pages, "/dashboard/agents", "/dashboard/agents/new"]) {
      const res = await page.goto(`${url}${path}`);
      expect(res?.status(), path).toBe(200);
      // Every form that would change something: its buttons are disabled for a viewer.
      const enabled = await page.$$eval('form[method="post"]:not([action="/dashboard/sign-out"])', (fs) =>
        fs.flatMap((f) => Array.from(f.querySelectorAll("button, input[type=submit]")).filter((b) => !b.matches(":disabled")).map(() => f.getAttribute("action"))),
      );
      expect(enabled, path).toEqual([]);
      forms += await page.$$eval('form[method="post"]:not([action="/dashboard/sign-out"])', (fs) => fs.length);
    }
    expect(forms).toBeGreaterThan(0);
  });

  it("refuses a bad key and starts no session", async () => {
    const page = await freshPage();
    await signIn(page, `fmk_${"A".repeat(43)}`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    expect(await page.textContent("[data-testid=error]")).toContain("not valid");
    expect((await page.context().cookies(`${url}/dashboard/`)).find((c) => c.name === "foreman_session")).toBeUndefined();
  });

  it("signing out ends the session", async () => {
    const page = await freshPage();
    await signIn(page, adminToken);
    const cookie = await sessionCookie(page);
    await page.click("text=Sign out");
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    await page.goto(`${url}/dashboard/agents`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/sign-in");
    // The old cookie, replayed, opens nothing.
    const replay = await fetch(`${url}/dashboard/agents`, { headers: { cookie }, redirect: "manual" });
    expect(replay.status).toBe(303);
  });
});
