import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock";
import type { WorkMessage } from "../../src/core/messages";
import { consumeWork } from "../../src/queues/work";
import { createAgent } from "../support/agents";
import { flushedSql } from "../support/audit";
import { scriptModel } from "../support/model";
import { sentSms } from "../support/sms";
import { primaryDb } from "../support/shards";

async function consume(bodies: unknown[]) {
  const batch = createMessageBatch(
    "foreman-work",
    bodies.map((body, i) => ({ id: `work-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await consumeWork(batch, env, systemClock, ctx, async () => {});
  return { ids: batch.messages.map((m) => m.id), result: await getQueueResult(batch, ctx) };
}

describe("work queue", () => {
  it("keeps a message it cannot read as a dead letter before acking it", async () => {
    const body = { type: "channel_message", message: { agentId: "x", attachments: Array.from({ length: 51 }, () => ({ name: "a", mimeType: "text/plain" })) } };
    const { ids, result } = await consume([body]);
    expect(result.explicitAcks).toEqual(ids);
    // Unreadable, it is kept under no agent, with the account-wide tables in the first shard.
    const row = await primaryDb().prepare("SELECT queue, body, attempts FROM dead_letters WHERE id = ?").bind(ids[0]).first<{ queue: string; body: string; attempts: number }>();
    expect(row).toMatchObject({ queue: "foreman-work", attempts: 1 });
    expect(JSON.parse(row!.body)).toEqual(body);
  });

  it("records an SMS Twilio refused (not 429) as not delivered", async () => {
    const accountSid = `AC${crypto.randomUUID().replaceAll("-", "")}`;
    const agentId = await createAgent({ channels: [{ type: "sms", provider: "twilio", features: [] }] }, { secrets: { http: "unused", twilio: { accountSid, authToken: "t" } } });
    await scriptModel(agentId, [{ type: "text", text: "We open at nine." }]);
    const work: WorkMessage = {
      type: "channel_message",
      message: { agentId, channel: "sms", deliveryId: `SM${crypto.randomUUID().replaceAll("-", "")}`, conversationKey: "+14155550199:+15005550001", sender: "+15005550001", text: "When do you open?", receivedAt: Date.now() },
      // The fake Twilio API answers 400 (21211, invalid number) for this recipient.
      reply: { kind: "sms", from: "+14155550199", to: "+15005550001" },
    };
    const { ids, result } = await consume([work]);
    expect(result.explicitAcks).toEqual(ids);
    expect(result.retryMessages).toEqual([]);
    const [row] = await flushedSql<{ details: string }>(agentId, "SELECT details FROM audit_events WHERE agent_id = ? AND action = 'message.not_delivered'");
    expect(JSON.parse(row!.details)).toEqual({ channel: "sms", parts: 0, reason: "twilio_400" });
    expect(await sentSms(accountSid)).toEqual([]);
  });
});
