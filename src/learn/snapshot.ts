/**
 * A matcher as it is stored and served: quantized so that a per-agent model loads in a Worker
 * (about 0.8 MB for 100 patterns) and what is served is exactly what was proven. The weights are
 * int8 with one scale per class; each class's centroid keeps its `CENTROID_KEEP` largest buckets,
 * int8 too. `fitMatcher` quantizes before it calibrates, so encoding loses nothing more.
 *
 * Layout (little endian): "FMAT", u32 header length, the header as JSON (format, dim, classes,
 * threshold, minSimilarity), then per class: f32 bias, f32 weight scale, i8 × dim weights, f32
 * centroid scale, u16 count, then count × (u16 bucket, i8 value).
 */
import type { SoftmaxModel } from "./softmax.ts";

export const MATCHER_FORMAT = 1;
/** Buckets kept of each class's centroid for the out-of-distribution gate. */
export const CENTROID_KEEP = 512;
/** The most weights one matcher may hold (classes × buckets): about 0.8 MB as int8. */
export const MAX_WEIGHTS = 800_000;

/** The part of a matcher the pattern tier needs. */
export interface ServedMatcher {
  model: SoftmaxModel;
  /** Per class, the (truncated, L2-normalized) centroid, dense `classes × dim`. */
  centroids: Float32Array;
  threshold: number | null;
  minSimilarity: number;
}

/** The buckets a matcher of `classes` classes uses: a power of two, 2,048 to 8,192, within `MAX_WEIGHTS`. */
export function bucketsFor(classes: number): number {
  let dim = 8_192;
  while (dim > 2_048 && classes * dim > MAX_WEIGHTS) dim /= 2;
  return dim;
}

function scaleOf(values: Float32Array, from: number, to: number): number {
  let max = 0;
  for (let i = from; i < to; i++) max = Math.max(max, Math.abs(values[i]!));
  return max / 127 || 1;
}

/** Rounds the weights, in place, to the int8 grid they are stored on. */
export function quantizeWeights(model: SoftmaxModel): SoftmaxModel {
  const { dim, classes, weights } = model;
  for (let c = 0; c < classes; c++) {
    const scale = scaleOf(weights, c * dim, (c + 1) * dim);
    for (let j = c * dim; j < (c + 1) * dim; j++) weights[j] = Math.round(weights[j]! / scale) * scale;
  }
  return model;
}

/** Keeps each class's `keep` largest buckets, renormalized and rounded to the int8 grid, in place. */
export function truncateCentroids(centroids: Float32Array, classes: number, dim: number, keep = CENTROID_KEEP): Float32Array {
  for (let c = 0; c < classes; c++) {
    const row = centroids.subarray(c * dim, (c + 1) * dim);
    const order = [...row.keys()].filter((j) => row[j] !== 0).sort((a, b) => row[b]! - row[a]!);
    for (const j of order.slice(keep)) row[j] = 0;
    let norm = 0;
    for (const j of order.slice(0, keep)) norm += row[j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (const j of order.slice(0, keep)) row[j] = row[j]! / norm;
    const scale = scaleOf(row, 0, dim);
    for (const j of order.slice(0, keep)) row[j] = Math.round(row[j]! / scale) * scale;
  }
  return centroids;
}

/** The stored form of a matcher. */
export function encodeMatcher(m: ServedMatcher): Uint8Array {
  const { dim, classes, weights, bias } = m.model;
  const header = new TextEncoder().encode(JSON.stringify({ format: MATCHER_FORMAT, dim, classes, threshold: m.threshold, minSimilarity: m.minSimilarity }));
  const kept = Array.from({ length: classes }, (_, c) => {
    const idx: number[] = [];
    for (let j = 0; j < dim; j++) if (m.centroids[c * dim + j] !== 0) idx.push(j);
    return idx;
  });
  const size = 8 + header.length + classes * (8 + dim + 6) + kept.reduce((n, k) => n + 3 * k.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x46, 0x4d, 0x41, 0x54]);
  view.setUint32(4, header.length, true);
  bytes.set(header, 8);
  let at = 8 + header.length;
  for (let c = 0; c < classes; c++) {
    const scale = scaleOf(weights, c * dim, (c + 1) * dim);
    view.setFloat32(at, bias[c]!, true);
    view.setFloat32(at + 4, scale, true);
    at += 8;
    for (let j = 0; j < dim; j++) view.setInt8(at + j, Math.round(weights[c * dim + j]! / scale));
    at += dim;
    const row = m.centroids.subarray(c * dim, (c + 1) * dim);
    const cScale = scaleOf(row, 0, dim);
    view.setFloat32(at, cScale, true);
    view.setUint16(at + 4, kept[c]!.length, true);
    at += 6;
    for (const j of kept[c]!) {
      view.setUint16(at, j, true);
      view.setInt8(at + 2, Math.round(row[j]! / cScale));
      at += 3;
    }
  }
  return bytes;
}

/** Reads a stored matcher; throws on anything that is not one (wrong magic, format or length). */
export function decodeMatcher(data: ArrayBuffer | Uint8Array): ServedMatcher {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== "FMAT") throw new Error("not a stored matcher");
  const headerLength = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as { format: number; dim: number; classes: number; threshold: number | null; minSimilarity: number };
  if (header.format !== MATCHER_FORMAT) throw new Error(`stored matcher format ${header.format}, expected ${MATCHER_FORMAT}`);
  const { dim, classes } = header;
  const weights = new Float32Array(classes * dim);
  const bias = new Float32Array(classes);
  const centroids = new Float32Array(classes * dim);
  let at = 8 + headerLength;
  for (let c = 0; c < classes; c++) {
    bias[c] = view.getFloat32(at, true);
    const scale = view.getFloat32(at + 4, true);
    at += 8;
    for (let j = 0; j < dim; j++) weights[c * dim + j] = view.getInt8(at + j) * scale;
    at += dim;
    const cScale = view.getFloat32(at, true);
    const count = view.getUint16(at + 4, true);
    at += 6;
    for (let k = 0; k < count; k++) {
      centroids[c * dim + view.getUint16(at, true)] = view.getInt8(at + 2) * cScale;
      at += 3;
    }
  }
  if (at !== bytes.length) throw new Error("stored matcher has the wrong length");
  return { model: { dim, classes, weights, bias }, centroids, threshold: header.threshold, minSimilarity: header.minSimilarity };
}
