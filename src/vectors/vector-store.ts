import { dot, normalize } from "./embedder";

/** Metadata kept beside a vector: flat, JSON-safe, small. */
export type VectorMetadata = Record<string, string | number | boolean>;

export interface VectorEntry {
  id: string;
  vector: Float32Array;
  /** Milliseconds since the epoch; at and after this instant the entry no longer matches. */
  expiresAt: number;
  metadata: VectorMetadata;
}

export interface VectorMatch {
  id: string;
  /** Cosine similarity, −1…1. */
  score: number;
  metadata: VectorMetadata;
}

export interface VectorStoreOptions {
  /** The embedder whose vectors this store holds; rows of any other embedder are never matched. */
  embedder: { id: string; dimensions: number };
  /** Most rows kept; past it the rows expiring soonest are evicted. */
  maxEntries?: number;
}

export const DEFAULT_MAX_ENTRIES = 5_000;

/**
 * A brute-force vector index in a Durable Object's SQLite storage: the local `VectorIndex` behind
 * `DurableVectorIndex`, one store per agent object, so isolation comes from the object itself.
 *
 * Meant for dev, tests and small tenants. A query reads every live row of the agent (up to
 * `maxEntries`, 5,000 by default: about 20 MB of 1,024-dimension vectors scanned per query at
 * the cap), which is fine for thousands of entries and wrong for millions; large tenants use
 * Vectorize. Vectors are stored unit-length as float32 BLOBs, so a score is one dot product.
 *
 * Each row records the embedder id and width that made it. Switching embedders (say from
 * hashing to Workers AI) leaves old rows in place but never compares them, and they are the
 * first evicted when the store is full.
 *
 * @example
 * const store = new VectorStore(ctx.storage.sql, { embedder });
 * store.upsert([{ id: "faq-1", vector, expiresAt: now + 3_600_000, metadata: { answer: "a1" } }]);
 * store.query(vector, { topK: 3, now, minScore: 0.9 });
 */
export class VectorStore {
  readonly #sql: SqlStorage;
  readonly #embedder: { id: string; dimensions: number };
  readonly #maxEntries: number;
  /**
   * The live rows of this embedder, held in memory after the first query so a query scans
   * floats, not SQLite BLOBs. Every write goes through this object, so it never goes stale;
   * bulk deletes (expiry, eviction) simply drop it to be reloaded.
   */
  #rows: Map<string, { vector: Float32Array; expiresAt: number; metadata: string }> | null = null;

  constructor(sql: SqlStorage, opts: VectorStoreOptions) {
    this.#sql = sql;
    this.#embedder = opts.embedder;
    this.#maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!(Number.isInteger(this.#maxEntries) && this.#maxEntries >= 1)) throw new RangeError(`maxEntries must be a positive integer, got ${this.#maxEntries}`);
    sql.exec(`
      CREATE TABLE IF NOT EXISTS vectors (
        id TEXT PRIMARY KEY, embedder TEXT NOT NULL, dims INTEGER NOT NULL, vector BLOB NOT NULL,
        expires_at INTEGER NOT NULL, metadata TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS vectors_expiry ON vectors (expires_at);
    `);
  }

