import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type AiRunner, dot, EmbeddingError, HashingEmbedder, murmur3, WorkersAiEmbedder, words } from "../../src/vectors/embedder";
import {
  DurableVectorIndex,
  fromWire,
  type VectorizeBinding,
  VectorizeIndex,
  type VectorizeUpsert,
  VectorIndexError,
  type VectorRpc,
  vectorId,
  type WireVectorEntry,
} from "../../src/vectors/vector-index";
import { type VectorEntry, type VectorMetadata, VectorStore } from "../../src/vectors/vector-store";

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

/** A unit vector in `dims` dimensions pointing mostly along axis `axis`, tilted toward `tilt`. */
function unit(dims: number, axis: number, tilt?: { axis: number; amount: number }): Float32Array {
  const v = new Float32Array(dims);
  v[axis] = 1;
  if (tilt) v[tilt.axis] = tilt.amount;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function norm(v: Float32Array): number {
  return Math.sqrt(dot(v, v));
}

describe("HashingEmbedder", () => {
  const embedder = new HashingEmbedder();
  const sim = async (a: string, b: string) => {
    const [va, vb] = await embedder.embed([a, b]);
    return dot(va!, vb!);
  };

  it("names its vector space and has 1,024 dimensions unless told otherwise", async () => {
    expect(embedder.id).toBe("hash-ngram-v1");
    expect(embedder.dimensions).toBe(1024);
    const [v] = await new HashingEmbedder({ dimensions: 256 }).embed(["hello"]);
    expect(v).toHaveLength(256);
  });

  it("is deterministic: the same text gives the same vector, across instances", async () => {
    const [a, b] = await embedder.embed(["Where is my card?", "Where is my card?"]);
    const [c] = await new HashingEmbedder().embed(["Where is my card?"]);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(Array.from(a!)).toEqual(Array.from(c!));
  });

  it("returns unit-length vectors, so cosine similarity is a dot product", async () => {
    const texts = ["hi", "My card still hasn't arrived", "Grüße aus Köln", "東京の天気", "a".repeat(5_000)];
    for (const v of await embedder.embed(texts)) expect(norm(v)).toBeCloseTo(1, 5);
  });

  it("embeds a text without words to the zero vector, which matches nothing", async () => {
    const [empty, punctuation] = await embedder.embed(["", "?! …"]);
    expect(norm(empty!)).toBe(0);
    expect(norm(punctuation!)).toBe(0);
  });

  it("ignores case, punctuation, apostrophe style and full-width forms", async () => {
    expect(await sim("My card hasn’t arrived!", "my card hasn't arrived")).toBeCloseTo(1, 5);
    expect(await sim("ＣＡＲＤ ＰＩＮ", "card pin")).toBeCloseTo(1, 5);
    expect(words("It’s  NOT-working, ok?")).toEqual(["its", "not", "working", "ok"]);
  });

  // Measured with the default weights; the bounds are the contract, the comments the values seen.
  const anchors = [
    {
      anchor: "My card still hasn't arrived",
      paraphrase: "my card hasn't arrived yet", // 0.72
      related: "How long does card delivery take?", // 0.13
      unrelated: "What is the exchange rate for euros?", // 0.01
    },
    {
      anchor: "How do I reset my password?",
      paraphrase: "how can I reset my password", // 0.77
      related: "I forgot my passcode", // 0.27
      unrelated: "Can I top up with a cheque?", // 0.01
    },
    {
      anchor: "I lost my card",
      paraphrase: "I have lost my card", // 0.74
      related: "How do I freeze my card if I lose it?", // 0.42
      unrelated: "What is the exchange rate for euros?", // 0.07
    },
  ];

  it.each(anchors)("ranks paraphrase > related > unrelated for “$anchor”", async ({ anchor, paraphrase, related, unrelated }) => {
    const p = await sim(anchor, paraphrase);
    const r = await sim(anchor, related);
    const u = await sim(anchor, unrelated);
    expect(p).toBeGreaterThan(0.7);
    expect(r).toBeLessThan(p);
    expect(u).toBeLessThan(r);
    expect(u).toBeLessThan(0.5);
  });

  it("keeps a typo close to the original", async () => {
    expect(await sim("Where is my card?", "where is my crad")).toBeGreaterThan(0.7);
  });

  it("scores near-opposites high: telling them apart is the cache's guard, not the embedder's", async () => {
    expect(await sim("How do I enable two-factor authentication?", "How do I disable two-factor authentication?")).toBeGreaterThan(0.8);
  });
});

describe("murmur3", () => {
  // Reference vectors of MurmurHash3_x86_32 (SMHasher); a string's code units are hashed as UTF-16LE bytes.
  it.each([
    ["", 0, 0],
    ["", 1, 0x514e28b7],
    ["\u0000", 0, 0x30f4c306],
    ["\u0000\u0000", 0, 0x2362f9de],
    ["\u4321", 0, 0xa0f7b07a],
    ["\u4321\u8765", 0, 0xf55b516b],
    ["\u4321\u8765", 0x5082edee, 0x2362f9de],
    ["\uffff\uffff", 0, 0x76293b50],
  ])("hashes %j with seed %i to the reference value", (text, seed, expected) => {
    expect(murmur3(text, seed)).toBe(expected);
  });

  it("hashes a slice of a string like the substring itself", () => {
    expect(murmur3("xx card xx", 7, 3, 7)).toBe(murmur3("card", 7));
  });
});

describe("WorkersAiEmbedder", () => {
  /** A fake `Ai.run` answering like bge: vector i is (i+1, 0, …) plus a unit along axis 1. */
  function fakeAi(dims = 768, answer?: (text: string[]) => unknown) {
    const calls: Array<{ model: string; input: Record<string, unknown> }> = [];
    const ai: AiRunner = {
      async run(model, input) {
        calls.push({ model, input });
        const text = input.text as string[];
        if (answer) return answer(text);
        return {
          shape: [text.length, dims],
          data: text.map((t) => Array.from({ length: dims }, (_, j) => (j === 0 ? Number(t) : j === 1 ? 1 : 0))),
          pooling: "mean",
        };
      },
    };
    return { ai, calls };
  }

  it("is named after its model and has bge-base's 768 dimensions by default", () => {
    const e = new WorkersAiEmbedder(fakeAi().ai);
    expect(e.id).toBe("@cf/baai/bge-base-en-v1.5");
    expect(e.dimensions).toBe(768);
  });

  it("sends at most 100 texts per call and returns the vectors in input order", async () => {
    const { ai, calls } = fakeAi();
    const texts = Array.from({ length: 250 }, (_, i) => String(i));
    const vectors = await new WorkersAiEmbedder(ai).embed(texts);
    expect(calls.map((c) => (c.input.text as string[]).length)).toEqual([100, 100, 50]);
    expect(calls.every((c) => c.model === "@cf/baai/bge-base-en-v1.5")).toBe(true);
    expect(vectors).toHaveLength(250);
    // Vector i is (i, 1, 0, …) normalised: its first two components recover i.
    vectors.forEach((v, i) => expect(v[0]! / v[1]!).toBeCloseTo(i, 3));
  });

  it("makes no call for no texts", async () => {
    const { ai, calls } = fakeAi();
    expect(await new WorkersAiEmbedder(ai).embed([])).toEqual([]);
    expect(calls).toHaveLength(0);
  });

  it("normalises what the model returns to unit length", async () => {
    const { ai } = fakeAi(4, (text) => ({ shape: [text.length, 4], data: text.map(() => [3, 4, 0, 0]) }));
    const [v] = await new WorkersAiEmbedder(ai, { dimensions: 4 }).embed(["x"]);
    expect(Array.from(v!)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6), 0, 0]);
  });

  it("sends the pooling it was given, and names the vector space after it", async () => {
    const { ai, calls } = fakeAi();
    const e = new WorkersAiEmbedder(ai, { pooling: "cls" });
    await e.embed(["1"]);
    expect(calls[0]!.input).toEqual({ text: ["1"], pooling: "cls" });
    expect(e.id).toBe("@cf/baai/bge-base-en-v1.5#cls");
  });

  it.each([
    ["null", () => null, /returned a null/],
    ["a queued request", () => ({ request_id: "abc" }), /async request_id/],
    ["no data", () => ({ shape: [1, 768] }), /no data array/],
    ["too few vectors", () => ({ shape: [0, 768], data: [] }), /0 vectors for 1 texts/],
    ["the wrong width", () => ({ shape: [1, 384], data: [new Array(384).fill(0.1)] }), /shape \[1,384\]/],
    ["a short row without shape", () => ({ data: [new Array(767).fill(0.1)] }), /a vector of 767 at index 0/],
    ["a non-number", () => ({ data: [["x", ...new Array(767).fill(0.1)]] }), /non-finite value at \[0\]\[0\]/],
  ])("rejects a response with %s as an EmbeddingError", async (_, answer, message) => {
    const { ai } = fakeAi(768, answer);
    const error = await new WorkersAiEmbedder(ai).embed(["1"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as EmbeddingError).code).toBe("invalid_response");
    expect((error as Error).message).toMatch(message);
  });

  it("accepts the real bindings through its narrow interfaces", () => {
    // Compile-time: the generated Env bindings are assignable to what these classes take.
    const aiFits: [Env["AI"]] extends [AiRunner] ? true : false = true;
    const vectorizeFits: [Env["VECTORIZE"]] extends [VectorizeBinding] ? true : false = true;
    const v2Fits: [Vectorize] extends [VectorizeBinding] ? true : false = true;
    expect([aiFits, vectorizeFits, v2Fits]).toEqual([true, true, true]);
  });
});

