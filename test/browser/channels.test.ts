/// <reference lib="dom" />
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminJson, launchChromium, sendSigned, signIn } from "./support.ts";

const url = inject("devUrl");
const adminToken = inject("devAdminToken");
const fakeUrl = inject("devFakeUrl");
const HTTP_SECRET = "browser-channels-secret";
const QUESTION = "Hi, it's jane.doe@example.com, my card 4242 4242 4242 4242 was charged twice. Call +1 415 555 0132.";

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const api = adminJson(url, adminToken);

interface ConversationPage {
  conversations: Array<{ id: string; messages: number }>;
}

/** An agent of its own that answered one message carrying an address, a card and a phone number, as `npm run send` sends it. */
async function agentWithConversation(): Promise<{ agentId: string; conversationId: string }> {
  const agentId = `channels-browser-${crypto.randomUUID().slice(0, 8)}`;
  await api(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: {}, secrets: { http: HTTP_SECRET } }) });
  const scripted = await fetch(`${fakeUrl}/_fake/scripts/${encodeURIComponent(agentId)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ steps: [{ type: "text", text: "Sorry about that, I refunded it and wrote to jane.doe@example.com." }] }),
  });
  expect(scripted.status).toBe(204);
  const sent = await sendSigned(url, agentId, HTTP_SECRET, { id: `ch-${crypto.randomUUID()}`, conversation: "c1", from: "browser-test", text: QUESTION });
  expect(sent.status).toBe(200);
  // The learning queue stores the interaction shortly after the answer.
  for (let i = 0; i < 60; i++) {
    const { conversations } = await api<ConversationPage>(`/v1/agents/${agentId}/conversations`);
    if (conversations[0]) return { agentId, conversationId: conversations[0].id };
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the conversation never reached the listing");
}

describe("the channels page in a browser", () => {
  it("an admin opens the channels page from the overview, then the conversation, masked, on a phone-sized screen", async () => {
    const { agentId, conversationId } = await agentWithConversation();
    const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && m.text().includes("Content Security Policy") && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && errors.push(`${r.status()} ${r.url()}`));

    await signIn(page, url, adminToken);
    await page.goto(`${url}/dashboard/agents/${agentId}`);
    await page.click("[data-testid=channels-link]");
    await page.waitForSelector("[data-testid=volume-chart]");
    expect(new URL(page.url()).pathname).toBe(`/dashboard/agents/${agentId}/channels`);

    const report = await api<{ totals: { requests: number; latencyMs: { p50: number } }; channels: Record<string, { requests: number }> }>(
      `/v1/agents/${agentId}/channels/analytics`,
    );
    expect(report.totals.requests).toBe(1);
    expect(await page.getAttribute('[data-figure="requests"]', "data-value")).toBe("1");
    expect(await page.getAttribute('[data-figure="p50-ms"]', "data-value")).toBe(String(report.totals.latencyMs.p50));
    expect(await page.getAttribute('tr[data-channel="http"]', "data-requests")).toBe(String(report.channels.http!.requests));
    // The page fits the phone's width; the wide table scrolls inside its card.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);

    await page.click("[data-testid=conversations-link]");
    await page.waitForSelector(`tr[data-conversation="${conversationId}"]`);
    await page.click(`tr[data-conversation="${conversationId}"] a`);
    await page.waitForSelector("[data-testid=transcript]");
    expect(new URL(page.url()).pathname).toBe(`/dashboard/agents/${agentId}/conversations/${conversationId}`);
    const roles = await page.$$eval("[data-testid=transcript] li", (items) => items.map((li) => li.getAttribute("data-role")));
    expect(roles).toEqual(["customer", "agent"]);
    const text = await page.textContent("[data-testid=transcript]");
    expect(text).toContain("my card [CARD] was charged twice");
    expect(text).toContain("wrote to [EMAIL]");
    for (const raw of ["jane.doe@example.com", "4242", "555 0132"]) expect(await page.content()).not.toContain(raw);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(errors).toEqual([]);
    await context.close();
  });
});
