/**
 * Where a new agent goes among the D1 shards: `D1_SHARDS` parsed, and weighted rendezvous
 * hashing over it. No Workers types, so Node tools (the scale benchmark) place agents exactly as
 * the worker does.
 */

export interface ShardWeight {
  name: string;
  /** Share of new agents: 0 takes none. */
  weight: number;
}

/**
 * `D1_SHARDS` as names and weights (`"DB"` when empty). A bad entry, a name listed twice, or no
 * shard with a weight throws, naming the problem and the fix.
 *
 * @example
 * parseShardList("DB:0,DB_2"); // [{ name: "DB", weight: 0 }, { name: "DB_2", weight: 1 }]
 */
export function parseShardList(spec: string | undefined): ShardWeight[] {
  const list: ShardWeight[] = [];
  for (const entry of ((spec ?? "").trim() || "DB").split(",").map((s) => s.trim())) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::(\d+(?:\.\d+)?))?$/.exec(entry);
    if (!m) throw new Error(`D1_SHARDS: "${entry}" is not a binding name with an optional ":weight" (for example "DB,DB_2:2")`);
    const name = m[1]!;
    if (list.some((s) => s.name === name)) throw new Error(`D1_SHARDS: "${name}" is listed twice: list each binding once`);
    list.push({ name, weight: m[2] === undefined ? 1 : Number(m[2]) });
  }
  if (!list.some((s) => s.weight > 0)) throw new Error("D1_SHARDS: every shard has weight 0, so a new agent has nowhere to go: give one a weight above 0");
  return list;
}

/**
 * Weighted rendezvous (highest random weight) hashing: each shard scores the id, the highest
 * wins. Adding a shard only takes the ids it now wins; nothing moves between the others.
 */
export function placeAgent(shards: readonly ShardWeight[], agentId: string): string {
  const open = shards.filter((s) => s.weight > 0);
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
  return best.name;
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

