import { describe, expect, it } from "vitest";
import { eventHash, GENESIS_HASH } from "../../src/audit/chain";
import { admin, createAgent } from "../support/agents";
import { fiveEvents, flushUntil, produce, storedEvents, verify } from "./helpers";
import { shardDb } from "../support/shards";

/** Runs a statement in the agent's shard (tampering with its stored events). */
const sql = async (agentId: string, query: string, ...binds: unknown[]) => (await shardDb(agentId)).prepare(query).bind(...binds).run();

describe("GET /v1/agents/:agentId/audit/verify", () => {
  it("verifies the chain of real events: seq 1..n without gaps, each linked to the one before", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const rows = await storedEvents(agentId);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows.map((r) => r.action)).toEqual(["agent.created", "webhook.rejected", "trust.changed", "webhook.rejected", "trust.changed", "webhook.rejected"]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    // Alerts travel in the same outbox but are not chained.
    const alerts = await (await shardDb(agentId)).prepare("SELECT COUNT(*) AS n FROM alerts WHERE agent_id = ?").bind(agentId).first<{ n: number }>();
    expect(alerts?.n).toBeGreaterThan(0);

    expect(await verify(agentId)).toMatchObject({ agentId, checked: 6, firstSeq: 1, lastSeq: 6, ok: true, firstBroken: null, unchained: 0 });
  });

  it("detects an event edited in D1 as hash_mismatch at its seq", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    await sql(agentId, `UPDATE audit_events SET details = '{"reason":"nothing to see"}' WHERE agent_id = ? AND seq = 3`, agentId);
    const { id } = (await storedEvents(agentId))[2]!;
    expect(await verify(agentId)).toMatchObject({ ok: false, firstBroken: { seq: 3, id, reason: "hash_mismatch" }, checked: 3 });
  });

  it("detects a deleted event as missing_seq", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    await sql(agentId, "DELETE FROM audit_events WHERE agent_id = ? AND seq = 3", agentId);
    expect(await verify(agentId)).toMatchObject({ ok: false, firstBroken: { seq: 3, id: null, reason: "missing_seq" } });
  });

  it("detects a deleted first event when verifying the whole chain", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    await sql(agentId, "DELETE FROM audit_events WHERE agent_id = ? AND seq = 1", agentId);
    expect(await verify(agentId)).toMatchObject({ ok: false, firstSeq: 1, firstBroken: { seq: 1, id: null, reason: "missing_seq" } });
  });

  it("detects two events swapped in order as out_of_order", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const third = (await storedEvents(agentId))[2]!;
    await sql(agentId, "UPDATE audit_events SET seq = -1 WHERE agent_id = ? AND seq = 2", agentId);
    await sql(agentId, "UPDATE audit_events SET seq = 2 WHERE agent_id = ? AND seq = 3", agentId);
    await sql(agentId, "UPDATE audit_events SET seq = 3 WHERE agent_id = ? AND seq = -1", agentId);
    expect(await verify(agentId)).toMatchObject({ ok: false, firstBroken: { seq: 2, id: third.id, reason: "out_of_order" } });
  });

  it("detects an edited event whose hash was recomputed, at the next link, as prev_mismatch", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const row = await (await shardDb(agentId)).prepare("SELECT * FROM audit_events WHERE agent_id = ? AND seq = 3").bind(agentId).first<{ id: string; at: number; actor: string; action: string; resource: string; decision: "changed"; details: string; prev_hash: string }>();
    const forged = {
      id: row!.id,
      agentId,
      seq: 3,
      at: row!.at,
      actor: row!.actor,
      action: row!.action,
      resource: row!.resource,
      decision: row!.decision,
      details: { ...JSON.parse(row!.details), reason: "approved by the CEO" },
    };
    const hash = await eventHash(row!.prev_hash, forged);
    await sql(agentId, "UPDATE audit_events SET details = ?, hash = ? WHERE id = ?", JSON.stringify(forged.details), hash, forged.id);
    const { id } = (await storedEvents(agentId))[3]!;
    expect(await verify(agentId)).toMatchObject({ ok: false, firstBroken: { seq: 4, id, reason: "prev_mismatch" } });
  });

  it("detects the newest events deleted, against the head the agent's object holds", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    await sql(agentId, "DELETE FROM audit_events WHERE agent_id = ? AND seq >= 4", agentId);
    expect(await verify(agentId)).toMatchObject({ ok: false, lastSeq: 3, firstBroken: { seq: 4, id: null, reason: "missing_seq" } });
    // A range that ends before now cannot know the head, and stays intact.
    expect(await verify(agentId, `?to=${Date.now()}`)).toMatchObject({ ok: true });
  });

  it("detects the newest event edited and re-hashed, against the head", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const row = await (await shardDb(agentId)).prepare("SELECT * FROM audit_events WHERE agent_id = ? AND seq = 6").bind(agentId).first<{ id: string; at: number; actor: string; action: string; resource: string; decision: "denied"; details: string; prev_hash: string; request_id: string | null }>();
    const forged = {
      id: row!.id,
      agentId,
      seq: 6,
      at: row!.at,
      actor: row!.actor,
      action: row!.action,
      resource: row!.resource,
      decision: row!.decision,
      details: { reason: "nothing happened" },
      ...(row!.request_id ? { requestId: row!.request_id } : {}),
    };
    await sql(agentId, "UPDATE audit_events SET details = ?, hash = ? WHERE id = ?", JSON.stringify(forged.details), await eventHash(row!.prev_hash, forged), forged.id);
    expect(await verify(agentId)).toMatchObject({ ok: false, firstBroken: { seq: 6, id: null, reason: "hash_mismatch" } });
  });

  it("counts rows from before the chain as unchained and verifies the chain after them", async () => {
    const agentId = await createAgent();
    await sql(
      agentId,
      `INSERT INTO audit_events (id, agent_id, at, actor, action, resource, decision, details) VALUES (?, ?, ?, 'system', 'trust.changed', 'trust', 'changed', '{}')`,
      crypto.randomUUID(),
      agentId,
      Date.now() - 60_000,
    );
    await fiveEvents(agentId);
    expect(await verify(agentId)).toMatchObject({ checked: 6, firstSeq: 1, lastSeq: 6, ok: true, unchained: 1 });
  });

  it("verifies a time range that starts mid-chain from its first event's prevHash", async () => {
    const start = Date.UTC(2026, 0, 1, 9);
    const agentId = await createAgent();
    await produce(agentId, ["rejected", 0.5, "rejected", 0.7, "rejected"], start);
    // Seq 1 is the agent's creation; the five events are seq 2-6.
    await flushUntil(agentId, 6);
    const from = new Date(start + 2_000).toISOString();
    const to = new Date(start + 3_000).toISOString();
    expect(await verify(agentId, `?from=${from}&to=${to}`)).toMatchObject({ from, to, checked: 2, firstSeq: 4, lastSeq: 5, ok: true });
    // Edits outside the range do not concern it; an edit of its first event does.
    await sql(agentId, `UPDATE audit_events SET actor = 'someone else' WHERE agent_id = ? AND seq IN (2, 6)`, agentId);
    expect((await verify(agentId, `?from=${from}&to=${to}`)).ok).toBe(true);
    await sql(agentId, `UPDATE audit_events SET actor = 'someone else' WHERE agent_id = ? AND seq = 4`, agentId);
    expect((await verify(agentId, `?from=${from}&to=${to}`)).firstBroken).toMatchObject({ seq: 4, reason: "hash_mismatch" });
  });

  it("answers an agent without events with an empty, intact range", async () => {
    // With audit off not even its creation is recorded.
    const agentId = await createAgent({ audit: { enabled: false } });
    expect(await verify(agentId)).toMatchObject({ checked: 0, firstSeq: null, lastSeq: null, ok: true, firstBroken: null, unchained: 0 });
  });

  it("answers 400 for garbage or inverted ranges, 404 for an unknown agent, 401 without the admin token", async () => {
    const agentId = await createAgent();
    for (const query of ["?from=yesterday", "?to=2026-13-45", "?from=2026-02-01&to=2026-01-01", "?to=99999999999999999"]) {
      const res = await admin(`/v1/agents/${agentId}/audit/verify${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    }
    expect((await admin("/v1/agents/nobody-here/audit/verify")).status).toBe(404);
    expect((await admin(`/v1/agents/${agentId}/audit/verify`, { token: "wrong" })).status).toBe(401);
    expect((await admin(`/v1/agents/${agentId}/audit/verify`, { token: null })).status).toBe(401);
  });
});
