/// <reference lib="dom" />
// The callbacks of page.$eval and page.evaluate run in the page: they see the DOM.
import { readFile } from "node:fs/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, signIn } from "./support.ts";

const url = inject("devUrl");
const adminToken = inject("devAdminToken");
const agentId = inject("devAgentId");

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function api(path: string): Promise<Response> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res;
}

interface SearchBody {
  events: Array<{ id: string; action: string; decision: string }>;
  nextCursor: string | null;
}

/** Webhooks with a wrong signature: each one a `webhook.rejected` event, decision denied. */
async function refusedWebhooks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${url}/webhooks/${agentId}/http`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-foreman-timestamp": String(Math.floor(Date.now() / 1000)), "x-foreman-signature": "v1=00" },
      body: JSON.stringify({ id: `refused-${i}`, conversation: "c", from: "u", text: "hi" }),
    });
    expect(res.status).toBe(401);
  }
  // The events reach D1 a moment later, when the agent's object flushes them.
  for (let i = 0; i < 60; i++) {
    const body = (await (await api(`/v1/agents/${agentId}/audit?action=webhook.rejected`)).json()) as SearchBody;
    if (body.events.length >= count) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the refused webhooks never reached the audit log");
}

const rowIds = (page: Page) => page.$$eval("[data-testid=audit-events] tr[data-event-id]", (rows) => rows.map((r) => r.getAttribute("data-event-id")));

/** The report's `generatedAt` is the moment of each request: everything else must be equal. */
const withoutGeneratedAt = (csv: string) => csv.replace(/^(report,[^,]*,)[^,]*,/m, "$1,");

describe("the audit log in a browser", () => {
  it("an admin filters the audit log, pages through it, verifies the chain and downloads a report", async () => {
    await refusedWebhooks(3);
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await signIn(page, url, adminToken);
    await page.goto(`${url}/dashboard/agents/${agentId}`);
    await page.click("[data-testid=audit-link]");
    await page.waitForSelector("[data-testid=audit-filters]");

    // Filter: refused webhooks only; the page lists the JSON API's events for the same filters.
    await page.fill("[data-testid=audit-filters] input[name=action]", "webhook.*");
    await page.selectOption("[data-testid=audit-filters] select[name=decision]", "denied");
    await page.click("[data-testid=audit-filters] button[type=submit]");
    await page.waitForLoadState();
    expect(new URL(page.url()).searchParams.get("decision")).toBe("denied");
    const filtered = (await (await api(`/v1/agents/${agentId}/audit?action=webhook.*&decision=denied`)).json()) as SearchBody;
    expect(filtered.events.length).toBeGreaterThanOrEqual(3);
    expect(filtered.events.every((e) => e.action === "webhook.rejected" && e.decision === "denied")).toBe(true);
    expect(await rowIds(page)).toEqual(filtered.events.map((e) => e.id));
    // Each event's details open as formatted JSON.
    await page.click("[data-testid=audit-events] tr:first-child summary");
    expect(JSON.parse((await page.textContent("[data-testid=audit-events] tr:first-child pre.json")) ?? "")).toMatchObject({ reason: "bad_signature" });

    // One event a page: the second page, through the page's own link, is the JSON's second page.
    await page.goto(`${url}/dashboard/agents/${agentId}/audit?action=webhook.*&decision=denied&limit=1`);
    const first = (await (await api(`/v1/agents/${agentId}/audit?action=webhook.*&decision=denied&limit=1`)).json()) as SearchBody;
    await page.click("[data-testid=older]");
    await page.waitForLoadState();
    const second = (await (await api(`/v1/agents/${agentId}/audit?action=webhook.*&decision=denied&limit=1&cursor=${encodeURIComponent(first.nextCursor ?? "")}`)).json()) as SearchBody;
    expect(await rowIds(page)).toEqual(second.events.map((e) => e.id));

    // The chain: intact, over as many events as the JSON API checks.
    await page.goto(`${url}/dashboard/agents/${agentId}/audit`);
    await page.click("[data-testid=verify-form] button");
    await page.waitForSelector("[data-testid=verify-result]");
    const verified = (await (await api(`/v1/agents/${agentId}/audit/verify`)).json()) as { ok: boolean; checked: number; lastSeq: number };
    expect(verified.ok).toBe(true);
    expect(await page.getAttribute("[data-testid=verify-result]", "data-ok")).toBe("true");
    expect(Number(await page.getAttribute("[data-testid=verify-result]", "data-last-seq"))).toBe(verified.lastSeq);
    expect(Number(await page.getAttribute("[data-testid=verify-result]", "data-checked"))).toBe(verified.checked);

    // A SOC2 report for a fixed period, viewed and then downloaded as CSV and JSON.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const [from, to] = [day(-7), day(1)];
    await page.goto(`${url}/dashboard/agents/${agentId}/audit`);
    await page.selectOption("[data-testid=report-form] select[name=standard]", "SOC2");
    await page.fill("[data-testid=report-form] input[name=from]", from);
    await page.fill("[data-testid=report-form] input[name=to]", to);
    await page.click("[data-testid=report-form] button[type=submit]");
    await page.waitForSelector("[data-testid=report-summary]");
    const sections = await page.$$eval("[data-section]", (ss) => ss.map((s) => s.getAttribute("data-section")));
    const report = (await (await api(`/v1/agents/${agentId}/reports/SOC2?from=${from}&to=${to}`)).json()) as { generatedAt: string; sections: Array<{ id: string }> };
    expect(sections).toEqual(report.sections.map((s) => s.id));

    const [csv] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=download-csv]")]);
    expect(csv.suggestedFilename()).toBe(`foreman-${agentId}-SOC2-${from}-${to}.csv`);
    const csvBody = await readFile((await csv.path())!, "utf8");
    const apiCsv = await (await api(`/v1/agents/${agentId}/reports/SOC2?from=${from}&to=${to}&format=csv`)).text();
    expect(csvBody.startsWith("section,control,at,actor,action,resource,decision,detail\r\n")).toBe(true);
    expect(withoutGeneratedAt(csvBody)).toBe(withoutGeneratedAt(apiCsv));

    const [json] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=download-json]")]);
    expect(json.suggestedFilename()).toBe(`foreman-${agentId}-SOC2-${from}-${to}.json`);
    const downloaded = JSON.parse(await readFile((await json.path())!, "utf8")) as { generatedAt: string };
    expect({ ...downloaded, generatedAt: "" }).toEqual({ ...report, generatedAt: "" });
    await context.close();
  });
});