/** Runs `fn` against a `VectorStore` inside a fresh `AgentState` object's SQLite storage. */
function inFreshObject<R>(fn: (sql: SqlStorage) => R | Promise<R>, name = `vectors-${crypto.randomUUID()}`): Promise<R> {
  const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(name));
  return runInDurableObject(stub, (_instance, state) => fn(state.storage.sql));
}

const SMALL = { id: "test-embedder", dimensions: 4 };

function entry(id: string, vector: Float32Array, expiresAt = T0 + HOUR, metadata: VectorMetadata = { answer: id }): VectorEntry {
  return { id, vector, expiresAt, metadata };
}

describe("VectorStore in a Durable Object", () => {
  it("returns the nearest entries best first, at most topK, with their metadata", async () => {
    const matches = await inFreshObject((sql) => {
      const store = new VectorStore(sql, { embedder: SMALL });
      store.upsert([
        entry("exact", unit(4, 0)),
        entry("close", unit(4, 0, { axis: 1, amount: 0.3 })),
        entry("far", unit(4, 0, { axis: 1, amount: 3 })),
        entry("orthogonal", unit(4, 2)),
      ]);
      return store.query(unit(4, 0), { topK: 3, now: T0 });
    });
    expect(matches.map((m) => m.id)).toEqual(["exact", "close", "far"]);
    expect(matches[0]!.score).toBeCloseTo(1, 5);
    expect(matches[1]!.score).toBeCloseTo(1 / Math.hypot(1, 0.3), 5);
    expect(matches[0]!.metadata).toEqual({ answer: "exact" });
  });

  it("drops matches under minScore", async () => {
    const ids = await inFreshObject((sql) => {
      const store = new VectorStore(sql, { embedder: SMALL });
      store.upsert([entry("exact", unit(4, 0)), entry("far", unit(4, 0, { axis: 1, amount: 3 }))]);
      return store.query(unit(4, 0), { topK: 5, now: T0, minScore: 0.9 }).map((m) => m.id);
    });
    expect(ids).toEqual(["exact"]);
  });

  it("keeps metadata types and vectors across store instances (the table persists)", async () => {
    const name = `vectors-${crypto.randomUUID()}`;
    await inFreshObject((sql) => {
      new VectorStore(sql, { embedder: SMALL }).upsert([entry("a", unit(4, 1), T0 + HOUR, { answer: "yes", tokens: 42, safe: true })]);
    }, name);
    const [match] = await inFreshObject((sql) => new VectorStore(sql, { embedder: SMALL }).query(unit(4, 1), { topK: 1, now: T0 }), name);
    expect(match).toEqual({ id: "a", score: expect.closeTo(1, 5), metadata: { answer: "yes", tokens: 42, safe: true } });
  });

  it("replaces an entry upserted again under the same id", async () => {
    const matches = await inFreshObject((sql) => {
      const store = new VectorStore(sql, { embedder: SMALL });
      store.upsert([entry("a", unit(4, 0), T0 + HOUR, { answer: "old" })]);
      store.upsert([entry("a", unit(4, 1), T0 + HOUR, { answer: "new" })]);
      return { count: store.count(), hits: store.query(unit(4, 1), { topK: 5, now: T0 }) };
    });
    expect(matches.count).toBe(1);
    expect(matches.hits).toEqual([{ id: "a", score: expect.closeTo(1, 5), metadata: { answer: "new" } }]);
  });

  it("never matches an expired entry, and deletes it when a query passes by", async () => {
    const result = await inFreshObject((sql) => {
      const store = new VectorStore(sql, { embedder: SMALL });
      store.upsert([entry("short", unit(4, 0), T0 + 1_000), entry("long", unit(4, 0, { axis: 1, amount: 0.5 }), T0 + HOUR)]);
      const before = store.query(unit(4, 0), { topK: 5, now: T0 + 999 }).map((m) => m.id);
      const atExpiry = store.query(unit(4, 0), { topK: 5, now: T0 + 1_000 }).map((m) => m.id);
      return { before, atExpiry, count: store.count() };
    });
    expect(result).toEqual({ before: ["short", "long"], atExpiry: ["long"], count: 1 });
  });

  it("prunes expired entries and says when the next one expires", async () => {
    const result = await inFreshObject((sql) => {
      const store = new VectorStore(sql, { embedder: SMALL });
      store.upsert([entry("a", unit(4, 0), T0 + 10), entry("b", unit(4, 1), T0 + 20), entry("c", unit(4, 2), T0 + 30)]);
      const first = store.prune(T0 + 20);
      const second = store.prune(T0 + 30);
      return { first, second, count: store.count() };
    });
    expect(result).toEqual({ first: { removed: 2, nextExpiresAt: T0 + 30 }, second: { removed: 1, nextExpiresAt: null }, count: 0 });
  });

  it("evicts the entries expiring soonest when full", async () => {
    const result = await inFreshObject((sql) => {
      const store = new VectorStore(sql, { embedder: SMALL, maxEntries: 3 });
      store.upsert([entry("t30", unit(4, 0), T0 + 30), entry("t10", unit(4, 1), T0 + 10), entry("t20", unit(4, 2), T0 + 20)]);
      store.upsert([entry("t40", unit(4, 3), T0 + 40), entry("t50", unit(4, 0), T0 + 50)]);
      const ids = [0, 1, 2, 3].flatMap((axis) => store.query(unit(4, axis), { topK: 5, now: T0, minScore: 0.99 }).map((m) => m.id));
      return { count: store.count(), ids: ids.sort() };
    });
    expect(result).toEqual({ count: 3, ids: ["t30", "t40", "t50"] });
  });

  it("deletes entries by id", async () => {
    const ids = await inFreshObject((sql) => {
      const store = new VectorStore(sql, { embedder: SMALL });
      store.upsert([entry("a", unit(4, 0)), entry("b", unit(4, 0)), entry("c", unit(4, 0))]);
      store.delete(["a", "c", "missing"]);
      return store.query(unit(4, 0), { topK: 5, now: T0 }).map((m) => m.id);
    });
    expect(ids).toEqual(["b"]);
  });

  it("ignores vectors of another embedder, and evicts them first when full", async () => {
    const result = await inFreshObject((sql) => {
      const hashing = new VectorStore(sql, { embedder: { id: "hash-ngram-v1", dimensions: 4 }, maxEntries: 2 });
      hashing.upsert([entry("old-embedder", unit(4, 0), T0 + 10 * HOUR)]);
      const workersAi = new VectorStore(sql, { embedder: { id: "@cf/baai/bge-base-en-v1.5", dimensions: 4 }, maxEntries: 2 });
      const seesOther = workersAi.query(unit(4, 0), { topK: 5, now: T0 });
      workersAi.upsert([entry("new-1", unit(4, 1), T0 + HOUR), entry("new-2", unit(4, 2), T0 + HOUR)]);
      return { seesOther, oldSeesNew: hashing.query(unit(4, 1), { topK: 5, now: T0 }), count: workersAi.count() };
    });
    expect(result).toEqual({ seesOther: [], oldSeesNew: [], count: 2 });
  });

  it("matches nothing for a zero query vector and refuses vectors of the wrong width", async () => {
    const result = await inFreshObject((sql) => {
      const store = new VectorStore(sql, { embedder: SMALL });
      store.upsert([entry("a", unit(4, 0))]);
      const zero = store.query(new Float32Array(4), { topK: 5, now: T0 });
      const wrongWidth = (() => {
        try {
          store.upsert([entry("b", unit(8, 0))]);
          return "accepted";
        } catch (e) {
          return (e as Error).message;
        }
      })();
      return { zero, wrongWidth };
    });
    expect(result.zero).toEqual([]);
    expect(result.wrongWidth).toMatch(/has 8 dimensions; embedder test-embedder makes 4/);
  });

  it("finds a paraphrase stored from the hashing embedder", async () => {
    const embedder = new HashingEmbedder();
    const [stored, asked, other] = await embedder.embed(["My card still hasn't arrived", "my card hasn't arrived yet", "What is the exchange rate?"]);
    const matches = await inFreshObject((sql) => {
      const store = new VectorStore(sql, { embedder });
      store.upsert([entry("card", stored!), entry("fx", other!)]);
      return store.query(asked!, { topK: 2, now: T0 });
    });
    expect(matches.map((m) => m.id)).toEqual(["card", "fx"]);
    expect(matches[0]!.score).toBeGreaterThan(0.7);
  });
});

