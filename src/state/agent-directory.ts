import { isAgentId } from "../core/agent-id";

/**
 * Which agents exist, readable without touching their objects: a Durable Object runs its
 * constructor (and creates its tables) the moment a request reaches it, so an unauthenticated
 * webhook must learn that an agent is unknown before it gets a stub.
 *
 * The index is one KV key per agent, `agent:<agentId>` in `CACHE`, written by the admin API when
 * it creates or replaces an agent and removed when it deletes one. KV is eventually consistent
 * across locations (a write can take up to a minute to be seen elsewhere, and a miss is cached
 * as a miss), so a miss is confirmed in D1's `agents` table, which the admin API writes in the
 * same request: an agent just created is reachable at once everywhere, and an agent created
 * before the index existed is found there and written back to KV.
 */
export interface DirectoryBindings {
  CACHE: KVNamespace;
  DB: D1Database;
}

const KEY_PREFIX = "agent:";

/** The KV key that says an agent exists. */
export function agentKey(agentId: string): string {
  return `${KEY_PREFIX}${agentId}`;
}

/**
 * Records that an agent exists. Called by `PUT /v1/agents/:agentId` after its object accepted
 * the config, before answering, so the agent's webhooks answer from that moment.
 *
 * @example
 * await rememberAgent(c.env, agentId);
 */
export async function rememberAgent(env: Pick<DirectoryBindings, "CACHE">, agentId: string): Promise<void> {
  await env.CACHE.put(agentKey(agentId), "1");
}

/**
 * Removes an agent from the index. `DELETE /v1/agents/:agentId` calls it together with removing
 * the D1 `agents` row (the lookup falls back to that row). Other locations may still see the KV
 * key for up to a minute; a webhook there reaches the object, which answers as for an unknown
 * agent.
 *
 * @example
 * await forgetAgent(c.env, agentId);
 */
export async function forgetAgent(env: Pick<DirectoryBindings, "CACHE">, agentId: string): Promise<void> {
  await env.CACHE.delete(agentKey(agentId));
}

/**
 * Whether an agent exists, without creating anything for one that does not: one KV read for a
 * known agent; for a miss, one D1 read (and, when D1 knows the agent, KV is written back through
 * `defer`). A malformed id is unknown without a read. A failing KV read falls back to D1; a
 * failing D1 read is tried once more (D1 advises retrying reads on transient errors), and a second
 * failure throws (a 500, which providers retry), since neither answer would be known.
 *
 * @example
 * if (!(await agentExists(env, agentId, (p) => ctx.waitUntil(p)))) return refuse();
 */
export async function agentExists(env: DirectoryBindings, agentId: string, defer: (work: Promise<unknown>) => void = () => {}): Promise<boolean> {
  if (!isAgentId(agentId)) return false;
  // KV failing is no reason to turn an agent's customers away: D1 knows every agent too.
  const cached = await env.CACHE.get(agentKey(agentId)).catch(() => null);
  if (cached !== null) return true;
  const lookup = () => env.DB.prepare("SELECT 1 AS found FROM agents WHERE id = ?").bind(agentId).first<{ found: number }>();
  const row = await lookup().catch(() => lookup());
  if (!row) return false;
  // A failed write-back costs the next lookup one more D1 read, nothing else.
  defer(rememberAgent(env, agentId).catch(() => {}));
  return true;
}
