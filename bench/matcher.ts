/**
 * The pattern matcher on real queries, no server needed:
 *
 *   npm run bench:matcher -- [--dim 16384] [--train 7000] [--folds 5] [--epochs 12]
 *
 * Trains the softmax over hashed n-grams (src/learn/) on the first `--train` rows of banking77
 * (shuffled with a fixed seed: the file is sorted by intent)
 * (labels: the intents, standing in for the groups of agreeing model answers), calibrates its
 * threshold on out-of-fold predictions of those rows only (fixed-sequence Clopper–Pearson, as a
 * pattern is validated), then measures on the remaining rows plus the CLINC150 out-of-scope
 * queries, which no pattern should answer. Prints, per precision target: the threshold, its
 * proven error bound, coverage and precision on the unseen rows, and out-of-scope queries
 * answered; then training time, matching time per query and the model's size.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { calibrate, type HeldOut } from "../src/learn/calibrate.ts";
import { featurize, type SparseVector } from "../src/learn/features.ts";
import { predict, train } from "../src/learn/softmax.ts";
import { DEFAULT_DATASET, readLabelledQueries, shuffled } from "./dataset.ts";

const { values } = parseArgs({
  options: {
    dim: { type: "string", default: "16384" },
    train: { type: "string", default: "7000" },
    folds: { type: "string", default: "5" },
    epochs: { type: "string", default: "12" },
  },
});
const dim = Number(values.dim);
const folds = Number(values.folds);
const epochs = Number(values.epochs);

// The file is sorted by intent: shuffled once, with a fixed seed, so both parts hold every intent.
const rows = shuffled(readLabelledQueries(process.env.BANKING77_CSV ?? DEFAULT_DATASET), 77);
const oosPath = resolve(import.meta.dirname, "../../shared/data/clinc150-oos/oos.csv");
const oos = readFileSync(oosPath, "utf8").split(/\r?\n/).slice(1).map((l) => l.replace(/,oos$/, "").replace(/^"|"$/g, "")).filter(Boolean);
const intents = [...new Set(rows.map((r) => r.category))].sort();
const labelOf = new Map(intents.map((c, i) => [c, i]));
const cut = Number(values.train);
const learnRows = rows.slice(0, cut).map((r) => ({ x: featurize(r.text, dim), label: labelOf.get(r.category)! }));
const testRows = rows.slice(cut).map((r) => ({ x: featurize(r.text, dim), label: labelOf.get(r.category)! }));
const oosRows: SparseVector[] = oos.map((t) => featurize(t, dim));

// Out-of-fold predictions on the learning rows: each row predicted by a model that never saw it.
let t0 = performance.now();
const heldOut: HeldOut[] = new Array(learnRows.length);
for (let f = 0; f < folds; f++) {
  const fit = learnRows.filter((_, i) => i % folds !== f);
  const model = train(fit, intents.length, dim, { epochs, seed: f + 1 });
  learnRows.forEach((r, i) => {
    if (i % folds !== f) return;
    const p = predict(model, r.x);
    heldOut[i] = { probability: p.probability, correct: p.label === r.label };
  });
}
const calibrationMs = performance.now() - t0;
t0 = performance.now();
const model = train(learnRows, intents.length, dim, { epochs, seed: 99 });
const trainMs = performance.now() - t0;

t0 = performance.now();
const testPredictions = testRows.map((r) => ({ ...predict(model, r.x), truth: r.label }));
const oosPredictions = oosRows.map((x) => predict(model, x));
const matchUs = ((performance.now() - t0) * 1000) / (testRows.length + oosRows.length);

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(`banking77: ${learnRows.length} rows to learn from, ${testRows.length} unseen in-scope rows, ${oosRows.length} out-of-scope (CLINC150); ${intents.length} intents; ${dim} hashed buckets`);
console.log("target  threshold  proven error bound  unseen coverage  unseen precision  out-of-scope answered");
for (const target of [0.95, 0.97, 0.99]) {
  const c = calibrate(heldOut, target);
  if (c.threshold === null) {
    console.log(`${target.toFixed(2)}    none proven`);
    continue;
  }
  const answered = testPredictions.filter((p) => p.probability >= c.threshold!);
  const right = answered.filter((p) => p.label === p.truth).length;
  const oosAnswered = oosPredictions.filter((p) => p.probability >= c.threshold!).length;
  console.log(
    `${target.toFixed(2)}    ${c.threshold.toFixed(3)}      ${c.errorBound.toFixed(4)} (${c.errors}/${c.answered})`.padEnd(48) +
      `${pct(answered.length / testPredictions.length).padStart(8)}        ${(answered.length ? (right / answered.length).toFixed(4) : "-").padStart(8)}          ${pct(oosAnswered / oosPredictions.length).padStart(6)}`,
  );
}
const accuracy = testPredictions.filter((p) => p.label === p.truth).length / testPredictions.length;
console.log(`accuracy on unseen rows ${pct(accuracy)}; calibration (${folds} folds) ${(calibrationMs / 1000).toFixed(1)} s, final training ${(trainMs / 1000).toFixed(1)} s, matching ${matchUs.toFixed(0)} µs a query`);
console.log(`model: ${intents.length} × ${dim} weights = ${((intents.length * dim * 4) / 1e6).toFixed(1)} MB as float32, ${((intents.length * dim) / 1e6).toFixed(1)} MB as int8`);
