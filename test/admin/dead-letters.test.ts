import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock";
import { silentLogger } from "../../src/core/logger";
import type { WorkMessage } from "../../src/core/messages";
import { consumeDeadLetters } from "../../src/queues/consumer";
import { consumeWork } from "../../src/queues/work";
import { admin, createAgent } from "../support/agents";
import { flushedSql } from "../support/audit";
import { modelRequests, scriptModel } from "../support/model";
import { slackCalls, waitForSlackCalls } from "../support/slack";
import { shardDb } from "../support/shards";

const SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";

async function slackAgent(config: Record<string, unknown> = {}) {
  const botToken = `xoxb-${crypto.randomUUID()}`;
  const agentId = await createAgent({ channels: [{ type: "slack", features: ["threading"] }], ...config }, { secrets: { http: "unused", slack: { signingSecret: SIGNING, botToken } } });
  return { agentId, botToken };
}

function slackWork(agentId: string, text = "When do you open? Call me on +1 415 555 0199"): WorkMessage {
  return {
    type: "channel_message",
    message: { agentId, channel: "slack", deliveryId: `Ev${crypto.randomUUID()}`, conversationKey: "C123ABC456:1700.0200", sender: "U061F7AUR", text, receivedAt: Date.now() },
    reply: { kind: "slack", channelId: "C123ABC456", ts: "1700.0200", threadTs: "1700.0200" },
  };
}

/** The message ran out of retries: the dead-letter consumer keeps it. Its row id. */
async function deadLetter(work: WorkMessage): Promise<string> {
  const id = `dlq-${crypto.randomUUID()}`;
  await consumeDeadLetters(createMessageBatch("foreman-dlq", [{ id, timestamp: new Date(), attempts: 6, body: work }]), env, silentLogger);
  return id;
}

interface Listed {
  agentId: string;
  deadLetters: Array<{ id: string; replayable: boolean; replayedAt: string | null; reason?: string; message: WorkMessage }>;
}

const list = async (agentId: string) => (await (await admin(`/v1/agents/${agentId}/dead-letters`)).json()) as Listed;
const replay = (agentId: string, id: string) => admin(`/v1/agents/${agentId}/dead-letters/${id}/replay`, { method: "POST" });
const answers = async (botToken: string) => (await slackCalls(botToken)).filter((c) => c.method === "chat.postMessage");
const settle = () => new Promise((r) => setTimeout(r, 1500));

