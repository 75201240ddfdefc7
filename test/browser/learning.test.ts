/// <reference lib="dom" />
/**
 * The learning page in a browser: an agent of its own learns candidate patterns from signed
 * messages the fake model answers with each request type's facts; an admin sees the JSON API's
 * lists on the page and rejects a candidate through it. (Traffic stored over HTTP by the dev
 * worker does not yet validate into patterns waiting for approval, so approving is tested in
 * test/dashboard/learning.test.ts, on traffic stored through the learning queue.)
 */
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { signHttpRequest } from "../../src/channels/http/signature.ts";

const url = inject("devUrl");
const adminToken = inject("devAdminToken");
const fakeUrl = inject("devFakeUrl");
const agentId = `learning-${crypto.randomUUID().slice(0, 8)}`;
const secret = `secret-${crypto.randomUUID()}`;

const TOPICS = ["card delivery", "pin change", "bank transfer"];
const FACTS = TOPICS.map((topic, i) => `For ${topic}, rule ${String.fromCharCode(65 + i)}${100 + i * 7} applies: it takes ${i + 2} working days and the ${["blue", "green", "red"][i]} page of the app shows its status.`);
const askings = (topic: string) => [`What about ${topic}?`, `Question on ${topic}`, `help with ${topic} please`];
const PER_TOPIC = 60;

let browser: Browser;

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json", ...init.headers } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function send(text: string, i: number): Promise<void> {
  const body = JSON.stringify({ id: `learn-${i}-${crypto.randomUUID()}`, conversation: `learn-${i}`, from: "browser-test", text });
  const timestamp = Math.floor(Date.now() / 1000);
  const res = await fetch(`${url}/webhooks/${agentId}/http`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-foreman-timestamp": String(timestamp), "x-foreman-signature": await signHttpRequest(secret, timestamp, body) },
    body,
  });
  if (!res.ok) throw new Error(`sending "${text}" failed: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  const unlimited = { perSender: { messages: 1_000_000, window: "1m" }, perAgent: { messages: 1_000_000, window: "1m" } };
  await api(`/v1/agents/${agentId}`, {
    method: "PUT",
    body: JSON.stringify({
      config: { learning: { enabled: true, patterns: { minOccurrences: 10 } }, optimization: { enableCache: false }, messageHandling: { rateLimits: unlimited } },
      secrets: { http: secret },
    }),
  });
  const oracle = await fetch(`${fakeUrl}/_fake/oracle/${agentId}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ facts: Object.fromEntries(TOPICS.flatMap((t, i) => askings(t).map((q) => [q, FACTS[i]!]))) }),
  });
  expect(oracle.status).toBe(204);
  const messages = TOPICS.flatMap((topic) => Array.from({ length: PER_TOPIC }, (_, i) => askings(topic)[i % 3]!));
  for (let i = 0; i < messages.length; i += 8) await Promise.all(messages.slice(i, i + 8).map((text, j) => send(text, i + j)));
  // The learning queue stores the answers in the background.
  for (let i = 0; ; i++) {
    const { requests } = await api<{ requests: number }>(`/v1/agents/${agentId}/analytics`);
    if (requests >= messages.length) break;
    if (i > 120) throw new Error(`only ${requests} of ${messages.length} answers were stored`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await api(`/v1/agents/${agentId}/learn/run`, { method: "POST" });
}, 240_000);
afterAll(async () => {
  await browser?.close();
});

describe("the learning page in a browser", () => {
  it("an admin sees the JSON API's patterns by status and rejects a candidate through the page", async () => {
    const { patterns } = await api<{ patterns: Array<{ id: string; status: string }> }>(`/v1/agents/${agentId}/patterns`);
    const candidates = patterns.filter((p) => p.status === "candidate");
    expect(candidates.length).toBeGreaterThan(0);
    const target = candidates[0]!;

    const page = await (await browser.newContext()).newPage();
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && m.text().includes("Content Security Policy") && errors.push(m.text()));
    await page.goto(`${url}/dashboard/sign-in`);
    await page.fill("input[name=key]", adminToken);
    await page.click("button[type=submit]");
    await page.waitForLoadState();
    await page.goto(`${url}/dashboard/agents/${agentId}`);
    await page.click(`a[href="/dashboard/agents/${agentId}/learning"]`);
    await page.waitForSelector("[data-status-list=candidate]");
    const listed = await page.$$eval("[data-status-list=candidate] li[data-pattern]", (lis) => lis.map((li) => li.getAttribute("data-pattern")));
    expect(listed).toEqual(candidates.map((p) => p.id));
    // The report opens from its summary (no script needed).
    expect(await page.isVisible(`li[data-pattern="${target.id}"] [data-field=threshold]`)).toBe(false);
    await page.click(`li[data-pattern="${target.id}"] summary`);
    expect(await page.isVisible(`li[data-pattern="${target.id}"] [data-field=threshold]`)).toBe(true);

    page.on("dialog", (d) => void d.accept());
    await page.fill(`[data-testid="reject-${target.id}"] input[name=note]`, "not for this shop");
    await page.click(`[data-testid="reject-${target.id}"] button`);
    await page.waitForSelector(`[data-status-list=rejected] li[data-pattern="${target.id}"]`);
    expect(new URL(page.url()).pathname).toBe(`/dashboard/agents/${agentId}/learning`);
    const after = await api<{ status: string; changed: { by: string; reason: string } }>(`/v1/agents/${agentId}/patterns/${target.id}`);
    expect(after).toMatchObject({ status: "rejected", changed: { by: "admin:bootstrap", reason: "not for this shop" } });
    expect(errors).toEqual([]);
  });
});
