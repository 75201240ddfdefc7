/**
 * `POST /v1/agents/:agentId/move` end to end: an agent with traffic, learned patterns, audit
 * events, alerts, a legal hold, a dead letter and rollups moves to the other shard, and every
 * admin read answers as it did before.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { MoveReport } from "../../src/db/move";
import { shardOf, shards, type Shard } from "../../src/db/shards";
import { rollUp } from "../../src/rollups/write";
import { admin, sendHttp } from "../support/agents";
import { flushedRows } from "../support/audit";
import { learnRun, trafficAgent } from "../support/learning";
import { scriptModel } from "../support/model";
import { everyTable, insertInteraction, rowCounts } from "../support/move";

const HOUR = 3_600_000;
let agentId: string;
let source: Shard;
let target: Shard;
/** Every answer is read up to here, a moment before the move, so the move's own event is outside it. */
let until: number;

async function json(path: string, init: Parameters<typeof admin>[1] = {}): Promise<{ status: number; body: any }> {
  const res = await admin(path, init);
  return { status: res.status, body: await res.json() };
}

/** What the admin API shows of the agent, each read bounded by `until`. */
async function reads(): Promise<Record<string, unknown>> {
  const a = `/v1/agents/${agentId}`;
  const range = `from=0&to=${until}`;
  const paths = [
    `${a}/analytics?${range}`,
    `${a}/channels/analytics?${range}`,
    `${a}/learning/analytics?${range}`,
    `${a}/audit?${range}&limit=200`,
    `${a}/audit/verify?to=${until}`,
    `${a}/alerts?${range}`,
    `${a}/conversations?${range}`,
    `${a}/patterns`,
    `${a}/legal-hold`,
    `${a}/dead-letters`,
  ];
  const answers: Record<string, unknown> = {};
  for (const path of paths) {
    const { status, body } = await json(path);
    expect(status, `${path}: ${JSON.stringify(body).slice(0, 300)}`).toBe(200);
    answers[path] = body;
  }
  return answers;
}

async function createKey(body: Record<string, unknown>): Promise<string> {
  const { status, body: created } = await json("/v1/keys", { method: "POST", body: JSON.stringify(body) });
  expect(status).toBe(201);
  return created.key as string;
}

const auditActions = async (db: D1Database) =>
  (await db.prepare("SELECT action FROM audit_events WHERE agent_id = ? ORDER BY seq").bind(agentId).all<{ action: string }>()).results.map((r) => r.action);

