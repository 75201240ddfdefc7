import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import type { LearningMessage } from "../../src/core/messages";
import { consumeLearning } from "../../src/queues/consumer";
import { createAgent, type HttpReply, sendHttp } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";
import { appOver, capturedLogger, d1FailingOnce, envWith, failingOnce } from "./support";
import { agentShard } from "../support/shards";

const cached = { optimization: SEED_EXAMPLE_CONFIG.optimization };
let n = 0;

async function ask(agentId: string, text: string, target: ReturnType<typeof appOver>): Promise<Response> {
  n += 1;
  return sendHttp(agentId, { id: `f-${n}`, conversation: `fc-${n}`, from: "customer", text }, { target });
}

describe("KV failing once", () => {
  it("answers from the model when the exact cache's read fails, and serves the cache again after", async () => {
    const agentId = await createAgent(cached);
    await scriptModel(agentId, [
      { type: "text", text: "Cards arrive within 5 working days." },
      { type: "text", text: "Cards arrive within 5 working days." },
    ]);
    const { logger, lines } = capturedLogger();
    const healthy = appOver(env, logger);
    expect(((await (await ask(agentId, "How long does a new card take?", healthy)).json()) as HttpReply).tier).toBe("intelligent");

    // The exact cache's keys start with "x:" (src/cost/cache-tiers.ts).
    const kv = failingOnce(env.CACHE, "get", { when: ([key]) => String(key).startsWith("x:") });
    const res = await ask(agentId, "How long does a new card take?", appOver(envWith({ CACHE: kv.binding }), logger));
    expect(kv.failures()).toBe(1);
    expect(res.status).toBe(200);
    expect(((await res.json()) as HttpReply).text).toBe("Cards arrive within 5 working days.");
    expect(lines.some((l) => l.event === "cache_tier_failed" && String(l.error).includes("injected fault"))).toBe(true);

    const again = (await (await ask(agentId, "How long does a new card take?", healthy)).json()) as HttpReply;
    expect(again.tier).toBe("cache");
  });

  it("answers when every KV read of the request fails (directory, patterns, exact cache)", async () => {
    const agentId = await createAgent(cached);
    await scriptModel(agentId, [{ type: "text", text: "We close at six." }]);
    const kv = failingOnce(env.CACHE, "get", { times: Number.POSITIVE_INFINITY });
    const res = await ask(agentId, "When do you close?", appOver(envWith({ CACHE: kv.binding }), capturedLogger().logger));
    expect(res.status).toBe(200);
    expect(kv.failures()).toBeGreaterThan(0);
    expect(((await res.json()) as HttpReply).text).toBe("We close at six.");
  });

  it("answers when writing the answer to the cache fails, and the next model answer fills it", async () => {
    const agentId = await createAgent(cached);
    await scriptModel(agentId, [
      { type: "text", text: "We ship worldwide." },
      { type: "text", text: "We ship worldwide." },
    ]);
    const { logger, lines } = capturedLogger();
    const kv = failingOnce(env.CACHE, "put");
    const faulty = appOver(envWith({ CACHE: kv.binding }), logger);
    const first = await ask(agentId, "Do you ship abroad?", faulty);
    expect(first.status).toBe(200);
    expect(kv.failures()).toBe(1);
    expect(lines.some((l) => l.event === "after_answer_failed" && l.tier === "exact")).toBe(true);

    // Nothing was cached, so the model answers once more, and that answer is cached.
    expect(((await (await ask(agentId, "Do you ship abroad?", faulty)).json()) as HttpReply).tier).toBe("intelligent");
    expect(((await (await ask(agentId, "Do you ship abroad?", faulty)).json()) as HttpReply).tier).toBe("cache");
    expect((await modelRequests(agentId)).length).toBe(2);
  });
});

describe("D1 failing once on the learning queue", () => {
  it("retries the interaction record and stores it once on the redelivery", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "text", text: "Yes, we do." }]);
    const sent: LearningMessage[] = [];
    const queue = { send: async (m: LearningMessage) => void sent.push(m), sendBatch: async (ms: Array<{ body: LearningMessage }>) => void sent.push(...ms.map((m) => m.body)) };
    const { logger } = capturedLogger();
    const res = await ask(agentId, "Do you take cards?", appOver(envWith({ LEARNING_QUEUE: queue }), logger));
    expect(res.status).toBe(200);
    const records = sent.filter((m) => m.type === "interaction");
    expect(records).toHaveLength(1);

    const shard = await agentShard(agentId);
    const deliver = async (db: D1Database, attempts: number) => {
      const batch = createMessageBatch("foreman-learning", records.map((body, i) => ({ id: `l-${i}`, timestamp: new Date(), attempts, body })));
      const ctx = createExecutionContext();
      await consumeLearning(batch, envWith({ [shard.name]: db }), capturedLogger().logger);
      return getQueueResult(batch, ctx);
    };
    const failing = d1FailingOnce(shard.db);
    const first = await deliver(failing.binding, 1);
    expect(failing.failures()).toBe(1);
    expect(first.retryMessages).toHaveLength(1);
    expect(first.explicitAcks).toHaveLength(0);

    const second = await deliver(shard.db, 2);
    expect(second.explicitAcks).toHaveLength(1);
    const { results } = await shard.db.prepare("SELECT id FROM interactions WHERE agent_id = ?").bind(agentId).all();
    expect(results).toHaveLength(1);
  });
});

describe("R2 failing once in a model's tool call", () => {
  it("tells the model the tool failed, answers the customer, and the model's retry of the write lands", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "notes/hours.md", content: "Mon-Fri 9-5" } }] },
      { type: "tool_use", calls: [{ name: "Write", input: { path: "notes/hours.md", content: "Mon-Fri 9-5" } }] },
      { type: "text", text: "Noted: {{tool_result}}" },
    ]);
    const r2 = failingOnce(env.WORKSPACE, "put");
    const res = await ask(agentId, "Please note our hours.", appOver(envWith({ WORKSPACE: r2.binding }), capturedLogger().logger));
    expect(r2.failures()).toBe(1);
    expect(res.status).toBe(200);
    expect(((await res.json()) as HttpReply).text).toBe("Noted: wrote 11 bytes to notes/hours.md");
    const second = (await modelRequests(agentId))[1]!.body as { messages: Array<{ content: unknown }> };
    expect(second.messages.at(-1)!.content).toMatchObject([{ type: "tool_result", is_error: true }]);
    expect(await (await env.WORKSPACE.get(`workspaces/${agentId}/notes/hours.md`))?.text()).toBe("Mon-Fri 9-5");
  });
});
