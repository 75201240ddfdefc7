import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { agentDb, agentDbs, agentKey, locateAgent, shardOf, shards, type ShardBindings } from "../../src/db/shards";

/** Bindings with the given `D1_SHARDS`: DB and DB_2 are the two test databases, DB_3 a third name for DB. */
function bindings(spec: string | undefined, extra: Record<string, unknown> = {}): ShardBindings {
  return { D1_SHARDS: spec, CACHE: env.CACHE, DB: env.DB, DB_2: env.DB_2, DB_3: env.DB, ...extra } as ShardBindings;
}

const ids = (count: number, prefix = "shop") => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

/** The share of `agentIds` each shard is given. */
function shares(spec: string, agentIds: string[]): Record<string, number> {
  const found = shards(bindings(spec));
  const counts: Record<string, number> = Object.fromEntries(found.all.map((s) => [s.name, 0]));
  for (const id of agentIds) counts[found.place(id).name]! += 1;
  return Object.fromEntries(Object.entries(counts).map(([name, n]) => [name, n / agentIds.length]));
}

describe("D1_SHARDS", () => {
  it("is DB alone, weight 1, when unset or blank", () => {
    for (const spec of [undefined, "", "   "]) {
      const found = shards(bindings(spec));
      expect(found.all.map((s) => [s.name, s.weight]), String(spec)).toEqual([["DB", 1]]);
      expect(found.primary).toBe(env.DB);
    }
  });

  it("lists shards in order with optional weights; the first is the primary whatever its weight", () => {
    const found = shards(bindings(" DB:0 , DB_2:2.5,DB_3 "));
    expect(found.all.map((s) => [s.name, s.weight])).toEqual([
      ["DB", 0],
      ["DB_2", 2.5],
      ["DB_3", 1],
    ]);
    expect(found.primary).toBe(env.DB);
    expect(found.byName("DB_2")?.db).toBe(env.DB_2);
    expect(found.byName("DB_9")).toBeUndefined();
  });

  it("is read once per bindings object", () => {
    const b = bindings("DB,DB_2");
    expect(shards(b)).toBe(shards(b));
  });

  it("refuses a name that is not a D1 binding, saying to add the binding or drop the name", () => {
    for (const name of ["DB_9", "CACHE"]) {
      expect(() => shards(bindings(`DB,${name}`))).toThrow(
        `D1_SHARDS: "${name}" is not a D1 binding of this worker: add a [[d1_databases]] binding named ${name} to wrangler.toml, or remove it from D1_SHARDS`,
      );
    }
  });

  it("refuses an entry that is not a binding name with an optional weight, showing the form", () => {
    for (const entry of ["DB:x", "DB:-1", "DB:", "DB 2", "2DB", "DB;DB_2", ""]) {
      expect(() => shards(bindings(`DB_2,${entry}`)), entry).toThrow(`D1_SHARDS: "${entry}" is not a binding name with an optional ":weight" (for example "DB,DB_2:2")`);
    }
  });

  it("refuses a shard listed twice, saying to list it once", () => {
    expect(() => shards(bindings("DB,DB_2,DB:2"))).toThrow(`D1_SHARDS: "DB" is listed twice: list each binding once`);
  });

  it("refuses a list where every weight is 0, saying to give one a weight", () => {
    expect(() => shards(bindings("DB:0,DB_2:0"))).toThrow("D1_SHARDS: every shard has weight 0, so a new agent has nowhere to go: give one a weight above 0");
  });
});

