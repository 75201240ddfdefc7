import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { admin, clockedApp, sendHttp, settled, type Target } from "../support/agents";
import { shardDb } from "../support/shards";

export const stateOf = (agentId: string) => env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A webhook refused for its signature: one `webhook.rejected` event. */
export async function rejectedWebhook(agentId: string, target: Target = settled): Promise<void> {
  const res = await sendHttp(agentId, { id: crypto.randomUUID(), conversation: "c", from: "u", text: "hi" }, { secret: "not-the-secret", target });
  expect(res.status).toBe(401);
}

/** An operator setting the trust level: one `trust.changed` event (and, rising a tier, an alert). */
export async function trustSet(agentId: string, level: number, target?: Target): Promise<void> {
  const res = await admin(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level, reason: "t" }), target });
  expect(res.status).toBe(200);
}

/** Events of the agent in D1, in chain order. */
export async function storedEvents(agentId: string) {
  const { results } = await (await shardDb(agentId)).prepare("SELECT id, seq, at, action, prev_hash, hash FROM audit_events WHERE agent_id = ? ORDER BY seq")
    .bind(agentId)
    .all<{ id: string; seq: number | null; at: number; action: string; prev_hash: string | null; hash: string | null }>();
  return results;
}

/** Runs the agent's alarm until D1 holds `count` of its events (the events arrive through waitUntil). */
export async function flushUntil(agentId: string, count: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await runDurableObjectAlarm(stateOf(agentId));
    if ((await storedEvents(agentId)).length >= count) return;
    await sleep(20);
  }
  throw new Error(`D1 never held ${count} audit events of ${agentId}`);
}

/**
 * Real events through the app, one a second on a hand-moved clock from `start` (so their order in
 * time is their order in the chain): "rejected" is a refused webhook, a number a trust level set.
 */
export async function produce(agentId: string, steps: Array<"rejected" | number>, start: number): Promise<void> {
  const { clock, target } = clockedApp(start);
  for (const step of steps) {
    await (step === "rejected" ? rejectedWebhook(agentId, target) : trustSet(agentId, step, target));
    clock.advance(1_000);
  }
}

/**
 * Five real events, seq 2-6, ten minutes ago: rejected, trust 0.5, rejected, trust 0.7, rejected
 * (seq 1 is the agent's `agent.created`, at its creation).
 */
export async function fiveEvents(agentId: string): Promise<void> {
  await produce(agentId, ["rejected", 0.5, "rejected", 0.7, "rejected"], Date.now() - 10 * 60_000);
  await flushUntil(agentId, 6);
}

export interface VerifyBody {
  agentId: string;
  from: string;
  to: string;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  ok: boolean;
  firstBroken: null | { seq: number; id: string | null; reason: string };
  unchained: number;
}

export async function verify(agentId: string, query = "", target?: Target): Promise<VerifyBody> {
  const res = await admin(`/v1/agents/${agentId}/audit/verify${query}`, { target });
  expect(res.status).toBe(200);
  return (await res.json()) as VerifyBody;
}
