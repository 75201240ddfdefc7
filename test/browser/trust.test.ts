/// <reference lib="dom" />
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminJson, launchChromium, sendSigned, signIn } from "./support.ts";

const url = inject("devUrl");
const adminToken = inject("devAdminToken");
const fakeUrl = inject("devFakeUrl");
const HTTP_SECRET = "browser-trust-secret";

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const api = adminJson(url, adminToken);

interface ApprovalView {
  id: string;
  tool: string;
  status: string;
  decidedBy: string | null;
  note: string | null;
  result: { content: string; isError: boolean } | null;
}

/** An agent whose model asks for Write, an `ask` tool: the worker files a request for a person. */
async function agentWithPendingRequest(): Promise<{ agentId: string; request: ApprovalView }> {
  const agentId = `trust-browser-${crypto.randomUUID().slice(0, 8)}`;
  await api(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: { trust: { initial: 0.3, ask: ["Write"] } }, secrets: { http: HTTP_SECRET } }) });
  const scripted = await fetch(`${fakeUrl}/_fake/scripts/${encodeURIComponent(agentId)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      steps: [
        { type: "tool_use", calls: [{ name: "Write", input: { path: "refund.txt", content: "refund order 42" } }] },
        { type: "text", text: "{{tool_result}}" },
      ],
    }),
  });
  expect(scripted.status).toBe(204);
  const sent = await sendSigned(url, agentId, HTTP_SECRET, { id: `ask-${crypto.randomUUID()}`, conversation: "c1", from: "browser-test", text: "Refund my order" });
  expect(sent.status).toBe(200);
  const { approvals } = await api<{ approvals: ApprovalView[] }>(`/v1/agents/${agentId}/approvals?status=pending`);
  expect(approvals).toHaveLength(1);
  return { agentId, request: approvals[0]! };
}

describe("the trust page in a browser", () => {
  it("an admin opens it from the overview and approves a pending tool request", async () => {
    const { agentId, request } = await agentWithPendingRequest();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && m.text().includes("Content Security Policy") && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && errors.push(`${r.status()} ${r.url()}`));

    await signIn(page, url, adminToken);
    await page.goto(`${url}/dashboard/agents/${agentId}`);
    await page.click(`a[href="/dashboard/agents/${agentId}/trust"]`);
    await page.waitForSelector("[data-testid=trust-chart]");
    expect(new URL(page.url()).pathname).toBe(`/dashboard/agents/${agentId}/trust`);

    const trust = await api<{ level: number; tier: string }>(`/v1/agents/${agentId}/trust`);
    expect(Number(await page.getAttribute('[data-figure="trust-level"]', "data-value"))).toBe(trust.level);
    expect(await page.getAttribute("tr.current", "data-tier")).toBe(trust.tier);
    expect(await page.getAttribute('[data-figure="pending-approvals"]', "data-value")).toBe("1");

    const form = `[data-approval="${request.id}"] form`;
    await page.fill(`${form} input[name=note]`, "ok by the owner");
    await Promise.all([page.waitForURL(`${url}/dashboard/agents/${agentId}/trust`), page.click(`${form} button[value=approve]`)]);
    await page.waitForSelector("[data-testid=trust-chart]");
    expect(await page.getAttribute('[data-figure="pending-approvals"]', "data-value")).toBe("0");
    expect(await page.locator(`[data-approval="${request.id}"]`).count()).toBe(0);

    const { approvals } = await api<{ approvals: ApprovalView[] }>(`/v1/agents/${agentId}/approvals?status=executed`);
    expect(approvals).toMatchObject([
      { id: request.id, decidedBy: "admin:bootstrap", note: "ok by the owner", result: { content: "wrote 15 bytes to refund.txt", isError: false } },
    ]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