describe("placing a new agent", () => {
  it("gives the same shard for the same id and list, whoever reads the list", () => {
    const first = shards(bindings("DB,DB_2"));
    const second = shards(bindings("DB, DB_2"));
    for (const id of ids(200)) expect(second.place(id).name).toBe(first.place(id).name);
    expect(new Set(ids(200).map((id) => first.place(id).name))).toEqual(new Set(["DB", "DB_2"]));
  });

  it("shares agents between shards in proportion to their weights, and none to weight 0", () => {
    const agents = ids(4000);
    const equal = shares("DB,DB_2", agents);
    expect(equal.DB).toBeGreaterThan(0.4);
    expect(equal.DB).toBeLessThan(0.6);
    const weighted = shares("DB:1,DB_2:3", agents);
    expect(weighted.DB_2).toBeGreaterThan(0.68);
    expect(weighted.DB_2).toBeLessThan(0.82);
    expect(shares("DB:0,DB_2", agents)).toEqual({ DB: 0, DB_2: 1 });
  });

  it("sends agents only to a shard that is added, never from one old shard to the other", () => {
    const two = shards(bindings("DB,DB_2"));
    const three = shards(bindings("DB,DB_2,DB_3"));
    let moved = 0;
    for (const id of ids(3000, "rendezvous")) {
      const before = two.place(id).name;
      const after = three.place(id).name;
      if (after !== before) {
        expect(after, id).toBe("DB_3");
        moved += 1;
      }
    }
    // About a third of the agents go to the new shard.
    expect(moved / 3000).toBeGreaterThan(0.25);
    expect(moved / 3000).toBeLessThan(0.42);
  });

  it("sends agents only away from a shard whose weight drops to 0", () => {
    const open = shards(bindings("DB,DB_2,DB_3"));
    const closed = shards(bindings("DB,DB_2:0,DB_3"));
    for (const id of ids(2000, "closing")) {
      const before = open.place(id).name;
      if (before !== "DB_2") expect(closed.place(id).name, id).toBe(before);
      else expect(closed.place(id).name, id).not.toBe("DB_2");
    }
  });
});

describe("finding an agent's shard", () => {
  const b = bindings("DB,DB_2");
  /** A fresh id that the list would place on `name` (so finding it elsewhere shows a lookup, not a placement). */
  const placedOn = (name: string) => {
    for (;;) {
      const id = `locate-${crypto.randomUUID().slice(0, 8)}`;
      if (shards(b).place(id).name === name) return id;
    }
  };
  const insertAgent = (db: D1Database, id: string) =>
    db.prepare("INSERT INTO agents (id, version, name, model, config, created_at, updated_at) VALUES (?, 1, NULL, 'm', '{}', 0, 0)").bind(id).run();

  it("reads the directory's entry, with no D1 read", async () => {
    const id = placedOn("DB");
    await env.CACHE.put(agentKey(id), "DB_2");
    expect((await locateAgent(b, id))?.name).toBe("DB_2");
    expect((await shardOf(b, id)).name).toBe("DB_2");
    expect(await agentDb(b, id)).toBe(env.DB_2);
  });

  it("reads a directory entry from before shards ('1') as the first shard", async () => {
    const id = placedOn("DB_2");
    await env.CACHE.put(agentKey(id), "1");
    expect((await locateAgent(b, id))?.name).toBe("DB");
  });

  it("finds an agent the directory does not know in its shard's agents table, and writes the entry back through defer", async () => {
    const id = placedOn("DB");
    await insertAgent(env.DB_2, id);
    const deferred: Array<Promise<unknown>> = [];
    expect((await locateAgent(b, id, (p) => deferred.push(p)))?.name).toBe("DB_2");
    expect(deferred).toHaveLength(1);
    await Promise.all(deferred);
    expect(await env.CACHE.get(agentKey(id))).toBe("DB_2");
  });

  it("looks in the shards when the entry names a shard no longer listed, or the KV read fails", async () => {
    const stale = placedOn("DB");
    await insertAgent(env.DB_2, stale);
    await env.CACHE.put(agentKey(stale), "DB_9");
    expect((await locateAgent(b, stale))?.name).toBe("DB_2");

    const kvDown = { get: () => Promise.reject(new Error("KV down")), put: () => Promise.resolve() } as unknown as KVNamespace;
    const id = placedOn("DB");
    await insertAgent(env.DB_2, id);
    expect((await locateAgent(bindings("DB,DB_2", { CACHE: kvDown }), id))?.name).toBe("DB_2");
  });

  it("answers null for an agent no shard knows, and shardOf places it", async () => {
    const id = placedOn("DB_2");
    const deferred: Array<Promise<unknown>> = [];
    expect(await locateAgent(b, id, (p) => deferred.push(p))).toBeNull();
    expect(deferred).toEqual([]);
    expect(await env.CACHE.get(agentKey(id))).toBeNull();
    expect((await shardOf(b, id)).name).toBe("DB_2");
  });

  it("remembers each agent's database for a batch, one directory read per agent", async () => {
    const id = placedOn("DB");
    await env.CACHE.put(agentKey(id), "DB_2");
    let reads = 0;
    const counting = { get: (key: string) => ((reads += 1), env.CACHE.get(key)), put: () => Promise.resolve() } as unknown as KVNamespace;
    const dbOf = agentDbs(bindings("DB,DB_2", { CACHE: counting }));
    expect(await dbOf(id)).toBe(env.DB_2);
    expect(await dbOf(id)).toBe(env.DB_2);
    expect(reads).toBe(1);
  });
});
