/**
 * D1 shards: the agents' rows spread over several D1 databases, each agent's rows in one.
 *
 * `D1_SHARDS` (a `[vars]` entry) names the D1 bindings that are shards, in order, each with an
 * optional placement weight: `"DB"` (the default), `"DB,DB_2"`, `"DB:0,DB_2:1"`. The first shard
 * also holds the account-wide tables (API keys, dashboard sessions). A new agent is placed by a
 * weighted rendezvous hash of its id over the shards with a weight above 0, and its shard is
 * recorded where it is looked up (the agent directory, KV `agent:<agentId>`, and the shard's
 * `agents` row), so changing the list or the weights never moves an existing agent: adding a
 * shard sends new agents to it, and weight 0 closes a full shard to them. docs/scale.md has the
 * procedure; `moveAgent` (`move.ts`) moves one agent's rows.
 */
export interface Shard {
  /** The D1 binding's name, as `D1_SHARDS` lists it and the directory records it. */
  name: string;
  db: D1Database;
  /** Share of new agents: 0 takes none. */
  weight: number;
}

export interface Shards {
  /** Every shard, in `D1_SHARDS` order. */
  readonly all: readonly Shard[];
  /** The first shard: the account-wide tables. */
  readonly primary: D1Database;
  byName(name: string): Shard | undefined;
  /** Where a new agent goes: the same shard for the same id and list, whoever asks. */
  place(agentId: string): Shard;
}

export interface ShardBindings {
  D1_SHARDS?: string;
  CACHE: KVNamespace;
}

/** The directory's KV key for an agent; its value is the agent's shard. */
export function agentKey(agentId: string): string {
  return `agent:${agentId}`;
}

/** A directory value written before shards existed: the agent is in the first shard. */
const LEGACY_PRESENT = "1";

const parsed = new WeakMap<object, Shards>();

/**
 * The worker's shards, read from `D1_SHARDS` once per `env` object. A name that is not a D1
 * binding, a bad weight, or no shard with a weight throws: the worker cannot place agents.
 *
 * @example
 * shards({ D1_SHARDS: "DB,DB_2:3", DB, DB_2, CACHE }).place("shop").name; // "DB_2" three times as often as "DB"
 */
export function shards(env: ShardBindings): Shards {
  let found = parsed.get(env);
  if (!found) {
    found = parseShards(env);
    parsed.set(env, found);
  }
  return found;
}

function parseShards(env: ShardBindings): Shards {
  const spec = (env.D1_SHARDS ?? "").trim() || "DB";
  const bindings = env as unknown as Record<string, unknown>;
  const all: Shard[] = [];
  for (const entry of spec.split(",").map((s) => s.trim())) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::(\d+(?:\.\d+)?))?$/.exec(entry);
    if (!m) throw new Error(`D1_SHARDS: "${entry}" is not a binding name with an optional ":weight" (for example "DB,DB_2:2")`);
    const name = m[1]!;
    const db = bindings[name] as D1Database | undefined;
    if (!db || typeof db.prepare !== "function") {
      throw new Error(`D1_SHARDS: "${name}" is not a D1 binding of this worker: add a [[d1_databases]] binding named ${name} to wrangler.toml, or remove it from D1_SHARDS`);
    }
    if (all.some((s) => s.name === name)) throw new Error(`D1_SHARDS: "${name}" is listed twice: list each binding once`);
    all.push({ name, db, weight: m[2] === undefined ? 1 : Number(m[2]) });
  }
  const open = all.filter((s) => s.weight > 0);
  if (open.length === 0) throw new Error(`D1_SHARDS: every shard has weight 0, so a new agent has nowhere to go: give one a weight above 0`);
  const byName = new Map(all.map((s) => [s.name, s]));
  return {
    all,
    primary: all[0]!.db,
    byName: (name) => byName.get(name),
    place: (agentId) => rendezvous(open, agentId),
  };
}

/**
 * Weighted rendezvous (highest random weight) hashing: each shard scores the id, the highest
 * wins. Adding a shard only takes the ids it now wins; nothing moves between the others.
 */
function rendezvous(open: readonly Shard[], agentId: string): Shard {
  let best = open[0]!;
  let bestScore = -Infinity;
  for (const shard of open) {
    // u in (0, 1): -w / ln(u) is the weighted score (Schindelhauer and Schomaker).
    const u = (hash53(`${shard.name}\u0000${agentId}`) + 0.5) / 2 ** 53;
    const score = -shard.weight / Math.log(u);
    if (score > bestScore) {
      best = shard;
      bestScore = score;
    }
  }
  return best;
}

/** cyrb53: a fast, well-mixed 53-bit string hash (not cryptographic; placement only). */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The shard that holds an agent's rows: the directory's entry (one KV read); without one, the
 * shard whose `agents` table has the agent (one read per shard, in parallel; the entry is then
 * written back through `defer`); for an agent no shard knows (not created yet, or deleted), where
 * it would be placed. A failing KV read falls back to the shards.
 *
 * @example
 * const db = (await shardOf(env, "shop")).db;
 */
export async function shardOf(env: ShardBindings, agentId: string, defer: (work: Promise<unknown>) => void = () => {}): Promise<Shard> {
  return (await locateAgent(env, agentId, defer)) ?? shards(env).place(agentId);
}

/** The D1 database of an agent's rows: `shardOf(…).db`. */
export async function agentDb(env: ShardBindings, agentId: string): Promise<D1Database> {
  return (await shardOf(env, agentId)).db;
}

/**
 * The shard of an agent that exists, or null: the directory, then every shard's `agents` table.
 * A shard read that fails is tried once more (D1 advises retrying reads); a second failure throws.
 */
export async function locateAgent(env: ShardBindings, agentId: string, defer: (work: Promise<unknown>) => void = () => {}): Promise<Shard | null> {
  const all = shards(env);
  const entry = await env.CACHE.get(agentKey(agentId)).catch(() => null);
  if (entry !== null) {
    const named = entry === LEGACY_PRESENT ? all.all[0] : all.byName(entry);
    if (named) return named;
    // An entry naming a shard no longer listed: the shards' own rows decide.
  }
  const lookup = (db: D1Database) => db.prepare("SELECT 1 AS found FROM agents WHERE id = ?").bind(agentId).first<{ found: number }>();
  const found = await Promise.all(all.all.map((s) => lookup(s.db).catch(() => lookup(s.db))));
  const shard = all.all[found.findIndex((row) => row !== null)];
  if (!shard) return null;
  // A failed write-back costs the next lookup the shard reads again, nothing else.
  defer(recordAgentShard(env, agentId, shard).catch(() => {}));
  return shard;
}

/** Records in the directory that an agent exists and which shard holds its rows. */
export async function recordAgentShard(env: Pick<ShardBindings, "CACHE">, agentId: string, shard: Shard): Promise<void> {
  await env.CACHE.put(agentKey(agentId), shard.name);
}

/**
 * `agentDb` remembered for the life of the returned function: for a batch that names the same
 * agents many times (a queue batch), one directory read per agent.
 *
 * @example
 * const dbOf = agentDbs(env);
 * for (const m of batch.messages) await (await dbOf(m.body.agentId)).prepare("…").run();
 */
export function agentDbs(env: ShardBindings): (agentId: string) => Promise<D1Database> {
  const seen = new Map<string, Promise<D1Database>>();
  return (agentId) => {
    let db = seen.get(agentId);
    if (!db) {
      db = agentDb(env, agentId);
      seen.set(agentId, db);
      // A failed lookup is not remembered: the next message asks again.
      db.catch(() => seen.delete(agentId));
    }
    return db;
  };
}
