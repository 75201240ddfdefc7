import { sha256Hex } from "../core/crypto";
import type { VectorEntry, VectorMatch, VectorMetadata } from "./vector-store";

export type { VectorEntry, VectorMetadata } from "./vector-store";

/**
 * Per-agent nearest-neighbour search for the similarity cache and learned-pattern exemplars.
 * Every call names the agent, and no implementation returns another agent's vectors.
 * Vectors are unit length (see `Embedder`), scores are cosine similarity, best first.
 */
export interface VectorIndex {
  /** The live (unexpired at `now`) entries nearest to `vector`, at most `topK`. */
  query(agentId: string, vector: Float32Array, opts: { topK: number; now: number }): Promise<Array<{ id: string; score: number; metadata: Record<string, unknown> }>>;
  upsert(agentId: string, entries: VectorEntry[]): Promise<void>;
  delete(agentId: string, ids: string[]): Promise<void>;
}

/** Raised before a call Vectorize would reject, with the limit that was crossed. */
export class VectorIndexError extends Error {
  override readonly name = "VectorIndexError";
  readonly code: "metadata_too_large" | "namespace_too_long";

  constructor(code: VectorIndexError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Vectorize

/** A vector as Vectorize's `upsert` takes it. */
export interface VectorizeUpsert {
  id: string;
  values: Float32Array;
  namespace?: string;
  metadata: Record<string, string | number>;
}

/** The part of the Vectorize binding (`env.VECTORIZE`) this index uses. */
export interface VectorizeBinding {
  query(
    vector: Float32Array,
    options: { topK: number; namespace?: string; filter?: Record<string, string>; returnMetadata: "all"; returnValues: boolean },
  ): Promise<{ matches: Array<{ id: string; score: number; metadata?: Record<string, unknown> }> }>;
  upsert(vectors: VectorizeUpsert[]): Promise<unknown>;
  deleteByIds(ids: string[]): Promise<unknown>;
}

/*
 * Vectorize limits that shape this class (developers.cloudflare.com/vectorize/platform/limits):
 * - topK is at most 20 when metadata or values are returned (100 without): queries are clamped to 20.
 * - Metadata is at most 10 KiB per vector: bigger entries are refused here with a clear error.
 * - Vector ids are at most 64 bytes and unique per *index*, not per namespace; `deleteByIds` takes
 *   no namespace. Ids are therefore derived from (agent, entry id) by SHA-256, so one agent can
 *   neither overwrite nor delete another's vector; the entry id travels in metadata.
 * - Namespaces: at most 50,000 per index (1,000 on the free plan), names at most 64 bytes. One
 *   namespace per agent is the default; past that, either shard agents over several indexes
 *   (several bindings, an agent → index routing function in front of several `VectorizeIndex`es),
 *   or use `tenancy: "metadata"`: the agent id becomes an indexed metadata filter, which has no
 *   per-index count limit (a metadata index on `agentId` must exist before vectors are inserted;
 *   at most 10 metadata indexes per Vectorize index, 64 indexed bytes per value).
 * - Writes are asynchronous: an upsert becomes queryable seconds later, so a cache entry does not
 *   answer the very next identical question. That costs one model call, never a wrong answer.
 */
export const VECTORIZE_MAX_TOP_K_WITH_METADATA = 20;
export const VECTORIZE_MAX_METADATA_BYTES = 10 * 1024;
export const VECTORIZE_MAX_UPSERT_BATCH = 1000;
const VECTORIZE_MAX_NAMESPACE_BYTES = 64;

export interface VectorizeIndexOptions {
  /** `namespace` (default): one namespace per agent. `metadata`: one filter on an indexed `agentId`. */
  tenancy?: "namespace" | "metadata";
  /**
   * Vectorize scores approximately unless values are returned. The cache compares scores to a
   * threshold such as 0.95, so exact scores are the default; turn off to trade precision for latency.
   */
  exactScores?: boolean;
  /** Keeps best-effort deletes of expired matches alive after the response (`ctx.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** What one vector carries in Vectorize metadata. `data` is the caller's metadata as JSON. */
interface StoredMetadata {
  agentId: string;
  entryId: string;
  expiresAt: number;
  data: string;
}

const encoder = new TextEncoder();

/**
 * The production `VectorIndex` over Vectorize. The index must be created with the embedder's
 * width and the cosine metric (`wrangler vectorize create foreman-cache --dimensions=768
 * --metric=cosine`), so scores are similarities where higher is closer.
 *
 * Entries past `expiresAt` are dropped from results and deleted best-effort (Vectorize has no TTL).
 *
 * @example
 * const index = new VectorizeIndex(env.VECTORIZE, { waitUntil: (p) => ctx.waitUntil(p) });
 * await index.upsert("acme", [{ id: "q1", vector, expiresAt: now + 3_600_000, metadata: { answer: "a1" } }]);
 * const [best] = await index.query("acme", vector, { topK: 1, now });
 */
export class VectorizeIndex implements VectorIndex {
  readonly #binding: VectorizeBinding;
  readonly #tenancy: "namespace" | "metadata";
  readonly #exactScores: boolean;
  readonly #waitUntil: ((promise: Promise<unknown>) => void) | undefined;

  constructor(binding: VectorizeBinding, opts: VectorizeIndexOptions = {}) {
    this.#binding = binding;
    this.#tenancy = opts.tenancy ?? "namespace";
    this.#exactScores = opts.exactScores ?? true;
    this.#waitUntil = opts.waitUntil;
  }

  async query(agentId: string, vector: Float32Array, opts: { topK: number; now: number }): Promise<VectorMatch[]> {
    const topK = Math.min(Math.floor(opts.topK), VECTORIZE_MAX_TOP_K_WITH_METADATA);
    if (!(topK >= 1)) return [];
    const { matches } = await this.#binding.query(vector, {
      topK,
      ...this.#scope(agentId),
      returnMetadata: "all",
      returnValues: this.#exactScores,
    });
    const live: VectorMatch[] = [];
    const expired: string[] = [];
    for (const match of matches) {
      const stored = readStored(match.metadata);
      // The namespace or filter already isolates agents; this check keeps it true if either is misconfigured.
      if (!stored || stored.agentId !== agentId) continue;
      if (stored.expiresAt <= opts.now) {
        expired.push(match.id);
        continue;
      }
      live.push({ id: stored.entryId, score: match.score, metadata: stored.data });
    }
    if (expired.length > 0) await this.#bestEffort(() => this.#binding.deleteByIds(expired));
    return live;
  }

  async upsert(agentId: string, entries: VectorEntry[]): Promise<void> {
    const scope = this.#scope(agentId);
    const namespace = "namespace" in scope ? scope.namespace : undefined;
    const vectors = await Promise.all(
      entries.map(async (e) => {
        const metadata: StoredMetadata = { agentId, entryId: e.id, expiresAt: e.expiresAt, data: JSON.stringify(e.metadata) };
        const bytes = encoder.encode(JSON.stringify(metadata)).byteLength;
        if (bytes > VECTORIZE_MAX_METADATA_BYTES) {
          throw new VectorIndexError("metadata_too_large", `entry "${e.id}" has ${bytes} bytes of metadata; Vectorize keeps at most ${VECTORIZE_MAX_METADATA_BYTES}`);
        }
        const vector: VectorizeUpsert = { id: await vectorId(agentId, e.id), values: e.vector, metadata: { ...metadata } };
        if (namespace !== undefined) vector.namespace = namespace;
        return vector;
      }),
    );
    for (let i = 0; i < vectors.length; i += VECTORIZE_MAX_UPSERT_BATCH) {
      await this.#binding.upsert(vectors.slice(i, i + VECTORIZE_MAX_UPSERT_BATCH));
    }
  }

  async delete(agentId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#binding.deleteByIds(await Promise.all(ids.map((id) => vectorId(agentId, id))));
  }

  #scope(agentId: string): { namespace: string } | { filter: Record<string, string> } {
    if (this.#tenancy === "metadata") return { filter: { agentId } };
    if (encoder.encode(agentId).byteLength > VECTORIZE_MAX_NAMESPACE_BYTES) {
      throw new VectorIndexError("namespace_too_long", `agent id "${agentId}" is longer than a Vectorize namespace (${VECTORIZE_MAX_NAMESPACE_BYTES} bytes)`);
    }
    return { namespace: agentId };
  }

  async #bestEffort(call: () => Promise<unknown>): Promise<void> {
    const quiet = Promise.resolve().then(call).then(
      () => undefined,
      () => undefined,
    );
    if (this.#waitUntil) this.#waitUntil(quiet);
    else await quiet;
  }
}

/** The index-wide Vectorize id of an agent's entry: 48 hex characters, well under the 64-byte limit. */
export async function vectorId(agentId: string, entryId: string): Promise<string> {
  return (await sha256Hex(`${agentId}\u0000${entryId}`)).slice(0, 48);
}

function readStored(metadata: Record<string, unknown> | undefined): (Omit<StoredMetadata, "data"> & { data: VectorMetadata }) | null {
  if (!metadata) return null;
  const { agentId, entryId, expiresAt, data } = metadata;
  if (typeof agentId !== "string" || typeof entryId !== "string" || typeof expiresAt !== "number" || typeof data !== "string") return null;
  try {
    return { agentId, entryId, expiresAt, data: JSON.parse(data) as VectorMetadata };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Durable Object

/** An entry as it crosses Durable Object RPC: the vector as a plain ArrayBuffer of float32. */
export interface WireVectorEntry {
  id: string;
  vector: ArrayBuffer;
  expiresAt: number;
  metadata: VectorMetadata;
}

/** The three RPC methods the agent's Durable Object exposes, each delegating to its `VectorStore`. */
export interface VectorRpc {
  vectorQuery(vector: ArrayBuffer, topK: number, now: number): Promise<VectorMatch[]>;
  vectorUpsert(entries: WireVectorEntry[]): Promise<void>;
  vectorDelete(ids: string[]): Promise<void>;
}

/**
 * The local `VectorIndex`: each agent's vectors live in a Durable Object of their own (a
 * `VectorStore` in its SQLite storage), so isolation is one object per agent and no query can
 * reach another agent's rows. For dev, tests and small tenants; see `VectorStore` for its limits.
 *
 * @example
 * const index = new DurableVectorIndex((agentId) => env.VECTORS.get(env.VECTORS.idFromName(agentId)));
 */
export class DurableVectorIndex implements VectorIndex {
  readonly #stubFor: (agentId: string) => VectorRpc;

  constructor(stubFor: (agentId: string) => VectorRpc) {
    this.#stubFor = stubFor;
  }

  async query(agentId: string, vector: Float32Array, opts: { topK: number; now: number }): Promise<VectorMatch[]> {
    return this.#stubFor(agentId).vectorQuery(toWire(vector), opts.topK, opts.now);
  }

  async upsert(agentId: string, entries: VectorEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#stubFor(agentId).vectorUpsert(entries.map((e) => ({ id: e.id, vector: toWire(e.vector), expiresAt: e.expiresAt, metadata: e.metadata })));
  }

  async delete(agentId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#stubFor(agentId).vectorDelete(ids);
  }
}

/** A copy of exactly the vector's bytes: a view's `.buffer` may hold more than the view. */
export function toWire(v: Float32Array): ArrayBuffer {
  return v.slice().buffer;
}

/** The receiving side of `toWire`. */
export function fromWire(entry: WireVectorEntry): VectorEntry {
  return { ...entry, vector: new Float32Array(entry.vector) };
}
