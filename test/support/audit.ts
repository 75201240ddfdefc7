import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardDb } from "./shards";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the agent's alarm, which flushes its outbox of audit events and alerts to D1, until
 * `query` returns at least `atLeast` rows (or `tries` runs pass), and returns the last result.
 * With `atLeast` 0 it flushes `tries` times, to show that nothing arrives.
 */
export async function flushedRows<T>(agentId: string, query: () => Promise<T[]>, atLeast = 1, tries = 20): Promise<T[]> {
  const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
  for (let i = 0; i < tries; i++) {
    await runDurableObjectAlarm(stub);
    if (atLeast > 0 && (await query()).length >= atLeast) break;
    await sleep(25);
  }
  return query();
}

/** Rows of a D1 statement bound to the agent id (and more values), after flushing its outbox. */
export async function flushedSql<T = Record<string, unknown>>(agentId: string, sql: string, binds: unknown[] = [], atLeast = 1): Promise<T[]> {
  return flushedRows(agentId, async () => (await (await shardDb(agentId)).prepare(sql).bind(agentId, ...binds).all<T>()).results, atLeast);
}

/**
 * Flushes the agent's outbox, then waits (up to `timeoutMs`) until the `alerts` queue has
 * delivered every alert of the agent, or recorded why not; returns the alert rows.
 */
export async function deliveredAlerts<T = Record<string, unknown>>(agentId: string, timeoutMs = 10_000): Promise<T[]> {
  const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
  await runDurableObjectAlarm(stub);
  const db = await shardDb(agentId);
  const started = Date.now();
  for (;;) {
    const { results } = await db.prepare("SELECT * FROM alerts WHERE agent_id = ? ORDER BY at").bind(agentId).all<T & { delivered_at: number | null; delivery_error: string | null }>();
    const pending = results.filter((r) => r.delivered_at === null && r.delivery_error === null);
    if (pending.length === 0 || Date.now() - started > timeoutMs) return results;
    await sleep(50);
  }
}