  /** Inserts or replaces entries by id, then evicts the soonest-expiring rows beyond the cap. */
  upsert(entries: VectorEntry[]): void {
    for (const e of entries) {
      const vector = this.#unit(e.vector, `entry "${e.id}"`);
      this.#sql.exec(
        "INSERT OR REPLACE INTO vectors (id, embedder, dims, vector, expires_at, metadata) VALUES (?, ?, ?, ?, ?, ?)",
        e.id,
        this.#embedder.id,
        vector.length,
        vector.buffer,
        e.expiresAt,
        JSON.stringify(e.metadata),
      );
      this.#rows?.set(e.id, { vector, expiresAt: e.expiresAt, metadata: JSON.stringify(e.metadata) });
    }
    this.#evictOverflow();
  }

  /**
   * The `topK` live entries most similar to `vector`, best first (ties by id), each scoring at
   * least `minScore` when given. Expired rows are deleted on the way. A zero vector (an empty
   * text) matches nothing.
   */
  query(vector: Float32Array, opts: { topK: number; now: number; minScore?: number }): VectorMatch[] {
    const q = this.#unit(vector, "query vector");
    if (opts.topK < 1 || q.every((x) => x === 0)) return [];
    if (this.#sql.exec("DELETE FROM vectors WHERE expires_at <= ?", opts.now).rowsWritten > 0) this.#rows = null;
    const minScore = opts.minScore ?? -Infinity;
    const best: { id: string; score: number; metadata: string }[] = [];
    for (const [id, row] of this.#live()) {
      const score = dot(q, row.vector);
      if (score < minScore) continue;
      if (best.length === opts.topK && !ranksBefore(score, id, best[best.length - 1]!)) continue;
      const at = best.findIndex((b) => ranksBefore(score, id, b));
      best.splice(at === -1 ? best.length : at, 0, { id, score, metadata: row.metadata });
      if (best.length > opts.topK) best.pop();
    }
    return best.map((b) => ({ id: b.id, score: b.score, metadata: JSON.parse(b.metadata) as VectorMetadata }));
  }

  delete(ids: string[]): void {
    // One statement per id: Durable Object SQL binds at most 100 parameters per statement.
    for (const id of ids) {
      this.#sql.exec("DELETE FROM vectors WHERE id = ?", id);
      this.#rows?.delete(id);
    }
  }

  /** Rows stored, of every embedder, expired or not (until the next query or prune). */
  count(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM vectors").one().n;
  }

  /** Deletes expired rows; says how many and when the next one expires, for an alarm. */
  prune(now: number): { removed: number; nextExpiresAt: number | null } {
    const removed = this.#sql.exec("DELETE FROM vectors WHERE expires_at <= ?", now).rowsWritten;
    if (removed > 0) this.#rows = null;
    const next = this.#sql.exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM vectors").one().t;
    return { removed, nextExpiresAt: next };
  }

  #evictOverflow(): void {
    const excess = this.count() - this.#maxEntries;
    if (excess <= 0) return;
    // Rows of another embedder can never match, so they go first; then the soonest to expire.
    this.#sql.exec(
      `DELETE FROM vectors WHERE id IN (
         SELECT id FROM vectors ORDER BY (embedder = ? AND dims = ?) ASC, expires_at ASC, id ASC LIMIT ?)`,
      this.#embedder.id,
      this.#embedder.dimensions,
      excess,
    );
    this.#rows = null;
  }

  /** This embedder's rows, loaded from SQLite once and kept in step by every write. */
  #live(): Map<string, { vector: Float32Array; expiresAt: number; metadata: string }> {
    if (!this.#rows) {
      this.#rows = new Map();
      const rows = this.#sql.exec<{ id: string; vector: ArrayBuffer; expires_at: number; metadata: string }>(
        "SELECT id, vector, expires_at, metadata FROM vectors WHERE embedder = ? AND dims = ?",
        this.#embedder.id,
        this.#embedder.dimensions,
      );
      for (const r of rows) this.#rows.set(r.id, { vector: new Float32Array(r.vector), expiresAt: r.expires_at, metadata: r.metadata });
    }
    return this.#rows;
  }

  /** A unit-length copy, after checking width and finiteness: a bad vector would poison every score. */
  #unit(v: Float32Array, what: string): Float32Array {
    if (v.length !== this.#embedder.dimensions) {
      throw new RangeError(`${what} has ${v.length} dimensions; embedder ${this.#embedder.id} makes ${this.#embedder.dimensions}`);
    }
    if (!v.every(Number.isFinite)) throw new RangeError(`${what} has a non-finite value`);
    return normalize(Float32Array.from(v));
  }
}

/** Higher score first; equal scores by id, so results do not depend on row order. */
function ranksBefore(score: number, id: string, other: { id: string; score: number }): boolean {
  return score > other.score || (score === other.score && id < other.id);
}