describe("dead letters: listing and replay", () => {
  it("lists an agent's dead letters masked, and never another agent's", async () => {
    const mine = await slackAgent();
    const other = await slackAgent();
    const id = await deadLetter(slackWork(mine.agentId));
    await deadLetter(slackWork(other.agentId));

    const listed = await list(mine.agentId);
    expect(listed.deadLetters.map((d) => d.id)).toEqual([id]);
    expect(listed.deadLetters[0]).toMatchObject({ replayable: true, replayedAt: null });
    expect(listed.deadLetters[0]!.message.message.text).not.toContain("555 0199");

    expect((await list(other.agentId)).deadLetters.map((d) => d.id)).not.toContain(id);
    const wrongTenant = await replay(other.agentId, id);
    expect(wrongTenant.status).toBe(404);
    const otherReplay = (await (await admin(`/v1/agents/${other.agentId}/dead-letters/replay`, { method: "POST" })).json()) as { replayed: string[] };
    expect(otherReplay.replayed).not.toContain(id);
    expect((await list(mine.agentId)).deadLetters[0]!.replayedAt).toBeNull();
  });

  it("answers a replayed message exactly once, however often replay is called", async () => {
    const { agentId, botToken } = await slackAgent({ audit: { compliance: { encryption: true } } });
    const id = await deadLetter(slackWork(agentId));
    await scriptModel(agentId, [{ type: "text", text: "We open at nine." }, { type: "text", text: "A second answer must never be posted." }]);

    const [a, b] = await Promise.all([replay(agentId, id), replay(agentId, id)]);
    expect([a.status, b.status].sort()).toEqual([202, 409]);
    const again = await replay(agentId, id);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain("already replayed");
    expect((await admin(`/v1/agents/${agentId}/dead-letters/replay`, { method: "POST" }).then((r) => r.json())) as unknown).toEqual({ agentId, replayed: [], skipped: [] });

    await waitForSlackCalls(botToken, 1);
    await settle();
    expect((await answers(botToken)).map((c) => c.body.text)).toEqual(["We open at nine."]);
    expect(await modelRequests(agentId)).toHaveLength(1);

    const [row] = (await list(agentId)).deadLetters;
    expect(row).toMatchObject({ id, replayable: false, reason: expect.stringContaining("already replayed") });
    expect(row!.replayedAt).not.toBeNull();
    const stored = await (await shardDb(agentId)).prepare("SELECT payload FROM dead_letters WHERE id = ?").bind(id).first<{ payload: string | null }>();
    expect(stored?.payload).toBeNull();
    const [event] = await flushedSql<{ actor: string }>(agentId, "SELECT actor FROM audit_events WHERE agent_id = ? AND action = 'dead_letter.replayed'");
    expect(event?.actor).toBe("admin:bootstrap");
  });

  it("does not answer again when the replayed message was answered already", async () => {
    const { agentId, botToken } = await slackAgent();
    const work = slackWork(agentId);
    await scriptModel(agentId, [{ type: "text", text: "Answered once." }, { type: "text", text: "Answered twice." }]);
    const batch = createMessageBatch("foreman-work", [{ id: `work-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body: work }]);
    const ctx = createExecutionContext();
    await consumeWork(batch, env, systemClock, ctx, async () => {});
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    // A copy of the same message was dead-lettered (say, a redelivery that failed on its way).
    const id = await deadLetter(work);

    expect((await replay(agentId, id)).status).toBe(202);
    await settle();
    expect((await answers(botToken)).map((c) => c.body.text)).toEqual(["Answered once."]);
    expect(await modelRequests(agentId)).toHaveLength(1);
  });

  it("replays every replayable dead letter of the agent in one call", async () => {
    const { agentId, botToken } = await slackAgent();
    const first = await deadLetter(slackWork(agentId, "First question?"));
    const second = await deadLetter(slackWork(agentId, "Second question?"));
    await scriptModel(agentId, [{ type: "text", text: "One." }, { type: "text", text: "Two." }]);
    const res = await admin(`/v1/agents/${agentId}/dead-letters/replay`, { method: "POST" });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { replayed: string[]; skipped: unknown[] };
    expect([...body.replayed].sort()).toEqual([first, second].sort());
    expect(body.skipped).toEqual([]);
    const posted = await waitForSlackCalls(botToken, 2);
    expect(posted.map((c) => c.body.text).sort()).toEqual(["One.", "Two."]);
  });

  it("pages a long list with a cursor that only this agent's dead letters make", async () => {
    const { agentId } = await slackAgent();
    const other = await slackAgent();
    const otherId = await deadLetter(slackWork(other.agentId));
    const at = Date.now() - 60_000;
    const ids = Array.from({ length: 103 }, (_, i) => `dlq-page-${agentId}-${String(i).padStart(3, "0")}`);
    const db = await shardDb(agentId);
    await db.batch(
      ids.map((id, i) => db.prepare("INSERT INTO dead_letters (id, queue, body, attempts, received_at, agent_id) VALUES (?, 'foreman-dlq', '{}', 6, ?, ?)").bind(id, at + (i % 2), agentId)),
    );
    const first = (await list(agentId)) as Listed & { nextCursor: string | null };
    expect(first.deadLetters).toHaveLength(100);
    const second = (await (await admin(`/v1/agents/${agentId}/dead-letters?cursor=${first.nextCursor}`)).json()) as Listed & { nextCursor: string | null };
    expect(second.nextCursor).toBeNull();
    expect([...first.deadLetters, ...second.deadLetters].map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(second.deadLetters[0]).toMatchObject({ replayable: false });
    expect((await admin(`/v1/agents/${agentId}/dead-letters?cursor=${otherId}`)).status).toBe(400);
  });
});
