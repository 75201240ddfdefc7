/// <reference lib="dom" />
/**
 * The learning page in a browser: an agent of its own learns patterns from signed messages the
 * fake model answers with each request type's facts, stored over HTTP by the dev worker exactly
 * as production stores them. An admin sees the JSON API's lists on the page, approves a pattern
 * waiting for a person and sees it go to canary, and rejects another.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminJson, launchChromium, sendSigned, signIn } from "./support.ts";

const url = inject("devUrl");
const adminToken = inject("devAdminToken");
const fakeUrl = inject("devFakeUrl");
const agentId = `learning-${crypto.randomUUID().slice(0, 8)}`;
const secret = `secret-${crypto.randomUUID()}`;

// Twelve request types: with only a few, the way answers are worded (openers, the question said
// back) would weigh as much as what they say, as it never does in real traffic.
const TOPICS = ["card delivery", "pin change", "bank transfer", "refund", "exchange rate", "top up", "lost phone", "cash withdrawal", "account closing", "direct debit", "fraud report", "statement"];
const FACTS = TOPICS.map(
  (topic, i) => `For ${topic}, rule ${String.fromCharCode(65 + i)}${100 + i * 7} applies: it takes ${i + 2} working days and the ${["blue", "green", "red", "gold"][i % 4]} page of the app shows its status.`,
);
// Whole questions: a follow-up ("What about …?") is never learned from.
const askings = (topic: string) => [`How long does ${topic} take?`, `Question on ${topic}`, `help with ${topic} please`];
// Enough answers per type for the matcher's precision to be proven at 0.95 on held-out answers.
const PER_TOPIC = 48;

let browser: Browser;

const api = adminJson(url, adminToken);

async function send(text: string, i: number): Promise<void> {
  const res = await sendSigned(url, agentId, secret, { id: `learn-${i}-${crypto.randomUUID()}`, conversation: `learn-${i}`, from: "browser-test", text });
  if (!res.ok) throw new Error(`sending "${text}" failed: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  browser = await launchChromium();
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

async function signedInPage(): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on("console", (m) => m.type() === "error" && m.text().includes("Content Security Policy") && cspErrors.push(m.text()));
  page.on("dialog", (d) => void d.accept());
  await signIn(page, url, adminToken);
  return page;
}

type Listed = { patterns: Array<{ id: string; status: string }> };
const cspErrors: string[] = [];

describe("the learning page in a browser", () => {
  it("an admin sees the JSON API's patterns by status and approves one into canary through the page", async () => {
    const { patterns } = await api<Listed>(`/v1/agents/${agentId}/patterns`);
    const pending = patterns.filter((p) => p.status === "pending_approval");
    // Learned over HTTP: the matcher's precision was proven, so the patterns wait for a person.
    expect(pending.length).toBeGreaterThanOrEqual(2);
    const target = pending[0]!;

    const page = await signedInPage();
    await page.goto(`${url}/dashboard/agents/${agentId}`);
    await page.click(`a[href="/dashboard/agents/${agentId}/learning"]`);
    await page.waitForSelector("[data-status-list=pending_approval]");
    const listed = await page.$$eval("[data-status-list=pending_approval] li[data-pattern]", (lis) => lis.map((li) => li.getAttribute("data-pattern")));
    expect(listed).toEqual(pending.map((p) => p.id));
    // The report opens from its summary (no script needed).
    expect(await page.isVisible(`li[data-pattern="${target.id}"] [data-field=threshold]`)).toBe(false);
    await page.click(`li[data-pattern="${target.id}"] summary`);
    expect(await page.isVisible(`li[data-pattern="${target.id}"] [data-field=threshold]`)).toBe(true);

    await page.fill(`[data-testid="approve-${target.id}"] input[name=note]`, "matches our policy");
    await page.click(`[data-testid="approve-${target.id}"] button`);
    // The config's deployment strategy is canary: an approved pattern starts there.
    await page.waitForSelector(`[data-status-list=canary] li[data-pattern="${target.id}"]`);
    expect(new URL(page.url()).pathname).toBe(`/dashboard/agents/${agentId}/learning`);
    const after = await api<{ status: string; changed: { by: string; reason: string } }>(`/v1/agents/${agentId}/patterns/${target.id}`);
    expect(after).toMatchObject({ status: "canary", changed: { by: "admin:bootstrap", reason: "matches our policy" } });
    expect(cspErrors).toEqual([]);
  });

  it("an admin rejects a pattern through the page", async () => {
    const { patterns } = await api<Listed>(`/v1/agents/${agentId}/patterns`);
    const target = patterns.find((p) => p.status === "pending_approval")!;
    const page = await signedInPage();
    await page.goto(`${url}/dashboard/agents/${agentId}/learning`);
    await page.fill(`[data-testid="reject-${target.id}"] input[name=note]`, "not for this shop");
    await page.click(`[data-testid="reject-${target.id}"] button`);
    await page.waitForSelector(`[data-status-list=rejected] li[data-pattern="${target.id}"]`);
    const after = await api<{ status: string; changed: { by: string; reason: string } }>(`/v1/agents/${agentId}/patterns/${target.id}`);
    expect(after).toMatchObject({ status: "rejected", changed: { by: "admin:bootstrap", reason: "not for this shop" } });
    expect(cspErrors).toEqual([]);
  });
});
