import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { describe, expect, it, vi } from "vitest";
import { applyRetention, archiveAuditEvents } from "../../src/audit/archive";
import { canonicalJSON, eventHash, GENESIS_HASH } from "../../src/audit/chain";
import { sha256Hex } from "../../src/core/crypto";
import { archiveDeps } from "../../src/jobs/scheduled";
import { admin, clockedApp, createAgent } from "../support/agents";
import { flushUntil, produce, storedEvents, verify } from "./helpers";
import { shardDb } from "../support/shards";
import { shards } from "../../src/db/shards";

const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const deps = (db: D1Database) => archiveDeps(env, db);

/** Archives until nothing closed is left. */
async function archiveAll(now = Date.now()) {
  const all = [];
  for (const { db } of shards(env).all) {
    for (let page = await archiveAuditEvents(deps(db), now); page.digests.length > 0; page = await archiveAuditEvents(deps(db), now)) all.push(...page.digests);
  }
  return all;
}

/** Audit retention in every shard. */
async function retainAll(now: number) {
  for (const { db } of shards(env).all) await applyRetention(deps(db), now);
}

/**
 * An agent created 3 days ago, with two closed days of events (3, 2 days ago) and one event
 * today: 5 events, its `agent.created` first.
 */
async function agentWithHistory(config: Record<string, unknown> = {}) {
  const agentId = await createAgent(config, {}, clockedApp(today - 3 * DAY + 9 * 3_600_000).target);
  await produce(agentId, ["rejected", 0.5], today - 3 * DAY + 10 * 3_600_000);
  await produce(agentId, ["rejected"], today - 2 * DAY + 10 * 3_600_000);
  await produce(agentId, ["rejected"], Date.now() - 60_000);
  await flushUntil(agentId, 5);
  return agentId;
}

const archivesOf = async (agentId: string) =>
  (await (await shardDb(agentId)).prepare("SELECT * FROM audit_archives WHERE agent_id = ? ORDER BY first_seq").bind(agentId).all<Record<string, unknown>>()).results;

describe("audit archive in R2", () => {
  it("writes one JSON Lines object per closed day, each event's hash intact, digests chained, today left alone", async () => {
    const agentId = await agentWithHistory();
    const written = (await archiveAll()).filter((d) => d.agentId === agentId);
    expect(written.map((d) => [d.firstSeq, d.lastSeq, d.count])).toEqual([
      [1, 3, 3],
      [4, 4, 1],
    ]);
    const rows = await archivesOf(agentId);
    expect(rows).toHaveLength(2);
    let previous = GENESIS_HASH;
    for (const row of rows) {
      const object = await env.AUDIT_BUCKET.get(row.object_key as string);
      const body = await object!.text();
      expect(await sha256Hex(body)).toBe(row.object_sha256);
      for (const line of body.trim().split("\n")) {
        const event = JSON.parse(line) as Parameters<typeof eventHash>[1] & { prevHash: string; hash: string };
        const { prevHash, hash, ...fields } = event;
        expect(await eventHash(prevHash, fields)).toBe(hash);
      }
      const digest = await (await env.AUDIT_BUCKET.get(row.digest_key as string))!.text();
      expect(await sha256Hex(digest)).toBe(row.digest_sha256);
      expect(JSON.parse(digest).previousDigestSha256).toBe(previous);
      expect(canonicalJSON(JSON.parse(digest))).toBe(digest);
      previous = row.digest_sha256 as string;
    }
    // Idempotent: nothing more to write, and today's event stays in D1 only.
    expect((await archiveAll()).filter((d) => d.agentId === agentId)).toEqual([]);
    expect(await archivesOf(agentId)).toHaveLength(2);
  });

  it("archives up to a gap in the chain, never across it, and still archives other agents", async () => {
    const broken = await agentWithHistory();
    const fine = await agentWithHistory();
    await (await shardDb(broken)).prepare("DELETE FROM audit_events WHERE agent_id = ? AND seq = 3").bind(broken).run();
    await archiveAll();
    // Seq 1-2 close day one on their own; seq 4 follows the deleted seq 3 and is never archived.
    expect((await archivesOf(broken)).map((r) => [r.first_seq, r.last_seq])).toEqual([[1, 2]]);
    expect(await archivesOf(fine)).toHaveLength(2);
  });
});