/**
 * An in-memory Vectorize with the semantics that matter here: ids unique per index (not per
 * namespace), namespace and equality filters applied before topK, cosine scores, and the
 * topK ≤ 20 limit when metadata is returned.
 */
function fakeVectorize() {
  const rows = new Map<string, VectorizeUpsert>();
  const queries: Array<Parameters<VectorizeBinding["query"]>[1]> = [];
  const deleted: string[][] = [];
  const binding: VectorizeBinding = {
    async query(vector, options) {
      queries.push(options);
      if (options.topK > 20) throw new Error("VECTOR_QUERY_ERROR: topK must be ≤ 20 with returnMetadata=all");
      const matches = [...rows.values()]
        .filter((r) => options.namespace === undefined || r.namespace === options.namespace)
        .filter((r) => Object.entries(options.filter ?? {}).every(([k, v]) => r.metadata[k] === v))
        .map((r) => ({ id: r.id, score: dot(vector, r.values), metadata: { ...r.metadata } as Record<string, unknown> }))
        .sort((a, b) => b.score - a.score)
        .slice(0, options.topK);
      return { matches };
    },
    async upsert(vectors) {
      for (const v of vectors) rows.set(v.id, v);
      return { mutationId: crypto.randomUUID() };
    },
    async deleteByIds(ids) {
      deleted.push(ids);
      for (const id of ids) rows.delete(id);
      return { mutationId: crypto.randomUUID() };
    },
  };
  return { binding, rows, queries, deleted };
}

