/**
 * Multinomial logistic regression (softmax) over sparse hashed features, trained by stochastic
 * gradient descent with AdaGrad step sizes and L2 shrinkage. The matcher's classes are the
 * agent's answer groups; its probability is what the calibrated threshold is applied to.
 * Deterministic for a given seed, so a pattern's validation report can be reproduced.
 */
import { prng } from "../core/random.ts";
import type { SparseVector } from "./features.ts";

export interface SoftmaxModel {
  dim: number;
  classes: number;
  /** Row-major: class c's weight for bucket j is `weights[c * dim + j]`. */
  weights: Float32Array;
  bias: Float32Array;
}

export interface TrainOptions {
  epochs?: number;
  learningRate?: number;
  /** L2 penalty per update, scaled by the step. */
  l2?: number;
  seed?: number;
}

/** Class probabilities of one example. */
export function probabilities(model: SoftmaxModel, x: SparseVector, out = new Float32Array(model.classes)): Float32Array {
  const { dim, classes, weights, bias } = model;
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    let z = bias[c]!;
    const row = c * dim;
    for (let i = 0; i < x.idx.length; i++) z += weights[row + x.idx[i]!]! * x.val[i]!;
    out[c] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let c = 0; c < classes; c++) {
    const e = Math.exp(out[c]! - max);
    out[c] = e;
    sum += e;
  }
  for (let c = 0; c < classes; c++) out[c] = out[c]! / sum;
  return out;
}

/** The most likely class and its probability. */
export function predict(model: SoftmaxModel, x: SparseVector): { label: number; probability: number } {
  const p = probabilities(model, x);
  let label = 0;
  for (let c = 1; c < p.length; c++) if (p[c]! > p[label]!) label = c;
  return { label, probability: p[label]! };
}

/** Trains on labelled examples (labels 0 .. classes-1). */
export function train(examples: ReadonlyArray<{ x: SparseVector; label: number }>, classes: number, dim: number, opts: TrainOptions = {}): SoftmaxModel {
  const epochs = opts.epochs ?? 12;
  const rate = opts.learningRate ?? 0.5;
  const l2 = opts.l2 ?? 1e-5;
  const random = prng(opts.seed ?? 1);
  const model: SoftmaxModel = { dim, classes, weights: new Float32Array(classes * dim), bias: new Float32Array(classes) };
  // AdaGrad accumulators: rare features keep large steps, frequent ones settle.
  const g2 = new Float32Array(classes * dim);
  const b2 = new Float32Array(classes);
  const order = examples.map((_, i) => i);
  const p = new Float32Array(classes);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const n of order) {
      const { x, label } = examples[n]!;
      probabilities(model, x, p);
      for (let c = 0; c < classes; c++) {
        const grad = p[c]! - (c === label ? 1 : 0);
        if (Math.abs(grad) < 1e-4) continue;
        const row = c * dim;
        for (let i = 0; i < x.idx.length; i++) {
          const k = row + x.idx[i]!;
          const g = grad * x.val[i]! + l2 * model.weights[k]!;
          g2[k] = g2[k]! + g * g;
          model.weights[k] = model.weights[k]! - (rate * g) / Math.sqrt(g2[k]! + 1e-8);
        }
        b2[c] = b2[c]! + grad * grad;
        model.bias[c] = model.bias[c]! - (rate * grad) / Math.sqrt(b2[c]! + 1e-8);
      }
    }
  }
  return model;
}
