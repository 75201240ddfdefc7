import { env } from "cloudflare:workers";
import { agentDb, type Shard, shardOf, shards } from "../../src/db/shards";

/**
 * The D1 shard of an agent's rows (interactions, audit events, alerts, patterns, dead letters,
 * legal holds, its `agents` row): where the directory says it is, or, for an agent never created
 * through the API, where it would be placed, which is where the worker looks for it.
 *
 * @example
 * const row = await (await shardDb(agentId)).prepare("SELECT * FROM agents WHERE id = ?").bind(agentId).first();
 */
export function shardDb(agentId: string): Promise<D1Database> {
  return agentDb(env, agentId);
}

/**
 * The agent's shard with its binding's name, for tests that swap that binding (a D1 that fails).
 *
 * @example
 * const shard = await agentShard(agentId);
 * const failing = envWith({ [shard.name]: d1FailingOnce(shard.db).binding });
 */
export function agentShard(agentId: string): Promise<Shard> {
  return shardOf(env, agentId);
}

/** The first shard: API keys and dashboard sessions. */
export function primaryDb(): D1Database {
  return shards(env).primary;
}

/**
 * A fresh agent id that `D1_SHARDS` places on the named shard, for tests that need agents on
 * different shards.
 */
export function agentIdOn(shardName: string, prefix = "agent"): string {
  for (let i = 0; i < 1_000; i++) {
    const agentId = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
    if (shards(env).place(agentId).name === shardName) return agentId;
  }
  throw new Error(`no new agent is placed on ${shardName}: is it in D1_SHARDS with a weight above 0?`);
}