describe("VectorizeIndex", () => {
  it("keeps agents apart: same entry id, separate namespaces, no cross-agent overwrite or delete", async () => {
    const fake = fakeVectorize();
    const index = new VectorizeIndex(fake.binding);
    await index.upsert("agent-a", [entry("q1", unit(4, 0), T0 + HOUR, { answer: "A's answer" })]);
    await index.upsert("agent-b", [entry("q1", unit(4, 0), T0 + HOUR, { answer: "B's answer" })]);

    expect(await index.query("agent-a", unit(4, 0), { topK: 5, now: T0 })).toEqual([{ id: "q1", score: expect.closeTo(1, 5), metadata: { answer: "A's answer" } }]);
    expect(await index.query("agent-b", unit(4, 0), { topK: 5, now: T0 })).toEqual([{ id: "q1", score: expect.closeTo(1, 5), metadata: { answer: "B's answer" } }]);
    expect([...fake.rows.values()].map((r) => r.namespace).sort()).toEqual(["agent-a", "agent-b"]);

    await index.delete("agent-b", ["q1"]);
    expect(await index.query("agent-b", unit(4, 0), { topK: 5, now: T0 })).toEqual([]);
    expect(await index.query("agent-a", unit(4, 0), { topK: 5, now: T0 })).toHaveLength(1);
  });

  it("stores ids that fit Vectorize's 64-byte limit whatever the entry id", async () => {
    const fake = fakeVectorize();
    await new VectorizeIndex(fake.binding).upsert("agent-a", [entry("x".repeat(500), unit(4, 0))]);
    const [stored] = [...fake.rows.values()];
    expect(stored!.id).toBe(await vectorId("agent-a", "x".repeat(500)));
    expect(stored!.id).toMatch(/^[0-9a-f]{48}$/);
    expect(stored!.metadata).toMatchObject({ agentId: "agent-a", entryId: "x".repeat(500), expiresAt: T0 + HOUR });
  });

  it("drops expired matches and deletes them best-effort", async () => {
    const fake = fakeVectorize();
    const index = new VectorizeIndex(fake.binding);
    await index.upsert("agent-a", [entry("stale", unit(4, 0), T0 + 1_000), entry("fresh", unit(4, 0, { axis: 1, amount: 0.2 }), T0 + HOUR)]);
    const matches = await index.query("agent-a", unit(4, 0), { topK: 5, now: T0 + 1_000 });
    expect(matches.map((m) => m.id)).toEqual(["fresh"]);
    expect(fake.deleted).toEqual([[await vectorId("agent-a", "stale")]]);
    expect(fake.rows.size).toBe(1);
  });

  it("hands the cleanup delete to waitUntil when given, and survives its failure", async () => {
    const fake = fakeVectorize();
    const pending: Promise<unknown>[] = [];
    const index = new VectorizeIndex({ ...fake.binding, deleteByIds: () => Promise.reject(new Error("Vectorize is down")) }, { waitUntil: (p) => pending.push(p) });
    await index.upsert("agent-a", [entry("stale", unit(4, 0), T0)]);
    expect(await index.query("agent-a", unit(4, 0), { topK: 1, now: T0 })).toEqual([]);
    expect(pending).toHaveLength(1);
    await expect(pending[0]).resolves.toBeUndefined();
  });

  it("asks for all metadata and exact scores, with topK clamped to Vectorize's 20", async () => {
    const fake = fakeVectorize();
    await new VectorizeIndex(fake.binding).query("agent-a", unit(4, 0), { topK: 50, now: T0 });
    expect(fake.queries).toEqual([{ topK: 20, namespace: "agent-a", returnMetadata: "all", returnValues: true }]);
  });

  it("filters on an agentId metadata index instead of a namespace in metadata tenancy", async () => {
    const fake = fakeVectorize();
    const index = new VectorizeIndex(fake.binding, { tenancy: "metadata", exactScores: false });
    await index.upsert("agent-a", [entry("q1", unit(4, 0))]);
    await index.upsert("agent-b", [entry("q1", unit(4, 0))]);
    const matches = await index.query("agent-b", unit(4, 0), { topK: 5, now: T0 });
    expect(matches).toHaveLength(1);
    expect(fake.queries[0]).toEqual({ topK: 5, filter: { agentId: "agent-b" }, returnMetadata: "all", returnValues: false });
    expect([...fake.rows.values()].every((r) => r.namespace === undefined)).toBe(true);
  });

  it("never returns a match whose metadata names another agent", async () => {
    const fake = fakeVectorize();
    const index = new VectorizeIndex(fake.binding);
    await index.upsert("agent-a", [entry("q1", unit(4, 0))]);
    // A row misfiled into agent-b's namespace (a bug elsewhere) still says it belongs to agent-a.
    for (const row of fake.rows.values()) row.namespace = "agent-b";
    expect(await index.query("agent-b", unit(4, 0), { topK: 5, now: T0 })).toEqual([]);
  });

  it("refuses metadata over Vectorize's 10 KiB before calling it", async () => {
    const fake = fakeVectorize();
    const error = await new VectorizeIndex(fake.binding).upsert("agent-a", [entry("big", unit(4, 0), T0 + HOUR, { answer: "x".repeat(11_000) })]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VectorIndexError);
    expect((error as VectorIndexError).code).toBe("metadata_too_large");
    expect(fake.rows.size).toBe(0);
  });
});

