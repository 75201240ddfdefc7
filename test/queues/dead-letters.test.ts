import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger";
import type { WorkMessage } from "../../src/core/messages";
import { applyAttachmentRetention, applyDeadLetterRetention, ATTACHMENT_CURSOR_KEY } from "../../src/jobs/retention";
import { CRONS } from "../../src/jobs/scheduled";
import { consumeDeadLetters } from "../../src/queues/consumer";
import { DEAD_LETTER_PLAIN_MS, DEAD_LETTER_RETENTION_MS } from "../../src/queues/dead-letters";
import { shards } from "../../src/db/shards";
import { admin, createAgent } from "../support/agents";
import { flushedSql } from "../support/audit";
import { cronJobs, runJobs } from "../support/jobs";
import { agentShard } from "../support/shards";

const DAY = 86_400_000;

/** Dead-letter retention in every shard, its counts added up. */
async function retainEverywhere(now: number) {
  const total = { deadLettersDeleted: 0, payloadsDropped: 0 };
  for (const { db } of shards(env).all) {
    const done = await applyDeadLetterRetention(db, now);
    total.deadLettersDeleted += done.deadLettersDeleted;
    total.payloadsDropped += done.payloadsDropped;
  }
  return total;
}
const TEXT = "My card is 4242 4242 4242 4242, call me back on +1 415 555 0199 or write to jane.doe@example.com";

async function smsAgent(config: Record<string, unknown> = {}) {
  const accountSid = `AC${crypto.randomUUID().replaceAll("-", "")}`;
  return createAgent({ channels: [{ type: "sms", provider: "twilio", features: [] }], ...config }, { secrets: { http: "unused", twilio: { accountSid, authToken: "t" } } });
}

function smsWork(agentId: string): WorkMessage {
  return {
    type: "channel_message",
    message: { agentId, channel: "sms", deliveryId: `SM${crypto.randomUUID().replaceAll("-", "")}`, conversationKey: "+14155550100:+14155550199", sender: "+14155550199", text: TEXT, receivedAt: Date.now() },
    reply: { kind: "sms", from: "+14155550100", to: "+14155550199" },
  };
}

interface Row {
  id: string;
  agent_id: string | null;
  body: string;
  payload: string | null;
  replayed_at: number | null;
}

/** Runs the dead-letter consumer on one message that exhausted its retries; the row it kept. */
async function deadLetter(body: unknown, timestamp = new Date()): Promise<Row> {
  const id = `dlq-${crypto.randomUUID()}`;
  const batch = createMessageBatch("foreman-dlq", [{ id, timestamp, attempts: 6, body }]);
  await consumeDeadLetters(batch, env, silentLogger);
  for (const shard of shards(env).all) {
    const row = await shard.db.prepare("SELECT id, agent_id, body, payload, replayed_at FROM dead_letters WHERE id = ?").bind(id).first<Row>();
    if (!row) continue;
    // Kept in its agent's shard; one that names no agent, with the account-wide tables.
    expect(shard.name).toBe(row.agent_id ? (await agentShard(row.agent_id)).name : shards(env).all[0]!.name);
    return row;
  }
  throw new Error("no dead letter kept");
}

const RAW = ["4242 4242 4242 4242", "555 0199", "jane.doe@example.com", "+14155550199"];