beforeAll(async () => {
  // Learnable traffic, learned into patterns that serve at once.
  agentId = await trafficAgent(15, { learning: { deployment: { strategy: "immediate" }, capabilities: { requireApproval: false } } });
  await learnRun(agentId);
  source = await shardOf(env, agentId);
  target = shards(env).all.find((s) => s.name !== source.name)!;
  // A conversation through the HTTP channel.
  await scriptModel(agentId, [{ type: "text", text: "We open at nine." }]);
  expect((await sendHttp(agentId, { id: "m-open", conversation: "c-open", from: "customer", text: "When do you open?" })).status).toBe(200);
  // A legal hold: it must not block the move, and must move with the rows.
  expect((await admin(`/v1/agents/${agentId}/legal-hold`, { method: "PUT", body: JSON.stringify({ reason: "litigation" }) })).status).toBe(200);
  const now = Date.now();
  await source.db.batch([
    insertInteraction(source.db, agentId, `int-old-${agentId}`, now - 3 * HOUR),
    source.db.prepare("INSERT INTO alerts (id, agent_id, at, type, message, details) VALUES (?, ?, ?, 'budget_threshold', 'half the budget is spent', '{\"share\":0.5}')").bind(`al-${agentId}`, agentId, now - 1000),
    source.db.prepare("INSERT INTO dead_letters (id, queue, body, attempts, received_at, agent_id) VALUES (?, 'foreman-work', '{}', 6, ?, ?)").bind(`dlq-${agentId}`, now - 1000, agentId),
    source.db.prepare("INSERT INTO pattern_samples (interaction_id, kind, pattern_id, agent_id, error, at) VALUES (?, 'served', 'pat-x', ?, 0, ?)").bind(`int-old-${agentId}`, agentId, now - 1000),
  ]);
  // The HTTP message's interaction arrives through the learning queue.
  for (let i = 0; i < 200; i++) {
    const row = await source.db.prepare("SELECT COUNT(*) AS n FROM interactions WHERE agent_id = ? AND channel = 'http' AND delivery_id = 'm-open'").bind(agentId).first<{ n: number }>();
    if ((row?.n ?? 0) > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await rollUp(source.db, [agentId], now);
  await flushedRows(agentId, async () => (await auditActions(source.db)).filter((a) => a === "legal_hold.placed"));
  until = Date.now();
  while (Date.now() <= until) await new Promise((r) => setTimeout(r, 1));
}, 60_000);

describe("POST /v1/agents/:agentId/move", () => {
  it("refuses viewer and operator keys, moving nothing", async () => {
    const before = await rowCounts(source.db, agentId);
    const viewer = await createKey({ role: "viewer", name: "move viewer" });
    const operator = await createKey({ role: "operator", agents: [agentId], name: "move operator" });
    for (const token of [viewer, operator]) {
      const { status, body } = await json(`/v1/agents/${agentId}/move`, { method: "POST", token, body: JSON.stringify({ shard: target.name }) });
      expect(status).toBe(403);
      expect(body.error.code).toBe("forbidden");
    }
    expect(await rowCounts(source.db, agentId)).toEqual(before);
    expect(await rowCounts(target.db, agentId)).toEqual(everyTable(0));
  });

  it("refuses a shard D1_SHARDS does not list (400 naming shard and the shards) and an unknown agent (404)", async () => {
    const unknownShard = await json(`/v1/agents/${agentId}/move`, { method: "POST", body: JSON.stringify({ shard: "DB_9" }) });
    expect(unknownShard.status).toBe(400);
    expect(unknownShard.body.error).toMatchObject({ code: "invalid_request", details: { issues: [{ path: "shard", message: "must be one of DB, DB_2" }] } });
    const unknownField = await json(`/v1/agents/${agentId}/move`, { method: "POST", body: JSON.stringify({ to: target.name }) });
    expect(unknownField.status).toBe(400);
    const unknownAgent = await json("/v1/agents/nobody-here/move", { method: "POST", body: JSON.stringify({ shard: target.name }) });
    expect(unknownAgent.status).toBe(404);
    expect((await rowCounts(target.db, agentId)).interactions).toBe(0);
  });

  it("moves every row, the reads answer as before, the chain verifies, and a second run moves nothing", { timeout: 30_000 }, async () => {
    const counts = await rowCounts(source.db, agentId);
    for (const [table, n] of Object.entries(counts)) if (table !== "audit_archives") expect(n, table).toBeGreaterThan(0);
    const before = await reads();

    const moved = await json(`/v1/agents/${agentId}/move`, { method: "POST", body: JSON.stringify({ shard: target.name }) });
    expect(moved.status).toBe(200);
    expect(moved.body as MoveReport).toEqual({ agentId, from: source.name, to: target.name, alreadyThere: false, complete: true, moved: counts });
    expect(await rowCounts(source.db, agentId)).toEqual(everyTable(0));

    expect(await reads()).toEqual(before);
    // The move is in the agent's trail, in the target shard, and the whole chain verifies.
    await flushedRows(agentId, async () => (await auditActions(target.db)).filter((a) => a === "agent.moved"));
    const event = await target.db.prepare("SELECT actor, details FROM audit_events WHERE agent_id = ? AND action = 'agent.moved'").bind(agentId).first<{ actor: string; details: string }>();
    expect(event?.actor).toBe("admin:bootstrap");
    expect(JSON.parse(event!.details)).toEqual({ from: source.name, to: target.name, complete: true, moved: counts });
    const verified = await json(`/v1/agents/${agentId}/audit/verify`);
    expect(verified.body).toMatchObject({ ok: true, checked: counts.audit_events + 1, firstBroken: null });

    const again = await json(`/v1/agents/${agentId}/move`, { method: "POST", body: JSON.stringify({ shard: target.name }) });
    expect(again.body).toEqual({ agentId, from: target.name, to: target.name, alreadyThere: true, complete: true, moved: everyTable(0) });
    expect(await rowCounts(source.db, agentId)).toEqual(everyTable(0));
    // A run that moved nothing is not audited: the trail still holds the one move.
    const moves = await flushedRows(agentId, async () => (await auditActions(target.db)).filter((a) => a === "agent.moved"), 0, 5);
    expect(moves).toHaveLength(1);
  });
});
