import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HOLDING_TEXT } from "../../src/channels/adapter";
import { AppError } from "../../src/core/errors";
import { systemClock } from "../../src/core/clock";
import type { WorkMessage } from "../../src/core/messages";
import { consumeWork, MAX_RETRY_DELAY_S, PROGRESS_TEXT, retryDelaySeconds } from "../../src/queues/work";
import { createAgent } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";
import { slackCalls } from "../support/slack";
import { sentSms } from "../support/sms";
import { shardDb } from "../support/shards";

const SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";
const overloaded = { type: "error" as const, status: 529, message: "Overloaded" };
/** One attempt of the work consumer meets three 529s: the first call and the SDK's two retries. */
const outageAttempt = [overloaded, overloaded, overloaded];

async function slackAgent(features: string[]) {
  const botToken = `xoxb-${crypto.randomUUID()}`;
  const agentId = await createAgent({ channels: [{ type: "slack", features }] }, { secrets: { http: "unused", slack: { signingSecret: SIGNING, botToken } } });
  return { agentId, botToken };
}

function slackWork(agentId: string, text = "When do you open?"): WorkMessage {
  return {
    type: "channel_message",
    message: { agentId, channel: "slack", deliveryId: `Ev${crypto.randomUUID()}`, conversationKey: "C123ABC456:1700.0100", sender: "U061F7AUR", text, receivedAt: Date.now() },
    reply: { kind: "slack", channelId: "C123ABC456", ts: "1700.0100", threadTs: "1700.0100" },
  };
}

