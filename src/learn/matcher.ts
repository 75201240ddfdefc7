/**
 * A pattern matcher as it is fitted and served: the softmax over hashed n-grams, the threshold
 * proven on examples it never trained on, and an out-of-distribution gate.
 *
 * Fitting splits the agent's learnable examples (seeded): most train the model, the rest
 * calibrate it. The served model is the one the threshold was proven on, so the proof holds
 * for it (a model retrained on all examples would be more confident than the one tested).
 *
 * The gate: a request must also be close enough to the centroid of the class it is matched to
 * (cosine over the same features). The minimum is the `oodQuantile` quantile of the calibration
 * examples' own similarities, so it turns away about that share of in-scope requests and,
 * measured on banking77 against CLINC150, most requests unlike anything the agent has seen.
 */
import { calibrate, type Calibration, type HeldOut } from "./calibrate.ts";
import { featurize, type SparseVector } from "./features.ts";
import { predict, type SoftmaxModel, train } from "./softmax.ts";
import { prng } from "../core/random.ts";
import { bucketsFor, quantizeWeights, type ServedMatcher, truncateCentroids } from "./snapshot.ts";

export interface MatcherOptions {
  /** Hash buckets; by default as many as keep the stored model small (`bucketsFor`). */
  dim?: number;
  /** Precision the threshold must be proven to keep (`learning.patterns.confidenceThreshold`). */
  target: number;
  alpha?: number;
  /** Share of the examples kept apart to calibrate on. */
  calibrationShare?: number;
  /** Share of in-scope requests the out-of-distribution gate may turn away. */
  oodQuantile?: number;
  epochs?: number;
  seed?: number;
  /**
   * Whether predicting `label` for example `index` is right; by default, the example's own label.
   * Validation judges by what the pattern would say (its answer agrees with the example's).
   */
  correct?: (index: number, label: number) => boolean;
  /** Labels that never answer (the class of requests no pattern holds): not counted as answered. */
  abstains?: (label: number) => boolean;
}

/**
 * A fitted matcher: what is served (`model`; `centroids`, per class the L2-normalized mean of its
 * training examples' features; `threshold`, the proven one on the model's probability, null when
 * the matcher must not serve; `minSimilarity`, the gate's least cosine to the matched class's
 * centroid), quantized as stored, plus how it was proven.
 */
export interface Matcher extends ServedMatcher {
  model: SoftmaxModel;
  calibration: Calibration;
  /** The held-out predictions the proof was made on, for per-class reports. */
  holdout: Array<{ truth: number; label: number; answered: boolean; correct: boolean }>;
}

export interface Match {
  label: number;
  probability: number;
  similarity: number;
  /** Whether the matcher may answer: proven threshold met and the request in distribution. */
  answers: boolean;
}

function centroidsOf(examples: ReadonlyArray<{ x: SparseVector; label: number }>, classes: number, dim: number): Float32Array {
  const sums = new Float32Array(classes * dim);
  for (const { x, label } of examples) for (let i = 0; i < x.idx.length; i++) sums[label * dim + x.idx[i]!] = sums[label * dim + x.idx[i]!]! + x.val[i]!;
  for (let c = 0; c < classes; c++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += sums[c * dim + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < dim; j++) sums[c * dim + j] = sums[c * dim + j]! / norm;
  }
  return sums;
}

function similarity(centroids: Float32Array, dim: number, label: number, x: SparseVector): number {
  let dot = 0;
  for (let i = 0; i < x.idx.length; i++) dot += centroids[label * dim + x.idx[i]!]! * x.val[i]!;
  return dot;
}

/** Fits a matcher on labelled texts (labels 0 .. classes-1). */
export function fitMatcher(examples: ReadonlyArray<{ text: string; label: number }>, classes: number, opts: MatcherOptions): Matcher {
  const dim = opts.dim ?? bucketsFor(classes);
  const random = prng(opts.seed ?? 7);
  const featured = examples.map((e, index) => ({ x: featurize(e.text, dim), label: e.label, index, hold: random() < (opts.calibrationShare ?? 0.2) }));
  const fit = featured.filter((e) => !e.hold);
  const held = featured.filter((e) => e.hold);
  // Proven as stored: quantized weights, truncated centroids.
  const model = quantizeWeights(train(fit, classes, dim, { epochs: opts.epochs ?? 12, seed: opts.seed ?? 7 }));
  const centroids = truncateCentroids(centroidsOf(fit, classes, dim), classes, dim);
  const correct = opts.correct ?? ((index: number, label: number) => examples[index]!.label === label);
  const abstains = opts.abstains ?? (() => false);
  const predictions = held.map((e) => ({ ...predict(model, e.x), truth: e.label, index: e.index, similarity: 0 }));
  for (const [i, p] of predictions.entries()) p.similarity = similarity(centroids, dim, p.label, held[i]!.x);
  const sims = predictions.map((p) => p.similarity).sort((a, b) => a - b);
  const minSimilarity = sims.length ? sims[Math.floor((opts.oodQuantile ?? 0.02) * sims.length)]! : 1;
  // The proof covers what would be answered: predictions that also pass the gate, of a class that answers.
  const heldOut: HeldOut[] = predictions
    .filter((p) => p.similarity >= minSimilarity && !abstains(p.label))
    .map((p) => ({ probability: p.probability, correct: correct(p.index, p.label) }));
  const calibration = calibrate(heldOut, opts.target, opts.alpha ?? 0.05);
  const threshold = calibration.threshold;
  const holdout = predictions.map((p) => ({
    truth: p.truth,
    label: p.label,
    answered: threshold !== null && p.probability >= threshold && p.similarity >= minSimilarity && !abstains(p.label),
    correct: correct(p.index, p.label),
  }));
  return { model, centroids, threshold, minSimilarity, calibration, holdout };
}

/** Matches one request. */
export function match(matcher: ServedMatcher, text: string): Match {
  const x = featurize(text, matcher.model.dim);
  const { label, probability } = predict(matcher.model, x);
  const sim = similarity(matcher.centroids, matcher.model.dim, label, x);
  return { label, probability, similarity: sim, answers: matcher.threshold !== null && probability >= matcher.threshold && sim >= matcher.minSimilarity };
}
