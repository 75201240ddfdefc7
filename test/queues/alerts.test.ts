import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AlertTransport } from "../../src/audit/alert-channel";
import { fixedClock } from "../../src/core/clock";
import { silentLogger } from "../../src/core/logger";
import { consumeAlerts } from "../../src/queues/alerts";
import { createAgent, HTTP_SECRET } from "../support/agents";
import { shardDb } from "../support/shards";

const AT = Date.UTC(2026, 11, 7, 12);

/** An alert as the agent's object writes it to D1, not yet delivered. */
async function storedAlert(agentId: string): Promise<string> {
  const id = crypto.randomUUID();
  await (await shardDb(agentId)).prepare("INSERT INTO alerts (id, agent_id, at, type, message, details) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(id, agentId, AT, "urgent_message", "A critical message came in by sms.", JSON.stringify({ channel: "sms" }))
    .run();
  return id;
}

/** A transport that records what it was asked to send. */
function recordingTransport(posts: Array<{ url: string; body: string }>, status = 200) {
  return (): AlertTransport => ({
    fetch: async (input, init) => {
      posts.push({ url: String(input), body: String(init?.body) });
      return new Response(null, { status });
    },
    sendEmail: async () => {
      throw new Error("no email in this test");
    },
  });
}

async function consume(bodies: unknown[], transport: ReturnType<typeof recordingTransport>, clock = fixedClock(AT + 5_000)) {
  const batch = createMessageBatch("foreman-alerts", bodies.map((body, i) => ({ id: `a-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await consumeAlerts(batch, env, { clock, logger: silentLogger, transport });
  return getQueueResult(batch, ctx);
}

async function row(agentId: string, id: string) {
  return (await shardDb(agentId)).prepare("SELECT delivered_at, delivery_error FROM alerts WHERE id = ?").bind(id).first<{ delivered_at: number | null; delivery_error: string | null }>();
}

describe("the alerts queue", () => {
  it("delivers a stored alert through the injected transport and records the delivery at the injected clock's time", async () => {
    const agentId = await createAgent({ audit: { alertChannel: { slackWebhook: { secret: "alert_webhook" } } } }, { secrets: { http: HTTP_SECRET, alert_webhook: "https://hooks.slack.com/services/T0/B0/x" } });
    const alertId = await storedAlert(agentId);
    const posts: Array<{ url: string; body: string }> = [];
    const result = await consume([{ type: "alert", agentId, alertId }], recordingTransport(posts));
    expect(result.explicitAcks).toHaveLength(1);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe("https://hooks.slack.com/services/T0/B0/x");
    expect(JSON.parse(posts[0]!.body).text).toContain("urgent_message");
    expect(await row(agentId, alertId)).toEqual({ delivered_at: AT + 5_000, delivery_error: null });
  });

  it("never posts an alert twice when its message is delivered again", async () => {
    const agentId = await createAgent({ audit: { alertChannel: { slackWebhook: { secret: "alert_webhook" } } } }, { secrets: { http: HTTP_SECRET, alert_webhook: "https://hooks.slack.com/services/T0/B0/y" } });
    const alertId = await storedAlert(agentId);
    const posts: Array<{ url: string; body: string }> = [];
    await consume([{ type: "alert", agentId, alertId }], recordingTransport(posts));
    await consume([{ type: "alert", agentId, alertId }, { type: "alert", agentId, alertId }], recordingTransport(posts));
    expect(posts).toHaveLength(1);
  });

  it("records a failing webhook as the alert's delivery error, without retrying", async () => {
    const agentId = await createAgent({ audit: { alertChannel: { slackWebhook: { secret: "alert_webhook" } } } }, { secrets: { http: HTTP_SECRET, alert_webhook: "https://hooks.slack.com/services/T0/B0/z" } });
    const alertId = await storedAlert(agentId);
    const result = await consume([{ type: "alert", agentId, alertId }], recordingTransport([], 500));
    expect(result.retryMessages).toHaveLength(0);
    expect(await row(agentId, alertId)).toEqual({ delivered_at: null, delivery_error: "slack webhook answered 500" });
  });

  it("does not deliver another agent's alert, and acks garbage and unknown alerts", async () => {
    const owner = await createAgent({ audit: { alertChannel: { slackWebhook: { secret: "alert_webhook" } } } }, { secrets: { http: HTTP_SECRET, alert_webhook: "https://hooks.slack.com/services/T0/B0/o" } });
    const stranger = await createAgent({ audit: { alertChannel: { slackWebhook: { secret: "alert_webhook" } } } }, { secrets: { http: HTTP_SECRET, alert_webhook: "https://attacker.example/hook" } });
    const alertId = await storedAlert(owner);
    const posts: Array<{ url: string; body: string }> = [];
    const result = await consume(
      [{ type: "alert", agentId: stranger, alertId }, { type: "alert", agentId: owner, alertId: "no-such-alert" }, { nonsense: true }, "text"],
      recordingTransport(posts),
    );
    expect(posts).toHaveLength(0);
    expect(result.explicitAcks).toHaveLength(4);
    expect(await row(owner, alertId)).toEqual({ delivered_at: null, delivery_error: null });
  });
});
