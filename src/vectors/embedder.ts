/**
 * Text → vector for the similarity cache. Two implementations behind one interface because
 * Workers AI has no local simulator: `WorkersAiEmbedder` in production, `HashingEmbedder` for
 * dev and tests (and as a zero-cost fallback). Vectors of different embedders are never
 * comparable, so every stored vector records the `id` of the embedder that made it.
 */
export interface Embedder {
  /** Names the vector space; two embedders with the same id must produce comparable vectors. */
  readonly id: string;
  readonly dimensions: number;
  /** One unit-length vector per text, in order, so cosine similarity is a dot product. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** A response or input an embedder cannot work with. */
export class EmbeddingError extends Error {
  override readonly name = "EmbeddingError";
  readonly code: "invalid_response" | "invalid_input";

  constructor(code: EmbeddingError["code"], message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.code = code;
  }
}

/** Scales `v` in place to unit length; a zero vector stays zero (it matches nothing). */
export function normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  if (sum === 0) return v;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

/** Dot product of two equal-length vectors: their cosine similarity when both are unit length. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Feature hashing

/**
 * MurmurHash3 x86_32 over the UTF-16 code units of `s[start, end)`, two units per 32-bit block.
 * Hashing code units directly avoids allocating a substring per n-gram.
 */
export function murmur3(s: string, seed: number, start = 0, end = s.length): number {
  let h = seed >>> 0;
  let i = start;
  for (; i + 1 < end; i += 2) {
    let k = (s.charCodeAt(i) & 0xffff) | ((s.charCodeAt(i + 1) & 0xffff) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < end) {
    let k = s.charCodeAt(i) & 0xffff;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= (end - start) * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Every spelling of the apostrophe, so "hasn’t" and "hasn't" become one token. */
const APOSTROPHES = /['\u2018\u2019\u201B\u02BC\u02B9\u0060\u00B4\u2032\uFF07]/g;
/** A word: letters, combining marks and digits. Everything else separates words. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/**
 * The words of a text as the hashing embedder sees them: NFKC (full-width and ligature forms
 * fold to plain ones), lower case, apostrophes dropped ("hasn't" = "hasnt" = "hasn’t"), split on
 * anything that is not a letter, mark or digit (so punctuation never changes a vector).
 */
export function words(text: string): string[] {
  return text.normalize("NFKC").toLowerCase().replace(APOSTROPHES, "").match(WORD) ?? [];
}

export interface HashingOptions {
  /** Vector length; 1,024 keeps collisions rare for short customer messages. */
  dimensions?: number;
  /** Character n-gram lengths, inclusive. */
  minGram?: number;
  maxGram?: number;
  /** Weight of one character n-gram, one word and one word pair (before sublinear tf). */
  charWeight?: number;
  wordWeight?: number;
  bigramWeight?: number;
}

// One seed per feature kind, so the character n-gram "car" and the word "car" are different features.
const SEED_CHAR = 0x9747b28c;
const SEED_WORD = 0x5bd1e995;
const SEED_BIGRAM = 0x1b873593;

/**
 * A model-free embedder: the "hashing trick" over character n-grams and words. Robust to typos,
 * inflections and word order changes, blind to synonyms; deterministic and free. The default
 * for dev and tests, where Workers AI does not run.
 *
 * Features: character 3–5-grams over the words joined by single spaces and padded with a space
 * at each end (so grams mark word starts and ends, and some cross word boundaries), words, and
 * adjacent word pairs, the last two weighted higher. Each feature counts `1 + ln(tf)` times its
 * weight, is hashed to a bucket with MurmurHash3, and a second bit of the same hash picks its sign
 * so that colliding features cancel on average instead of inflating similarity.
 *
 * @example
 * const embedder = new HashingEmbedder();
 * const [a, b] = await embedder.embed(["My card still hasn't arrived", "my card hasn't arrived yet"]);
 * dot(a, b); // ≈ 0.72
 */
export class HashingEmbedder implements Embedder {
  readonly id = "hash-ngram-v1";
  readonly dimensions: number;
  readonly #minGram: number;
  readonly #maxGram: number;
  readonly #weights: { char: number; word: number; bigram: number };

  constructor(opts: HashingOptions = {}) {
    this.dimensions = opts.dimensions ?? 1024;
    this.#minGram = opts.minGram ?? 3;
    this.#maxGram = opts.maxGram ?? 5;
    this.#weights = { char: opts.charWeight ?? 1, word: opts.wordWeight ?? 2, bigram: opts.bigramWeight ?? 1.5 };
    if (!Number.isInteger(this.dimensions) || this.dimensions < 2) {
      throw new EmbeddingError("invalid_input", `dimensions must be an integer ≥ 2, got ${this.dimensions}`);
    }
    if (!(this.#minGram >= 1 && this.#maxGram >= this.#minGram)) {
      throw new EmbeddingError("invalid_input", `n-gram range ${this.#minGram}–${this.#maxGram} is empty`);
    }
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  /** The synchronous core of `embed`, for callers that embed one text at a time. */
  embedOne(text: string): Float32Array {
    const tokens = words(text);
    // Feature hash → [weight, count]. Sublinear tf needs counts per feature, not per bucket.
    const features = new Map<number, [number, number]>();
    const add = (hash: number, weight: number) => {
      const f = features.get(hash);
      if (f) f[1]++;
      else features.set(hash, [weight, 1]);
    };

    if (tokens.length > 0) {
      const padded = ` ${tokens.join(" ")} `;
      for (let n = this.#minGram; n <= this.#maxGram; n++) {
        for (let i = 0; i + n <= padded.length; i++) add(murmur3(padded, SEED_CHAR, i, i + n), this.#weights.char);
      }
    }
    for (let i = 0; i < tokens.length; i++) {
      add(murmur3(tokens[i]!, SEED_WORD), this.#weights.word);
      if (i + 1 < tokens.length) add(murmur3(`${tokens[i]} ${tokens[i + 1]}`, SEED_BIGRAM), this.#weights.bigram);
    }

    const v = new Float32Array(this.dimensions);
    for (const [hash, [weight, count]] of features) {
      // Bit 0 picks the sign, the remaining 31 bits the bucket.
      const sign = hash & 1 ? -1 : 1;
      v[(hash >>> 1) % this.dimensions]! += sign * weight * (1 + Math.log(count));
    }
    return normalize(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Workers AI

/** The part of the `Ai` binding this embedder uses. */
export interface AiRunner {
  run(model: string, input: Record<string, unknown>): Promise<unknown>;
}

export interface WorkersAiOptions {
  /** A Workers AI text-embedding model; default `@cf/baai/bge-base-en-v1.5`. */
  model?: string;
  /** Its output width: 768 for bge-base, 384 for bge-small, 1024 for bge-large and bge-m3. */
  dimensions?: number;
  /**
   * The bge models' pooling. Unset, the model's default (`mean`) is used and the id is the model
   * name. `cls` is more accurate on long inputs but incompatible with mean-pooled vectors, so it
   * changes the id: vectors stored under the other pooling are then never compared.
   */
  pooling?: "mean" | "cls";
  /** Texts per call, at most 100: one request stays small even at bge's 512 tokens per text. */
  batchSize?: number;
}

export const WORKERS_AI_MAX_BATCH = 100;

/**
 * Embeddings from Workers AI. The bge models answer `{ shape: [n, dims], data: number[][] }`;
 * anything else (an async `request_id`, a wrong count or width, a non-finite value) is an
 * `EmbeddingError` rather than a vector that would silently match the wrong entries.
 *
 * @example
 * const embedder = new WorkersAiEmbedder(env.AI);
 * const [vector] = await embedder.embed(["Where is my card?"]);
 */
export class WorkersAiEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly #ai: AiRunner;
  readonly #model: string;
  readonly #pooling: "mean" | "cls" | undefined;
  readonly #batchSize: number;

  constructor(ai: AiRunner, opts: WorkersAiOptions = {}) {
    this.#ai = ai;
    this.#model = opts.model ?? "@cf/baai/bge-base-en-v1.5";
    this.#pooling = opts.pooling;
    this.id = opts.pooling ? `${this.#model}#${opts.pooling}` : this.#model;
    this.dimensions = opts.dimensions ?? 768;
    this.#batchSize = Math.min(opts.batchSize ?? WORKERS_AI_MAX_BATCH, WORKERS_AI_MAX_BATCH);
    if (!(this.#batchSize >= 1)) throw new EmbeddingError("invalid_input", `batchSize must be 1–${WORKERS_AI_MAX_BATCH}`);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.#batchSize) {
      const batch = texts.slice(i, i + this.#batchSize);
      const input: Record<string, unknown> = { text: batch };
      if (this.#pooling) input.pooling = this.#pooling;
      const response = await this.#ai.run(this.#model, input);
      out.push(...this.#vectors(response, batch.length));
    }
    return out;
  }

  #vectors(response: unknown, expected: number): Float32Array[] {
    const fail = (why: string) =>
      new EmbeddingError("invalid_response", `Workers AI model ${this.#model} returned ${why}; expected { shape: [${expected}, ${this.dimensions}], data: number[][] }`);
    if (typeof response !== "object" || response === null) throw fail(`a ${response === null ? "null" : typeof response}`);
    if ("request_id" in response && !("data" in response)) throw fail("an async request_id (queued requests are not supported)");
    const { data, shape } = response as { data?: unknown; shape?: unknown };
    if (!Array.isArray(data)) throw fail("no data array");
    if (data.length !== expected) throw fail(`${data.length} vectors for ${expected} texts`);
    if (shape !== undefined && !(Array.isArray(shape) && shape[0] === expected && shape[1] === this.dimensions)) {
      throw fail(`shape ${JSON.stringify(shape)}`);
    }
    return data.map((row: unknown, i) => {
      if (!Array.isArray(row) || row.length !== this.dimensions) {
        throw fail(`a vector of ${Array.isArray(row) ? row.length : typeof row} at index ${i}`);
      }
      const v = new Float32Array(this.dimensions);
      for (let j = 0; j < row.length; j++) {
        const x: unknown = row[j];
        if (typeof x !== "number" || !Number.isFinite(x)) throw fail(`a non-finite value at [${i}][${j}]`);
        v[j] = x;
      }
      return normalize(v);
    });
  }
}