describe("archive pages", () => {
  it("covers agents a page at a time, and a page that runs out of events stops inside an agent for the next page to finish", async () => {
    const a = await agentWithHistory();
    const b = await agentWithHistory();
    const [first, second] = [a, b].sort();
    // A budget of one event: the page stops inside its agents, and the next page starts where it did.
    const tight = { limit: 100, maxEvents: 1 };
    const db = await shardDb(a);
    const page1 = await archiveAuditEvents(deps(db), Date.now(), { after: "", ...tight });
    expect(page1.digests.length).toBeGreaterThanOrEqual(1);
    expect(page1.next).not.toBeNull();
    const page2 = await archiveAuditEvents(deps(db), Date.now(), { after: page1.next!, ...tight });
    expect(page2.digests.length).toBeGreaterThanOrEqual(1);
    expect(page2.digests.map((d) => `${d.agentId}:${d.firstSeq}`)).not.toContain(`${page1.digests[0]!.agentId}:${page1.digests[0]!.firstSeq}`);
    // A page of one agent names that agent as where the next one starts.
    const one = await archiveAuditEvents(deps(db), Date.now(), { after: "", limit: 1, maxEvents: 1_000_000 });
    expect(one.next).not.toBeNull();
    await archiveAll();
    for (const agentId of [first!, second!]) expect((await archivesOf(agentId)).map((r) => r.last_seq)).toEqual([3, 4]);
  });
});

describe("the cron job", () => {
  it("archives closed days when the scheduled handler runs", async () => {
    const agentId = await agentWithHistory();
    // The cron only enqueues; the jobs queue's consumer archives.
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "5 * * * *" }), env);
    await vi.waitFor(async () => expect((await archivesOf(agentId)).map((r) => r.last_seq)).toEqual([3, 4]), { timeout: 20_000, interval: 100 });
  });
});

describe("audit retention", () => {
  it("deletes archived events from D1 and expired objects from R2, audits the deletion, and the chain still verifies", async () => {
    const agentId = await agentWithHistory({ audit: { retention: { duration: "1d" } } });
    await archiveAll();
    const [first] = await archivesOf(agentId);
    const result = await applyRetention(deps(await shardDb(agentId)), Date.now());
    expect(result.objectsDeleted).toBeGreaterThanOrEqual(2);
    expect((await storedEvents(agentId)).map((e) => e.seq)).toEqual([5]);
    expect(await env.AUDIT_BUCKET.get(first!.object_key as string)).toBeNull();
    expect((await archivesOf(agentId)).every((r) => typeof r.deleted_at === "number")).toBe(true);
    await flushUntil(agentId, 3);
    const actions = (await storedEvents(agentId)).map((e) => e.action);
    expect(actions.filter((a) => a === "archive.deleted")).toHaveLength(2);
    const checked = await verify(agentId);
    expect(checked).toMatchObject({ ok: true, firstSeq: 5, firstBroken: null });
  });

  it("deletes nothing of an agent under legal hold, and nothing not yet archived", async () => {
    const held = await agentWithHistory({ audit: { retention: { duration: "1d" } } });
    const unarchived = await agentWithHistory({ audit: { retention: { duration: "1d" } } });
    await archiveAll();
    await (await shardDb(held)).prepare("INSERT INTO legal_holds (agent_id, reason, actor, at) VALUES (?, 'litigation', 'admin:test', ?)").bind(held, Date.now()).run();
    await (await shardDb(unarchived)).prepare("DELETE FROM audit_archives WHERE agent_id = ?").bind(unarchived).run();
    await retainAll(Date.now());
    expect(await storedEvents(held)).toHaveLength(5);
    expect((await archivesOf(held)).every((r) => r.deleted_at === null)).toBe(true);
    expect(await storedEvents(unarchived)).toHaveLength(5);
  });
});

describe("legal hold", () => {
  it("is placed, shown, lifted and audited through the admin API, and stops retention while placed", async () => {
    const agentId = await agentWithHistory({ audit: { retention: { duration: "1d" } } });
    await archiveAll();
    const path = `/v1/agents/${agentId}/legal-hold`;
    expect((await admin(path, { method: "PUT", body: JSON.stringify({ reason: "" }) })).status).toBe(400);
    expect((await admin(path, { method: "PUT", body: "not json" })).status).toBe(400);
    expect((await admin(path, { method: "PUT", body: JSON.stringify({ reason: "court order 12" }), token: "wrong" })).status).toBe(401);
    const placed = await admin(path, { method: "PUT", body: JSON.stringify({ reason: "court order 12" }) });
    expect(await placed.json()).toMatchObject({ agentId, held: true, reason: "court order 12" });
    expect(await (await admin(path)).json()).toMatchObject({ held: true, reason: "court order 12" });

    const upToFive = async () => (await storedEvents(agentId)).filter((e) => (e.seq ?? 0) <= 5).map((e) => e.seq);
    await retainAll(Date.now());
    expect(await upToFive()).toEqual([1, 2, 3, 4, 5]);

    expect(await (await admin(path, { method: "DELETE" })).json()).toEqual({ agentId, held: false });
    await retainAll(Date.now());
    expect(await upToFive()).toEqual([5]);
    await flushUntil(agentId, 5);
    const actions = (await storedEvents(agentId)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["legal_hold.placed", "legal_hold.lifted", "archive.deleted"]));
    expect((await admin(`/v1/agents/nobody-${crypto.randomUUID().slice(0, 6)}/legal-hold`)).status).toBe(404);
  });
});
