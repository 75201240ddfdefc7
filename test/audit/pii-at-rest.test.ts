import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { archiveAuditEvents } from "../../src/audit/archive";
import { flushOutbox, Outbox } from "../../src/audit/outbox";
import { archiveDeps } from "../../src/jobs/scheduled";
import { clockedApp, createAgent, sendHttp } from "../support/agents";
import { scriptModel } from "../support/model";
import { flushUntil, stateOf, storedEvents, verify } from "./helpers";
import { shardDb } from "../support/shards";

const EMAIL = "ana.perez@example.com";
const CARD = "4242 4242 4242 4242";
const PHONE = "+44 20 7946 0958";
const DAY = 86_400_000;

describe("PII at rest", () => {
  it("keeps an email, a card and a phone number of a message out of D1, the R2 archive and the caches", async () => {
    const start = Math.floor(Date.now() / DAY) * DAY - 2 * DAY + 9 * 3_600_000;
    const { target } = clockedApp(start);
    const agentId = await createAgent({ trust: { initial: 0.5 }, audit: { level: "detailed" } }, {}, target);
    const text = `Please update my details: ${EMAIL}, card ${CARD}, phone ${PHONE}`;
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "customers/ana.md", content: text } }] },
      { type: "text", text: `Updated: ${EMAIL}, ${PHONE}.` },
      { type: "text", text: "Opening hours are 9 to 5." },
    ]);
    const res = await sendHttp(agentId, { id: "pii-1", conversation: "pii-c", from: "ana", text }, { target });
    expect(res.status).toBe(200);
    // A question without PII is cached, to show the caches are written at all.
    expect((await sendHttp(agentId, { id: "pii-2", conversation: "pii-d", from: "bo", text: "When do you open?" }, { target })).status).toBe(200);
    await flushUntil(agentId, 4);

    const db = await shardDb(agentId);
    const d1 = JSON.stringify(
      (await db.prepare("SELECT * FROM audit_events WHERE agent_id = ?").bind(agentId).all()).results,
    ) + JSON.stringify((await db.prepare("SELECT * FROM interactions WHERE agent_id = ?").bind(agentId).all()).results);
    expect(d1).toContain("[EMAIL]");

    const deps = archiveDeps(env, await shardDb(agentId));
    for (let page = await archiveAuditEvents(deps, Date.now()); page.digests.length > 0; page = await archiveAuditEvents(deps, Date.now()));
    const listed = await env.AUDIT_BUCKET.list({ prefix: `audit/${agentId}/` });
    expect(listed.objects.length).toBeGreaterThan(0);
    let r2 = "";
    for (const o of listed.objects) r2 += await (await env.AUDIT_BUCKET.get(o.key))!.text();
    expect(r2).toContain("tool.called");

    const keys = await env.CACHE.list({ prefix: `x:${agentId}:` });
    expect(keys.keys.length).toBe(1);
    let kv = "";
    for (const k of keys.keys) kv += (await env.CACHE.get(k.name)) ?? "";
    expect(kv).toContain("9 to 5");

    for (const stored of [d1, r2, kv]) {
      for (const raw of [EMAIL, CARD, "4242424242424242", PHONE, "7946 0958"]) expect(stored).not.toContain(raw);
    }
  });

  it("loses no audit event when the D1 write fails once: the entries wait in the outbox for the next flush", async () => {
    // Audit off: only the entries added here are in the outbox, not the agent's creation.
    const agentId = await createAgent({ audit: { enabled: false } });
    const db = await shardDb(agentId);
    await runInDurableObject(stateOf(agentId), async (_instance, state) => {
      await state.storage.deleteAlarm();
      const outbox = new Outbox(state.storage);
      for (const n of [1, 2, 3]) {
        outbox.add({ kind: "audit", body: { id: crypto.randomUUID(), agentId, at: Date.now() + n, actor: "system", action: "webhook.rejected", resource: "http", decision: "denied", details: { n } } });
      }
      const pending = outbox.size();
      expect(pending).toBe(3);
      const failing = {
        ...db,
        prepare: db.prepare.bind(db),
        batch: async () => {
          throw new Error("D1_ERROR: simulated outage");
        },
      } as unknown as D1Database;
      await expect(flushOutbox(outbox, failing)).rejects.toThrow("simulated outage");
      expect(outbox.size()).toBe(pending);
      await flushOutbox(outbox, db);
      expect(outbox.size()).toBe(0);
    });
    expect((await storedEvents(agentId)).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await verify(agentId)).toMatchObject({ ok: true });
  });
});
