import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { flushOutbox, Outbox } from "../../src/audit/outbox";
import type { Alert, AuditEvent } from "../../src/core/types";
import { createAgent } from "../support/agents";
import { fiveEvents, flushUntil, produce, stateOf, storedEvents, verify } from "./helpers";
import { shardDb } from "../support/shards";

function auditEvent(agentId: string, n: number): AuditEvent {
  return { id: crypto.randomUUID(), agentId, at: Date.now() - 60_000 + n, actor: "system", action: "test.flushed", resource: "outbox", decision: "recorded", details: { n } };
}

function alert(agentId: string): Alert {
  return { id: crypto.randomUUID(), agentId, at: Date.now(), type: "unusual_activity", message: "test", details: {} };
}

const alertCount = async (agentId: string) =>
  (await (await shardDb(agentId)).prepare("SELECT COUNT(*) AS n FROM alerts WHERE agent_id = ?").bind(agentId).first<{ n: number }>())!.n;

describe("flushing the outbox into the chain", () => {
  it("repeats a flush after a crash between D1 accepting and the head advancing without duplicating anything", async () => {
    const agentId = await createAgent();
    const db = await shardDb(agentId);
    await fiveEvents(agentId);
    const alertsBefore = await alertCount(agentId);
    await runInDurableObject(stateOf(agentId), async (_instance, state) => {
      await state.storage.deleteAlarm();
      const sql = state.storage.sql;
      const outbox = new Outbox(state.storage);
      for (const n of [1, 2, 3]) outbox.add({ kind: "audit", body: auditEvent(agentId, n) });
      outbox.add({ kind: "alert", body: alert(agentId) });
      const saved = sql.exec<{ seq: number; kind: string; body: string }>("SELECT seq, kind, body FROM outbox").toArray();
      const headBefore = outbox.head();
      // The agent's creation and five events.
      expect(headBefore.seq).toBe(6);

      await flushOutbox(outbox, db);
      const headAfter = outbox.head();
      // The crash: the transaction deleting the entries and moving the head is lost; D1 kept the rows.
      for (const row of saved) sql.exec("INSERT INTO outbox (seq, kind, body) VALUES (?, ?, ?)", row.seq, row.kind, row.body);
      sql.exec("UPDATE audit_chain SET seq = ?, hash = ? WHERE id = 1", headBefore.seq, headBefore.hash);

      await flushOutbox(outbox, db);
      expect(outbox.head()).toEqual(headAfter);
      expect(headAfter.seq).toBe(9);
      expect(outbox.size()).toBe(0);
    });
    const rows = await storedEvents(agentId);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await alertCount(agentId)).toBe(alertsBefore + 1);
    expect(await verify(agentId)).toMatchObject({ checked: 9, ok: true });

    // The head is the stored chain's end: the next real event links to event 9.
    await produce(agentId, ["rejected"], Date.now());
    await flushUntil(agentId, 10);
    expect((await storedEvents(agentId))[9]).toMatchObject({ seq: 10, prev_hash: rows[8]!.hash });
    expect(await verify(agentId)).toMatchObject({ checked: 10, ok: true });
  });

  it("lets overlapping flushes neither move the head backwards nor deliver an alert twice", async () => {
    // Audit off: not even the agent's creation is in the outbox, only the entries added here.
    const agentId = await createAgent({ audit: { enabled: false } });
    const db = await shardDb(agentId);
    const delivered = await runInDurableObject(stateOf(agentId), async (_instance, state) => {
      await state.storage.deleteAlarm();
      const outbox = new Outbox(state.storage);
      for (let n = 1; n <= 120; n++) {
        outbox.add({ kind: "audit", body: auditEvent(agentId, n) });
        if (n % 50 === 1) outbox.add({ kind: "alert", body: alert(agentId) });
      }
      const [a, b] = await Promise.all([flushOutbox(outbox, db), flushOutbox(outbox, db)]);
      expect(outbox.head().seq).toBe(120);
      expect(outbox.size()).toBe(0);
      return [...a, ...b].map((x) => x.id);
    });
    expect(delivered).toHaveLength(3);
    expect(new Set(delivered).size).toBe(3);
    expect((await storedEvents(agentId)).map((r) => r.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(await verify(agentId)).toMatchObject({ checked: 120, ok: true });
  });

  it("links a row the version before the chain stored just before a crash, instead of skipping it", async () => {
    const agentId = await createAgent({ audit: { enabled: false } });
    const db = await shardDb(agentId);
    const event = auditEvent(agentId, 1);
    await db.prepare(
      "INSERT INTO audit_events (id, agent_id, at, actor, action, resource, decision, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
      .bind(event.id, agentId, event.at, event.actor, event.action, event.resource, event.decision, JSON.stringify(event.details))
      .run();
    await runInDurableObject(stateOf(agentId), async (_instance, state) => {
      const outbox = new Outbox(state.storage);
      outbox.add({ kind: "audit", body: event });
      await flushOutbox(outbox, db);
    });
    expect(await storedEvents(agentId)).toMatchObject([{ id: event.id, seq: 1 }]);
    expect(await verify(agentId)).toMatchObject({ checked: 1, ok: true, unchained: 0 });
  });

  it("refuses, keeping the entries, when the head went backwards and a seq is already taken", async () => {
    const agentId = await createAgent();
    const db = await shardDb(agentId);
    await fiveEvents(agentId);
    await runInDurableObject(stateOf(agentId), async (_instance, state) => {
      await state.storage.deleteAlarm();
      const outbox = new Outbox(state.storage);
      const head = outbox.head();
      const fourth = (await storedEvents(agentId))[3]!;
      state.storage.sql.exec("UPDATE audit_chain SET seq = 4, hash = ? WHERE id = 1", fourth.hash);
      outbox.add({ kind: "audit", body: auditEvent(agentId, 1) });
      await expect(flushOutbox(outbox, db)).rejects.toThrow(/UNIQUE/);
      expect(outbox.size()).toBe(1);
      expect(outbox.head().seq).toBe(4);

      state.storage.sql.exec("UPDATE audit_chain SET seq = ?, hash = ? WHERE id = 1", head.seq, head.hash);
      await flushOutbox(outbox, db);
    });
    expect(await verify(agentId)).toMatchObject({ checked: 7, ok: true });
  });
});
