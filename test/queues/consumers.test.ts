import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker, { QUEUES } from "../../src/index";
import type { InteractionRecord } from "../../src/core/messages";
import { primaryDb, shardDb } from "../support/shards";

function interaction(overrides: Partial<InteractionRecord> = {}): InteractionRecord {
  return {
    id: crypto.randomUUID(),
    agentId: `q-${crypto.randomUUID().slice(0, 8)}`,
    channel: "http",
    deliveryId: "m-1",
    conversationHash: "abc123",
    tier: "intelligent",
    model: "claude-sonnet-5-5",
    inputTokens: 10,
    outputTokens: 5,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    costMicros: 70,
    steps: 1,
    toolCalls: 0,
    deniedTools: [],
    outcome: "success",
    createdAt: Date.UTC(2026, 10, 25),
    latencyMs: 120,
    urgency: "normal",
    ...overrides,
  };
}

async function deliver(queue: string, bodies: unknown[], attempts = 1) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `msg-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return { batch, result: await getQueueResult(batch, ctx) };
}

describe("learning queue", () => {
  it("stores each interaction once, even when the batch is delivered again", async () => {
    const record = interaction();
    const first = await deliver(QUEUES.learning, [{ type: "interaction", interaction: record }]);
    expect(first.result.explicitAcks).toHaveLength(1);
    await deliver(QUEUES.learning, [{ type: "interaction", interaction: record }]);
    const { results } = await (await shardDb(record.agentId)).prepare("SELECT id, cost_micros, denied_tools FROM interactions WHERE agent_id = ?")
      .bind(record.agentId)
      .all();
    expect(results).toEqual([{ id: record.id, cost_micros: 70, denied_tools: "[]" }]);
  });

  it("acks a malformed message instead of retrying it forever, and stores nothing", async () => {
    const agentId = `q-bad-${crypto.randomUUID().slice(0, 8)}`;
    const { result } = await deliver(QUEUES.learning, [
      { type: "interaction", interaction: { ...interaction({ agentId }), costMicros: -1 } },
      { type: "nonsense" },
      "plain string",
    ]);
    expect(result.explicitAcks).toHaveLength(3);
    expect(result.retryMessages).toHaveLength(0);
    const row = await (await shardDb(agentId)).prepare("SELECT COUNT(*) AS n FROM interactions WHERE agent_id = ?").bind(agentId).first();
    expect(row).toEqual({ n: 0 });
  });
});

describe("dead-letter queue", () => {
  it("keeps every dead-lettered message in D1 with its queue and attempts", async () => {
    const marker = crypto.randomUUID();
    const { batch, result } = await deliver(QUEUES.deadLetter, [{ marker, kind: "work" }], 6);
    expect(result.explicitAcks).toHaveLength(1);
    // It names no agent: kept with the account-wide tables, in the first shard.
    const row = await primaryDb().prepare("SELECT queue, body, attempts FROM dead_letters WHERE id = ?").bind(batch.messages[0]!.id).first();
    expect(row).toEqual({ queue: QUEUES.deadLetter, body: JSON.stringify({ marker, kind: "work" }), attempts: 6 });
  });
});

describe("work queue", () => {
  it("acks a malformed message instead of retrying it forever", async () => {
    const { result } = await deliver(QUEUES.work, [{ anything: true }]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toHaveLength(0);
  });
});
