/**
 * Detection: which of an agent's model answers are answers to one request type. Real answers to
 * one request type share their facts, not their wording (openers, closers and restatements
 * vary), so answers are compared on their content words: word uni- and bigrams weighted by
 * inverse document frequency over the agent's answers in the window, so that what every answer
 * says ("I hope that helps") weighs nothing and what few answers say weighs most.
 *
 * Grouping is a leader pass (each answer joins the group whose centroid it is most similar to,
 * at least `minSimilarity`, or starts one) followed by `refinements` passes reassigning every
 * answer to its nearest centroid, so the result hardly depends on the order. Cost: answers ×
 * groups × nonzero features per answer, linear in the window's size.
 */
import { normalizeText } from "../cost/text/normalize.ts";
import { prng } from "../core/random.ts";
import { fnv1a } from "./features.ts";

export interface DetectOptions {
  /** Members a group needs to become a candidate pattern (`learning.patterns.minOccurrences`). */
  minOccurrences: number;
  /** Cosine an answer needs to its group's centroid to join it. */
  minSimilarity?: number;
  refinements?: number;
  dim?: number;
  /** Groups whose centroids are at least this similar are one group (a request type split in two). */
  mergeSimilarity?: number;
  /** Answers one run reads at most: a seeded uniform sample of a larger window, so a run's cost is bounded. */
  maxAnswers?: number;
  seed?: number;
}

export interface AnswerGroup {
  /** Indices of the member answers in the input. */
  members: number[];
  /** The member closest to the group's centroid: the pattern's canonical answer, in the business's own words. */
  canonical: number;
  /** Mean cosine of the members to the centroid: how much the answers agree. */
  agreement: number;
}

export interface Detection {
  /** Groups with at least `minOccurrences` members, largest first. */
  candidates: AnswerGroup[];
  /** Answers left in groups too small to learn from. */
  unassigned: number;
  groups: number;
}

interface Vec {
  idx: number[];
  val: number[];
}

function counts(text: string, dim: number): Map<number, number> {
  const words = normalizeText(text.slice(0, 4_000)).split(/\s+/).filter((w) => w.length > 1);
  const out = new Map<number, number>();
  for (let i = 0; i < words.length; i++) {
    const uni = fnv1a(words[i]!) % dim;
    out.set(uni, (out.get(uni) ?? 0) + 1);
    if (i + 1 < words.length) {
      const bi = fnv1a(`${words[i]} ${words[i + 1]}`) % dim;
      out.set(bi, (out.get(bi) ?? 0) + 1);
    }
  }
  return out;
}

/** A group's centroid as the sparse sum of its members, with the sum's squared norm kept up to date. */
interface Centroid {
  sum: Map<number, number>;
  norm2: number;
}

function dotSum(v: Vec, c: Centroid): number {
  let s = 0;
  for (let i = 0; i < v.idx.length; i++) s += v.val[i]! * (c.sum.get(v.idx[i]!) ?? 0);
  return s;
}

/** Cosine of a unit vector to the centroid's direction. */
function cosine(v: Vec, c: Centroid): number {
  return c.norm2 > 0 ? dotSum(v, c) / Math.sqrt(c.norm2) : 0;
}

function addTo(c: Centroid, v: Vec): void {
  // |s + v|² = |s|² + 2 s·v + |v|², and |v| = 1.
  c.norm2 += 2 * dotSum(v, c) + 1;
  for (let i = 0; i < v.idx.length; i++) c.sum.set(v.idx[i]!, (c.sum.get(v.idx[i]!) ?? 0) + v.val[i]!);
}

const emptyCentroid = (): Centroid => ({ sum: new Map(), norm2: 0 });

function centroidCosine(a: Centroid, b: Centroid): number {
  if (a.norm2 === 0 || b.norm2 === 0) return 0;
  const [small, large] = a.sum.size <= b.sum.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [k, v] of small.sum) dot += v * (large.sum.get(k) ?? 0);
  return dot / Math.sqrt(a.norm2 * b.norm2);
}

/** An answer's strongest features used to find the groups it may belong to. */
const PROBES = 8;

/** One model answer (with the question it answered, which grouping does not read: answers restate questions, and the topic words they share count). */
export interface AnsweredQuestion {
  question?: string;
  answer: string;
}

/** Groups answers that say the same thing; candidates are the groups big enough to learn from. */
export function detectGroups(items: readonly AnsweredQuestion[], opts: DetectOptions): Detection {
  const cap = opts.maxAnswers ?? DEFAULT_MAX_ANSWERS;
  if (items.length <= cap) return group(items, opts);
  // A uniform sample (partial Fisher–Yates, seeded), then indices back to the window's.
  const random = prng(opts.seed ?? 11);
  const picked = items.map((_, i) => i);
  for (let i = 0; i < cap; i++) {
    const j = i + Math.floor(random() * (picked.length - i));
    [picked[i], picked[j]] = [picked[j]!, picked[i]!];
  }
  const sample = picked.slice(0, cap).sort((a, b) => a - b);
  const found = group(sample.map((i) => items[i]!), { ...opts, minOccurrences: Math.max(2, Math.ceil((opts.minOccurrences * cap) / items.length)) });
  return {
    candidates: found.candidates.map((g) => ({ ...g, members: g.members.map((m) => sample[m]!), canonical: sample[g.canonical]! })),
    unassigned: found.unassigned + (items.length - cap),
    groups: found.groups,
  };
}

