import { isAgentId } from "../core/agent-id";
import { agentKey, locateAgent, recordAgentShard, type Shard, type ShardBindings } from "../db/shards";

export { agentKey };

/**
 * Which agents exist, readable without touching their objects: a Durable Object runs its
 * constructor (and creates its tables) the moment a request reaches it, so an unauthenticated
 * webhook must learn that an agent is unknown before it gets a stub.
 *
 * The index is one KV key per agent, `agent:<agentId>` in `CACHE`, holding the name of the D1
 * shard with the agent's rows (`src/db/shards.ts`), written by the admin API when it creates or
 * replaces an agent and removed when it deletes one. KV is eventually consistent across locations
 * (a write can take up to a minute to be seen elsewhere, and a miss is cached as a miss), so a
 * miss is confirmed in the shards' `agents` tables, which the admin API writes in the same
 * request: an agent just created is reachable at once everywhere, and an agent created before
 * the index existed is found there and written back to KV.
 */
export type DirectoryBindings = ShardBindings;

/**
 * Records that an agent exists, and its shard. Called by `PUT /v1/agents/:agentId` after its
 * object accepted the config, before answering, so the agent's webhooks answer from that moment.
 *
 * @example
 * await rememberAgent(c.env, agentId, shard);
 */
export async function rememberAgent(env: Pick<DirectoryBindings, "CACHE">, agentId: string, shard: Shard): Promise<void> {
  await recordAgentShard(env, agentId, shard);
}

/**
 * Removes an agent from the index. `DELETE /v1/agents/:agentId` calls it together with removing
 * the `agents` row (the lookup falls back to that row). Other locations may still see the KV key
 * for up to a minute; a webhook there reaches the object, which answers as for an unknown agent.
 *
 * @example
 * await forgetAgent(c.env, agentId);
 */
export async function forgetAgent(env: Pick<DirectoryBindings, "CACHE">, agentId: string): Promise<void> {
  await env.CACHE.delete(agentKey(agentId));
}

/**
 * Whether an agent exists, without creating anything for one that does not: one KV read for a
 * known agent; for a miss, one read per D1 shard (and, when a shard knows the agent, KV is written
 * back through `defer`). A malformed id is unknown without a read. A failing KV read falls back to
 * the shards; a failing shard read is tried once more (D1 advises retrying reads on transient
 * errors), and a second failure throws (a 500, which providers retry), since neither answer would
 * be known.
 *
 * @example
 * if (!(await agentExists(env, agentId, (p) => ctx.waitUntil(p)))) return refuse();
 */
export async function agentExists(env: DirectoryBindings, agentId: string, defer: (work: Promise<unknown>) => void = () => {}): Promise<boolean> {
  if (!isAgentId(agentId)) return false;
  return (await locateAgent(env, agentId, defer)) !== null;
}