describe("DurableVectorIndex", () => {
  /** A fake per-agent stub that records what crossed the RPC boundary. */
  function recordingStubs() {
    const calls: Array<{ agentId: string; method: string; args: unknown[] }> = [];
    const stubFor = (agentId: string): VectorRpc => ({
      async vectorQuery(...args) {
        calls.push({ agentId, method: "vectorQuery", args });
        return [{ id: "hit", score: 0.97, metadata: { answer: "a" } }];
      },
      async vectorUpsert(...args) {
        calls.push({ agentId, method: "vectorUpsert", args });
      },
      async vectorDelete(...args) {
        calls.push({ agentId, method: "vectorDelete", args });
      },
    });
    return { stubFor, calls };
  }

  it("sends each call to the agent's own object, with vectors as plain ArrayBuffers", async () => {
    const { stubFor, calls } = recordingStubs();
    const index = new DurableVectorIndex(stubFor);
    // A view into a larger buffer: only its own four floats may cross.
    const view = new Float32Array([9, 9, 0.6, 0.8, 0, 0, 9]).subarray(2, 6);

    expect(await index.query("agent-a", view, { topK: 3, now: T0 })).toEqual([{ id: "hit", score: 0.97, metadata: { answer: "a" } }]);
    await index.upsert("agent-b", [entry("e1", view, T0 + HOUR, { answer: "b" })]);
    await index.delete("agent-c", ["e1"]);

    expect(calls.map((c) => [c.agentId, c.method])).toEqual([
      ["agent-a", "vectorQuery"],
      ["agent-b", "vectorUpsert"],
      ["agent-c", "vectorDelete"],
    ]);
    const [buffer, topK, now] = calls[0]!.args as [ArrayBuffer, number, number];
    expect(buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(new Float32Array(buffer))).toEqual(Array.from(view));
    expect([topK, now]).toEqual([3, T0]);
    const [[wire]] = calls[1]!.args as [WireVectorEntry[]];
    expect(Array.from(new Float32Array(wire!.vector))).toEqual(Array.from(view));
    expect(wire).toMatchObject({ id: "e1", expiresAt: T0 + HOUR, metadata: { answer: "b" } });
    expect(calls[2]!.args).toEqual([["e1"]]);
  });

  it("skips the call for an empty upsert or delete", async () => {
    const { stubFor, calls } = recordingStubs();
    const index = new DurableVectorIndex(stubFor);
    await index.upsert("agent-a", []);
    await index.delete("agent-a", []);
    expect(calls).toEqual([]);
  });

  it("isolates agents end to end, each in its own object's VectorStore", async () => {
    const run = `${crypto.randomUUID()}`;
    // What AgentState's three RPC methods do, run inside the real object of each agent.
    const stubFor = (agentId: string): VectorRpc => {
      const inObject = <R>(fn: (store: VectorStore) => R) => inFreshObject((sql) => fn(new VectorStore(sql, { embedder: SMALL })), `${run}-${agentId}`);
      return {
        vectorQuery: (vector, topK, now) => inObject((s) => s.query(new Float32Array(vector), { topK, now })),
        vectorUpsert: (entries) => inObject((s) => s.upsert(entries.map(fromWire))),
        vectorDelete: (ids) => inObject((s) => s.delete(ids)),
      };
    };
    const index = new DurableVectorIndex(stubFor);
    await index.upsert("agent-a", [entry("q1", unit(4, 0), T0 + HOUR, { answer: "A" })]);

    expect(await index.query("agent-a", unit(4, 0), { topK: 5, now: T0 })).toEqual([{ id: "q1", score: expect.closeTo(1, 5), metadata: { answer: "A" } }]);
    expect(await index.query("agent-b", unit(4, 0), { topK: 5, now: T0 })).toEqual([]);
    await index.delete("agent-b", ["q1"]);
    expect(await index.query("agent-a", unit(4, 0), { topK: 5, now: T0 })).toHaveLength(1);
  });
});