/** Answers one detection run reads at most, unless told otherwise. */
export const DEFAULT_MAX_ANSWERS = 20_000;

function group(items: readonly AnsweredQuestion[], opts: DetectOptions): Detection {
  const dim = opts.dim ?? 1 << 20;
  const minSimilarity = opts.minSimilarity ?? 0.4;
  const raw = items.map(({ answer }) => counts(answer, dim));
  const df = new Map<number, number>();
  for (const c of raw) for (const k of c.keys()) df.set(k, (df.get(k) ?? 0) + 1);
  const n = items.length;
  const vecs: Vec[] = raw.map((c) => {
    const idx: number[] = [];
    const val: number[] = [];
    let norm = 0;
    for (const [k, tf] of c) {
      const w = (1 + Math.log(tf)) * Math.log((n + 1) / (df.get(k)! + 0.5));
      if (w <= 0) continue;
      idx.push(k);
      val.push(w);
      norm += w * w;
    }
    norm = Math.sqrt(norm) || 1;
    return { idx, val: val.map((v) => v / norm) };
  });

  // Each answer is compared only with the groups that share one of its strongest features
  // (an inverted index from feature to groups), which keeps the cost near linear however many
  // small groups one-off answers make.
  const strongest = vecs.map((v) => v.idx.map((k, i) => [k, v.val[i]!] as const).sort((x, y) => y[1] - x[1]).slice(0, PROBES).map(([k]) => k));
  const nearest = (i: number, centroids: Centroid[], postings: Map<number, Set<number>>, floor: number, start = -1) => {
    let best = start;
    let bestSim = start >= 0 ? cosine(vecs[i]!, centroids[start]!) : floor;
    const seen = new Set<number>();
    for (const k of strongest[i]!) {
      for (const g of postings.get(k) ?? []) {
        if (seen.has(g)) continue;
        seen.add(g);
        const sim = cosine(vecs[i]!, centroids[g]!);
        if (sim > bestSim || (start < 0 && sim === bestSim && best < 0)) {
          best = g;
          bestSim = sim;
        }
      }
    }
    return best;
  };
  const join = (i: number, g: number, centroids: Centroid[], postings: Map<number, Set<number>>) => {
    addTo(centroids[g]!, vecs[i]!);
    for (const k of vecs[i]!.idx) {
      const set = postings.get(k);
      if (set) set.add(g);
      else postings.set(k, new Set([g]));
    }
  };

  const assign = new Int32Array(n).fill(-1);
  let centroids: Centroid[] = [];
  let postings = new Map<number, Set<number>>();
  for (let i = 0; i < n; i++) {
    let best = nearest(i, centroids, postings, minSimilarity);
    if (best < 0) {
      best = centroids.length;
      centroids.push(emptyCentroid());
    }
    assign[i] = best;
    join(i, best, centroids, postings);
  }
  for (let r = 0; r < (opts.refinements ?? 2); r++) {
    const next = centroids.map(emptyCentroid);
    const nextPostings = new Map<number, Set<number>>();
    for (let i = 0; i < n; i++) {
      const best = nearest(i, centroids, postings, -Infinity, assign[i]!);
      assign[i] = best;
      join(i, best, next, nextPostings);
    }
    centroids = next;
    postings = nextPostings;
  }

  // Merge groups one request type was split into: centroids nearly parallel.
  const root = centroids.map((_, g) => g);
  const find = (g: number): number => (root[g] === g ? g : (root[g] = find(root[g]!)));
  const sizes = new Map<number, number>();
  for (let i = 0; i < n; i++) sizes.set(assign[i]!, (sizes.get(assign[i]!) ?? 0) + 1);
  const sizable = [...sizes.entries()].filter(([, size]) => size * 2 >= opts.minOccurrences).map(([g]) => g);
  const mergeAt = opts.mergeSimilarity ?? 0.8;
  for (let a = 0; a < sizable.length; a++) {
    for (let b = a + 1; b < sizable.length; b++) {
      const [ga, gb] = [sizable[a]!, sizable[b]!];
      if (centroidCosine(centroids[ga]!, centroids[gb]!) >= mergeAt) root[find(gb)] = find(ga);
    }
  }
  for (let i = 0; i < n; i++) assign[i] = find(assign[i]!);
  if (sizable.some((g) => find(g) !== g)) {
    const merged = centroids.map(emptyCentroid);
    for (let i = 0; i < n; i++) addTo(merged[assign[i]!]!, vecs[i]!);
    centroids = merged;
  }

  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = members.get(assign[i]!);
    if (list) list.push(i);
    else members.set(assign[i]!, [i]);
  }
  const candidates: AnswerGroup[] = [];
  let unassigned = 0;
  for (const [g, list] of members) {
    if (list.length < opts.minOccurrences) {
      unassigned += list.length;
      continue;
    }
    let canonical = list[0]!;
    let best = -Infinity;
    let total = 0;
    for (const i of list) {
      const s = cosine(vecs[i]!, centroids[g]!);
      total += s;
      if (s > best) {
        best = s;
        canonical = i;
      }
    }
    candidates.push({ members: list, canonical, agreement: total / list.length });
  }
  candidates.sort((a, b) => b.members.length - a.members.length);
  return { candidates, unassigned, groups: members.size };
}