/** One delivery of the queue message, as its `attempts`-th attempt; `delays` are the retry delays it asked for. */
async function attempt(body: unknown, attempts: number) {
  const batch = createMessageBatch("foreman-work", [{ id: `work-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body }]);
  const delays: Array<number | undefined> = [];
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    m.retry = (options) => {
      delays.push(options?.delaySeconds);
      retry(options);
    };
  }
  const ctx = createExecutionContext();
  await consumeWork(batch, env, systemClock, ctx, async () => {});
  return { ...(await getQueueResult(batch, ctx)), delays };
}

const outcomes = (agentId: string) => env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)).outcomeSummary();

describe("model outages on queued messages", () => {
  it("posts one placeholder and one holding notice through a 529 outage, then the answer once the model is back", async () => {
    const { agentId, botToken } = await slackAgent(["progress_tracking", "threading"]);
    await scriptModel(agentId, [...outageAttempt, ...outageAttempt, { type: "text", text: "We open at nine." }]);
    const work = slackWork(agentId);

    const first = await attempt(work, 1);
    expect(first.retryMessages).toHaveLength(1);
    // No retry-after from the model: the 30 s a 503 asks of any caller, above the first backoff.
    expect(first.delays).toEqual([30]);
    const second = await attempt(work, 2);
    expect(second.retryMessages).toHaveLength(1);
    const third = await attempt(work, 3);
    expect(third.explicitAcks).toHaveLength(1);

    const calls = await slackCalls(botToken);
    const posts = calls.filter((c) => c.method === "chat.postMessage");
    expect(posts.map((c) => c.body.text)).toEqual([PROGRESS_TEXT]);
    const holding = calls.filter((c) => String(c.body.text).includes(HOLDING_TEXT));
    expect(holding).toHaveLength(1);
    expect(holding[0]).toMatchObject({ method: "chat.update", body: { channel: "C123ABC456", ts: posts[0]!.ts } });
    expect(calls.at(-1)).toMatchObject({ method: "chat.update", body: { ts: posts[0]!.ts, text: "We open at nine." } });
    expect(await modelRequests(agentId)).toHaveLength(7);
  });

  it("posts the holding notice in the thread when there is no placeholder, once however often the model fails", async () => {
    const { agentId, botToken } = await slackAgent(["threading"]);
    await scriptModel(agentId, [...outageAttempt, ...outageAttempt, ...outageAttempt, { type: "text", text: "Back again." }]);
    const work = slackWork(agentId);
    for (const n of [1, 2, 3]) expect((await attempt(work, n)).retryMessages).toHaveLength(1);
    expect((await attempt(work, 4)).explicitAcks).toHaveLength(1);
    const posts = (await slackCalls(botToken)).filter((c) => c.method === "chat.postMessage");
    expect(posts.map((c) => c.body.text)).toEqual([`:hourglass_flowing_sand: ${HOLDING_TEXT}`, "Back again."]);
    expect(posts.every((c) => c.body.thread_ts === "1700.0100")).toBe(true);
  });

  it("tells an SMS customer once, by one short text", async () => {
    const accountSid = `AC${crypto.randomUUID().replaceAll("-", "")}`;
    const agentId = await createAgent({ channels: [{ type: "sms", provider: "twilio", features: [] }] }, { secrets: { http: "unused", twilio: { accountSid, authToken: "t" } } });
    await scriptModel(agentId, [...outageAttempt, ...outageAttempt, { type: "text", text: "We open at nine." }]);
    const work: WorkMessage = {
      type: "channel_message",
      message: { agentId, channel: "sms", deliveryId: `SM${crypto.randomUUID().replaceAll("-", "")}`, conversationKey: "+14155550100:+14155550123", sender: "+14155550123", text: "When do you open?", receivedAt: Date.now() },
      reply: { kind: "sms", from: "+14155550100", to: "+14155550123" },
    };
    await attempt(work, 1);
    await attempt(work, 2);
    expect((await attempt(work, 3)).explicitAcks).toHaveLength(1);
    expect((await sentSms(accountSid)).map((m) => m.Body)).toEqual([HOLDING_TEXT, "We open at nine."]);
  });

  it("does not count a provider outage against the agent's trust", async () => {
    const { agentId } = await slackAgent([]);
    await scriptModel(agentId, [...outageAttempt, { type: "error", status: 503, message: "unavailable" }, { type: "error", status: 429, message: "slow down" }, overloaded, { type: "text", text: "Fine." }]);
    const work = slackWork(agentId);
    await attempt(work, 1);
    await attempt(work, 2);
    expect((await attempt(work, 3)).explicitAcks).toHaveLength(1);
    expect((await outcomes(agentId)).counts).toEqual({ success: 1 });
  });

  it("counts a model 4xx that is the agent's own fault, once, and keeps the message as a dead letter instead of retrying it", async () => {
    const { agentId } = await slackAgent([]);
    await scriptModel(agentId, [{ type: "error", status: 404, errorType: "not_found_error", message: "model: claude-nonexistent" }]);
    const work = slackWork(agentId);
    const result = await attempt(work, 1);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(1);
    expect((await outcomes(agentId)).counts).toEqual({ error: 1 });
    const row = await (await shardDb(agentId)).prepare("SELECT agent_id, payload IS NOT NULL AS replayable FROM dead_letters WHERE agent_id = ?").bind(agentId).first();
    expect(row).toEqual({ agent_id: agentId, replayable: 1 });
  });

  it("waits longer after each attempt, at least the retry-after the model asked for, at most five minutes", () => {
    const outage = (retryAfter?: number) => new AppError("model_unavailable", "down", retryAfter === undefined ? {} : { retryAfter });
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(outage(), n))).toEqual([20, 40, 80, 160, 300]);
    expect(retryDelaySeconds(outage(120), 1)).toBe(120);
    expect(retryDelaySeconds(outage(5), 2)).toBe(40);
    expect(retryDelaySeconds(outage(3600), 1)).toBe(MAX_RETRY_DELAY_S);
    // Other failures that name their wait get exactly it.
    expect(retryDelaySeconds(new AppError("conversation_busy", "busy", { retryAfter: 5 }), 1)).toBe(5);
    // The whole wait over the queue's 5 retries (wrangler.toml max_retries) stays within 10 minutes.
    expect([1, 2, 3, 4, 5].reduce((sum, n) => sum + retryDelaySeconds(outage(), n), 0)).toBe(600);
  });

  it("leaves a retry-after too long to wait inline to the queue: one model request, then the queue waits it", async () => {
    const { agentId } = await slackAgent([]);
    await scriptModel(agentId, [{ type: "error", status: 529, message: "Overloaded", retryAfter: 120 }, { type: "text", text: "Not yet." }]);
    const result = await attempt(slackWork(agentId), 1);
    expect(result.delays).toEqual([120]);
    expect(await modelRequests(agentId)).toHaveLength(1);
  });
});
