import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleEmail } from "../../src/channels/email/handler";
import { systemClock } from "../../src/core/clock";
import type { WorkMessage } from "../../src/core/messages";
import { forgetAgent } from "../../src/state/agent-directory";
import { createAgent, type HttpReply, sendHttp } from "../support/agents";
import { customerMail, emailAgent, inbound } from "../support/email";
import { scriptModel } from "../support/model";
import { verify } from "../audit/helpers";
import { appOver, capturedLogger, d1FailingOnce, envWith, failingOnce } from "./support";
import { agentShard, shardDb } from "../support/shards";

const stateOf = (agentId: string) => env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
const outboxSize = (agentId: string) =>
  runInDurableObject(stateOf(agentId), (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n);
const eventsInD1 = async (agentId: string) =>
  (await (await shardDb(agentId)).prepare("SELECT COUNT(*) AS n FROM audit_events WHERE agent_id = ?").bind(agentId).first<{ n: number }>())!.n;

/** Runs the agent object's alarm with its shard's D1 binding swapped for `db`, then puts the real one back. */
async function alarmWithDb(agentId: string, db: D1Database): Promise<unknown> {
  let failure: unknown;
  const shard = await agentShard(agentId);
  const stub = stateOf(agentId);
  await runInDurableObject(stub, async (instance, state) => {
    const holder = instance as unknown as { env: Env };
    const real = holder.env;
    holder.env = envWith({ [shard.name]: db });
    try {
      await instance.alarm();
    } catch (err) {
      failure = err;
    } finally {
      holder.env = real;
      await state.storage.deleteAlarm();
    }
  });
  return failure;
}

describe("D1 failing once while the agent's alarm flushes the audit outbox", () => {
  it("keeps every event in the outbox, and the next alarm moves them all to D1 with the chain intact", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "text", text: "We open at nine." }]);
    // Nothing flushed yet: the alarm is taken off before the message, so the outbox fills.
    await runInDurableObject(stateOf(agentId), (_i, state) => state.storage.deleteAlarm());
    await runDurableObjectAlarm(stateOf(agentId));
    const before = await eventsInD1(agentId);
    const res = await sendHttp(agentId, { id: "a-1", conversation: "ac-1", from: "customer", text: "When do you open?" }, { target: appOver(env, capturedLogger().logger) });
    expect(res.status).toBe(200);
    await runInDurableObject(stateOf(agentId), (_i, state) => state.storage.deleteAlarm());
    const pending = await outboxSize(agentId);
    expect(pending).toBeGreaterThan(0);

    const shard = await agentShard(agentId);
    const failing = d1FailingOnce(shard.db);
    // The alarm handler throws: the runtime retries it, and the next run below is that retry.
    expect(String(await alarmWithDb(agentId, failing.binding))).toMatch(/injected fault/);
    expect(failing.failures()).toBe(1);
    expect(await outboxSize(agentId)).toBe(pending);
    expect(await eventsInD1(agentId)).toBe(before);

    expect(await alarmWithDb(agentId, shard.db)).toBeUndefined();
    expect(await outboxSize(agentId)).toBe(0);
    expect(await eventsInD1(agentId)).toBe(before + pending);
    expect(await verify(agentId)).toMatchObject({ ok: true, firstBroken: null, unchained: 0 });
  });
});

describe("D1 failing once on a webhook whose agent is not in KV", () => {
  it("still answers the customer (the directory's D1 read is tried again)", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "text", text: "Yes." }]);
    const shard = await agentShard(agentId);
    await forgetAgent(env, agentId);
    const failing = d1FailingOnce(shard.db);
    const res = await sendHttp(agentId, { id: "d-1", conversation: "dc-1", from: "customer", text: "Open today?" }, { target: appOver(envWith({ [shard.name]: failing.binding }), capturedLogger().logger) });
    expect(failing.failures()).toBe(1);
    expect(res.status).toBe(200);
    expect(((await res.json()) as HttpReply).text).toBe("Yes.");
  });
});

describe("R2 failing once while an email's attachment is kept", () => {
  it("fails the delivery (the sending server retries) having queued nothing, and the retry keeps the attachment and queues the message", async () => {
    const agentId = await emailAgent();
    const raw = customerMail({ messageId: "<r2-fault@example.org>", text: "Here is my order.", to: `${agentId}@shop.example`, attachment: true });
    const r2 = failingOnce(env.WORKSPACE, "put");
    const queued: WorkMessage[] = [];
    const deps = { env: envWith({ WORKSPACE: r2.binding }), queue: { send: async (m: WorkMessage) => void queued.push(m) }, clock: systemClock };
    const first = inbound(raw, { from: "ana@example.org", to: `${agentId}@shop.example` });
    await expect(handleEmail(first.message, deps)).rejects.toThrow(/injected fault/);
    expect(r2.failures()).toBe(1);
    expect(queued).toHaveLength(0);

    const retry = inbound(raw, { from: "ana@example.org", to: `${agentId}@shop.example` });
    await handleEmail(retry.message, deps);
    expect(queued).toHaveLength(1);
    expect(queued[0]!.message.attachments?.[0]?.ref).toMatch(/^attachments\//);
    const listed = await env.WORKSPACE.list({ prefix: `attachments/${agentId}/` });
    expect(listed.objects).toHaveLength(1);
  });
});