describe("dead letters at rest", () => {
  it("seals the whole message and masks the listed copy when the agent encrypts", async () => {
    const agentId = await smsAgent({ audit: { compliance: { encryption: true } } });
    const row = await deadLetter(smsWork(agentId));
    expect(row.agent_id).toBe(agentId);
    expect(row.payload!.startsWith("enc:v1:")).toBe(true);
    for (const raw of RAW) {
      expect(row.body).not.toContain(raw);
      expect(row.payload).not.toContain(raw);
    }
    const kept = JSON.parse(row.body) as WorkMessage;
    expect(kept.message.agentId).toBe(agentId);
    expect(kept.message.text).toContain("[CARD");
    // Audited in the agent's trail, without the text.
    const [event] = await flushedSql<{ details: string }>(agentId, "SELECT details FROM audit_events WHERE agent_id = ? AND action = 'message.dead_lettered'");
    expect(JSON.parse(event!.details)).toMatchObject({ channel: "sms", attempts: 6, replayable: true });
    expect(event!.details).not.toContain("555");
  });

  it("masks the listed copy and keeps the plain message only 72 hours when the agent does not encrypt", async () => {
    const agentId = await smsAgent();
    const row = await deadLetter(smsWork(agentId), new Date(Date.now() - DEAD_LETTER_PLAIN_MS - 60_000));
    for (const raw of RAW) expect(row.body).not.toContain(raw);
    expect(JSON.parse(row.payload!)).toMatchObject({ message: { text: TEXT } });

    await retainEverywhere(Date.now());
    const after = await (await agentShard(agentId)).db.prepare("SELECT body, payload FROM dead_letters WHERE id = ?").bind(row.id).first<Row>();
    expect(after).toEqual({ body: row.body, payload: null });
    const listed = (await (await admin(`/v1/agents/${agentId}/dead-letters`)).json()) as { deadLetters: Array<{ id: string; replayable: boolean; reason?: string }> };
    expect(listed.deadLetters).toEqual([expect.objectContaining({ id: row.id, replayable: false, reason: expect.stringContaining("72 hours") })]);
  });

  it("keeps a sealed payload past 72 hours, and deletes every dead letter after 30 days unless its agent is on legal hold", async () => {
    const agentId = await smsAgent({ audit: { compliance: { encryption: true } } });
    const held = await smsAgent();
    const sealed = await deadLetter(smsWork(agentId), new Date(Date.now() - 4 * DAY));
    const old = await deadLetter(smsWork(agentId), new Date(Date.now() - DEAD_LETTER_RETENTION_MS - DAY));
    const oldHeld = await deadLetter(smsWork(held), new Date(Date.now() - DEAD_LETTER_RETENTION_MS - DAY));
    expect((await admin(`/v1/agents/${held}/legal-hold`, { method: "PUT", body: JSON.stringify({ reason: "dispute" }) })).status).toBe(200);

    const result = await retainEverywhere(Date.now());
    expect(result.deadLettersDeleted).toBeGreaterThanOrEqual(1);
    const left = async (id: string) => {
      for (const { db } of shards(env).all) {
        const row = await db.prepare("SELECT payload FROM dead_letters WHERE id = ?").bind(id).first<{ payload: string | null }>();
        if (row) return row;
      }
      return null;
    };
    expect((await left(sealed.id))?.payload).toBe(sealed.payload);
    expect(await left(old.id)).toBeNull();
    expect(await left(oldHeld.id)).not.toBeNull();
  });

  it("is applied by the hourly cron", async () => {
    const agentId = await smsAgent();
    const old = await deadLetter(smsWork(agentId), new Date(Date.now() - DEAD_LETTER_RETENTION_MS - DAY));
    await runJobs(cronJobs(CRONS.hourly, Date.now()));
    expect(await (await agentShard(agentId)).db.prepare("SELECT id FROM dead_letters WHERE id = ?").bind(old.id).first()).toBeNull();
  });

  it("keeps a malformed message masked, under no agent, and not replayable", async () => {
    const row = await deadLetter({ type: "channel_message", message: { text: TEXT } });
    expect(row.agent_id).toBeNull();
    expect(row.payload).toBeNull();
    for (const raw of RAW) expect(row.body).not.toContain(raw);
  });
});

describe("attachment retention", () => {
  it("deletes email attachments older than their agent's audit retention (90 days by default), none of an agent on legal hold", async () => {
    const short = await createAgent({ audit: { retention: { duration: "30d" } } });
    const long = await createAgent();
    const held = await createAgent({ audit: { retention: { duration: "30d" } } });
    expect((await admin(`/v1/agents/${held}/legal-hold`, { method: "PUT", body: JSON.stringify({ reason: "dispute" }) })).status).toBe(200);
    const gone = `gone-${crypto.randomUUID().slice(0, 8)}`;
    const key = (agentId: string) => `attachments/${agentId}/c0ffee/beef/receipt.pdf`;
    for (const agentId of [short, long, held, gone]) await env.WORKSPACE.put(key(agentId), "%PDF-1.7");
    await env.WORKSPACE.put(`workspaces/${short}/notes.md`, "tool files are not attachments");
    const exists = async (k: string) => (await env.WORKSPACE.head(k)) !== null;
    const deps = { dbs: shards(env).all.map((s) => s.db), bucket: env.WORKSPACE, kv: env.CACHE };

    await applyAttachmentRetention(deps, Date.now() + 31 * DAY);
    expect(await exists(key(short))).toBe(false);
    expect(await exists(key(long))).toBe(true);
    expect(await exists(key(held))).toBe(true);
    expect(await exists(key(gone))).toBe(true);

    await applyAttachmentRetention(deps, Date.now() + 91 * DAY);
    expect(await exists(key(long))).toBe(false);
    expect(await exists(key(gone))).toBe(false);
    expect(await exists(key(held))).toBe(true);
    expect(await exists(`workspaces/${short}/notes.md`)).toBe(true);
    // A run that reached the end of the bucket starts the next one from the beginning.
    expect(await env.CACHE.get(ATTACHMENT_CURSOR_KEY)).toBeNull();
  });
});
