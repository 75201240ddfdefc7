/**
 * Text → sparse features for the pattern matcher: hashed word unigrams and bigrams and character
 * 3- to 5-grams of the normalized text (the hashing trick: no vocabulary to store, a fixed
 * dimension), each weighted 1, the vector L2-normalized. Character n-grams carry misspellings
 * and inflections ("recieve", "received"); word bigrams carry negations and order ("not arrived").
 */
import { normalizeText } from "../cost/text/normalize.ts";

/** A sparse vector: bucket indices (sorted, unique) and their values. */
export interface SparseVector {
  idx: Uint32Array;
  val: Float32Array;
}

/** FNV-1a, 32 bits (its offset basis XOR `seed`): fast, stable across runtimes, good enough spread for bucketing. */
export function fnv1a(text: string, seed = 0): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Characters of a text read for features: a customer question, not a document. */
const MAX_CHARS = 1_000;

/**
 * The features of a text in `dim` buckets.
 *
 * @example
 * featurize("My card hasn't arrived", 1 << 14).idx.length; // a few dozen buckets
 */
export function featurize(text: string, dim: number): SparseVector {
  const normalized = normalizeText(text.slice(0, MAX_CHARS));
  const words = normalized.split(/\s+/).filter(Boolean);
  const counts = new Map<number, number>();
  const add = (gram: string, seed: number) => {
    const b = fnv1a(gram, seed) % dim;
    counts.set(b, (counts.get(b) ?? 0) + 1);
  };
  for (let i = 0; i < words.length; i++) {
    add(words[i]!, 1);
    if (i + 1 < words.length) add(`${words[i]} ${words[i + 1]}`, 2);
  }
  for (const word of words) {
    const padded = ` ${word} `;
    for (let n = 3; n <= 5; n++) for (let i = 0; i + n <= padded.length; i++) add(padded.slice(i, i + n), 3);
  }
  const idx = Uint32Array.from([...counts.keys()].sort((a, b) => a - b));
  const val = new Float32Array(idx.length);
  let norm = 0;
  for (let i = 0; i < idx.length; i++) {
    // Sublinear counts: a repeated word says a little more, not twice as much.
    const v = 1 + Math.log(counts.get(idx[i]!)!);
    val[i] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < val.length; i++) val[i]! /= norm;
  return { idx, val };
}
