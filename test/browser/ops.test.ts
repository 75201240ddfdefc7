/// <reference lib="dom" />
import { createHmac } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminJson, launchChromium, signIn } from "./support.ts";

const url = inject("devUrl");
const adminToken = inject("devAdminToken");
const fakeUrl = inject("devFakeUrl");
const SIGNING = "browser-ops-signing-secret";

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const api = adminJson(url, adminToken);

/** Asks until `found` returns something (the agent's alarm and the work queue run on their own). */
async function eventually<T>(what: string, found: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 60; i++) {
    const value = await found();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not happen within 30 s`);
}

interface AlertView {
  id: string;
  type: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}
interface DeadLetterView {
  id: string;
  replayable: boolean;
  replayedAt: string | null;
}

/**
 * A Slack agent with one alert (its trust level raised by hand) and one dead letter (a message
 * the model API refused with a 404, kept at once for a replay).
 */
async function agentWithTrouble(): Promise<{ agentId: string; alert: AlertView; deadLetter: DeadLetterView }> {
  const agentId = `ops-browser-${crypto.randomUUID().slice(0, 8)}`;
  await api(`/v1/agents/${agentId}`, {
    method: "PUT",
    body: JSON.stringify({ config: { channels: [{ type: "slack", features: ["threading"] }] }, secrets: { http: "unused", slack: { signingSecret: SIGNING, botToken: "xoxb-browser-ops" } } }),
  });
  await api(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level: 0.5, reason: "owner vouches" }) });
  const scripted = await fetch(`${fakeUrl}/_fake/scripts/${encodeURIComponent(agentId)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ steps: [{ type: "error", status: 404, errorType: "not_found_error", message: "model: claude-nonexistent" }, { type: "text", text: "We open at nine." }] }),
  });
  expect(scripted.status).toBe(204);
  const event = {
    type: "event_callback",
    team_id: "T123ABC456",
    api_app_id: "A123ABC456",
    event_id: `Ev${crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`,
    event_time: 1515449522,
    event: { type: "app_mention", user: "U061F7AUR", text: "<@U0BOTUSER> when do you open?", ts: "1515449522.000016", channel: "C123ABC456", event_ts: "1515449522.000016" },
    authorizations: [{ team_id: "T123ABC456", user_id: "U0BOTUSER", is_bot: true }],
  };
  const body = JSON.stringify(event);
  const ts = Math.floor(Date.now() / 1000);
  const sent = await fetch(`${url}/webhooks/${agentId}/slack`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-slack-request-timestamp": String(ts), "x-slack-signature": `v0=${createHmac("sha256", SIGNING).update(`v0:${ts}:${body}`).digest("hex")}` },
    body,
  });
  expect(sent.status).toBe(200);
  const alert = await eventually("the alert", async () => (await api<{ alerts: AlertView[] }>(`/v1/agents/${agentId}/alerts?status=open`)).alerts[0]);
  const deadLetter = await eventually("the dead letter", async () => (await api<{ deadLetters: DeadLetterView[] }>(`/v1/agents/${agentId}/dead-letters`)).deadLetters[0]);
  expect(deadLetter.replayable).toBe(true);
  return { agentId, alert, deadLetter };
}

describe("the alerts and dead letters pages in a browser", () => {
  it("an admin acknowledges an alert and replays a dead letter through the pages", async () => {
    const { agentId, alert, deadLetter } = await agentWithTrouble();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && m.text().includes("Content Security Policy") && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && errors.push(`${r.status()} ${r.url()}`));

    await signIn(page, url, adminToken);
    await page.goto(`${url}/dashboard/agents/${agentId}`);
    expect(await page.getAttribute('[data-figure="open-alerts"]', "data-value")).toBe("1");

    // Alerts: from the overview's card to the open ones, then acknowledge with a note.
    await page.click("[data-testid=alerts-link]");
    await page.waitForSelector("[data-testid=alerts]");
    expect(new URL(page.url()).pathname).toBe(`/dashboard/agents/${agentId}/alerts`);
    const row = `tr[data-alert-id="${alert.id}"]`;
    await page.fill(`${row} input[name=note]`, "owner called back");
    await Promise.all([page.waitForURL(`${url}/dashboard/agents/${agentId}/alerts?status=open`), page.click(`${row} button[type=submit]`)]);
    await page.waitForSelector("[data-testid=no-alerts]");
    expect(await page.getAttribute('[data-figure="open-alerts"]', "data-value")).toBe("0");
    const [acknowledged] = (await api<{ alerts: AlertView[] }>(`/v1/agents/${agentId}/alerts?status=acknowledged`)).alerts;
    expect(acknowledged).toMatchObject({ id: alert.id, acknowledgedBy: "admin:bootstrap" });

    // Dead letters: replay the one kept; the page says so and the row shows when.
    await page.goto(`${url}/dashboard/agents/${agentId}/dead-letters`);
    const letter = `tr[data-dead-letter="${deadLetter.id}"]`;
    await Promise.all([page.waitForURL(/\/dead-letters\?replayed=1&refused=0$/), page.click(`${letter} button[type=submit]`)]);
    expect(await page.textContent("[data-testid=replay-result]")).toContain("1 replayed, 0 refused");
    expect(await page.getAttribute(letter, "data-replayable")).toBe("false");
    const [replayed] = (await api<{ deadLetters: DeadLetterView[] }>(`/v1/agents/${agentId}/dead-letters`)).deadLetters;
    expect(replayed!.replayedAt).not.toBeNull();
    expect(await page.getAttribute(letter, "data-replayed-at")).toBe(replayed!.replayedAt);

    expect(errors).toEqual([]);
    await context.close();
  });
});
