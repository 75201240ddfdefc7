/// <reference lib="dom" />
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium } from "./support.ts";

const url = inject("devUrl");
const adminToken = inject("devAdminToken");

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function api(path: string): Promise<Response> {
  return fetch(`${url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
}

describe("the agent form in a browser", () => {
  it("an admin creates an agent, fixes a field error, edits it and deletes it", async () => {
    const agentId = `form-browser-${crypto.randomUUID().slice(0, 8)}`;
    // A phone's width: the form must fit without scrolling sideways.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && m.text().includes("Content Security Policy") && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 400 && r.status() !== 422 && !r.url().endsWith("/favicon.ico") && errors.push(`${r.status()} ${r.url()}`));

    await page.goto(`${url}/dashboard/sign-in`);
    await page.fill("input[name=key]", adminToken);
    await Promise.all([page.waitForURL(`${url}/dashboard/agents`), page.click("button[type=submit]")]);
    await Promise.all([page.waitForURL(`${url}/dashboard/agents/new`), page.click("[data-testid=new-agent]")]);

    // A trust level out of range: the page comes back with the problem beside the trust section.
    await page.fill("input[name=id]", agentId);
    await page.fill("input[name=name]", "Browser Bakery");
    const trust = JSON.parse(await page.inputValue("textarea[name=trust]")) as Record<string, unknown>;
    await page.fill("textarea[name=trust]", JSON.stringify({ ...trust, initial: 2 }, null, 2));
    await page.fill("input[name=secretName]", "http");
    await page.fill("input[name=secretValue]", "browser-form-secret");
    const [refused] = await Promise.all([page.waitForResponse((r) => r.url() === `${url}/dashboard/agents/new`), page.click("[data-testid=agent-form] button[type=submit]")]);
    expect(refused.status()).toBe(422);
    expect(await page.textContent('[data-field-errors="trust"]')).toContain("trust.initial: must be between 0 and 1");
    expect(await page.inputValue("input[name=name]")).toBe("Browser Bakery");
    expect((await api(`/v1/agents/${agentId}`)).status).toBe(404);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    // Fixed (the secret's value is never shown again, so it is typed again): saved, on to the overview.
    await page.fill("textarea[name=trust]", JSON.stringify({ ...trust, initial: 0.4 }, null, 2));
    await page.fill("input[name=secretValue]", "browser-form-secret");
    await Promise.all([page.waitForURL(`${url}/dashboard/agents/${agentId}`), page.click("[data-testid=agent-form] button[type=submit]")]);
    const created = (await (await api(`/v1/agents/${agentId}`)).json()) as { version: number; secrets: string[]; config: { name: string; trust: { initial: number } } };
    expect(created).toMatchObject({ version: 1, secrets: ["http"], config: { name: "Browser Bakery", trust: { initial: 0.4 } } });

    // Edit from the overview.
    await Promise.all([page.waitForURL(`${url}/dashboard/agents/${agentId}/edit`), page.click('[data-action="edit"]')]);
    expect(await page.content()).not.toContain("browser-form-secret");
    await page.fill("input[name=name]", "Browser Bakery & Café");
    await Promise.all([page.waitForURL(`${url}/dashboard/agents/${agentId}`), page.click("[data-testid=agent-form] button[type=submit]")]);
    const edited = (await (await api(`/v1/agents/${agentId}`)).json()) as { version: number; config: { name: string } };
    expect(edited).toMatchObject({ version: 2, config: { name: "Browser Bakery & Café" } });

    // Delete from the overview's link, confirming with the id.
    await Promise.all([page.waitForURL(`${url}/dashboard/agents/${agentId}/edit#delete`), page.click('[data-action="delete"]')]);
    await page.fill("[data-testid=delete-form] input[name=confirm]", agentId);
    await Promise.all([page.waitForURL(`${url}/dashboard/agents`), page.click("[data-testid=delete-form] button[type=submit]")]);
    expect(await page.locator(`a[href="/dashboard/agents/${agentId}"]`).count()).toBe(0);
    expect((await api(`/v1/agents/${agentId}`)).status).toBe(404);

    expect(errors).toEqual([]);
    await context.close();
  });
});
