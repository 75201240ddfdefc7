/**
 * The pattern matcher on real queries, no server needed:
 *
 *   npm run bench:matcher -- [--dim 16384] [--train 7000] [--calibration 0.2] [--ood 0.02] [--seed 7]
 *
 * Fits the matcher of src/learn/matcher.ts on the first `--train` rows of banking77 (shuffled
 * with a fixed seed: the file is sorted by intent), the intents standing in for groups of
 * agreeing model answers: it trains on most of them, proves its threshold on the share kept
 * apart (`--calibration`), and sets its out-of-distribution gate there (`--ood`: the share of
 * in-scope requests the gate may turn away). Then measures on the remaining rows, which it never
 * saw, and on the CLINC150 out-of-scope queries, which no pattern should answer. Prints, per
 * precision target: the proven threshold and its error bound, unseen coverage and precision,
 * out-of-scope queries answered, and fitting and matching times (matching with the matcher as
 * stored and read back); then the stored model's size.
 */
import { parseArgs } from "node:util";
import { fitMatcher, match } from "../src/learn/matcher.ts";
import { decodeMatcher, encodeMatcher } from "../src/learn/snapshot.ts";
import { DEFAULT_DATASET, OUT_OF_SCOPE_DATASET, readLabelledQueries, shuffled } from "./dataset.ts";

const { values } = parseArgs({
  options: {
    dim: { type: "string" },
    train: { type: "string", default: "7000" },
    calibration: { type: "string", default: "0.2" },
    ood: { type: "string", default: "0.02" },
    seed: { type: "string", default: "7" },
  },
});
const dim = values.dim ? Number(values.dim) : undefined;
const rows = shuffled(readLabelledQueries(process.env.BANKING77_CSV ?? DEFAULT_DATASET), 77);
const oos = readLabelledQueries(OUT_OF_SCOPE_DATASET).map((q) => q.text);
const intents = [...new Set(rows.map((r) => r.category))].sort();
const labelOf = new Map(intents.map((c, i) => [c, i]));
const cut = Number(values.train);
const learn = rows.slice(0, cut).map((r) => ({ text: r.text, label: labelOf.get(r.category)! }));
const unseen = rows.slice(cut).map((r) => ({ text: r.text, label: labelOf.get(r.category)! }));

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(
  `banking77: ${learn.length} rows to learn from (${pct(Number(values.calibration))} kept apart to prove the threshold), ${unseen.length} unseen in-scope rows, ${oos.length} out-of-scope (CLINC150); ${intents.length} intents; ${dim ?? "default"} buckets; gate quantile ${values.ood}; seed ${values.seed}`,
);
let storedBytes = 0;
console.log("target  threshold  proven error bound (errors/answered)  unseen coverage  unseen precision  out-of-scope answered  fit s  match µs");
for (const target of [0.95, 0.97, 0.99]) {
  let t0 = performance.now();
  const matcher = fitMatcher(learn, intents.length, { dim, target, calibrationShare: Number(values.calibration), oodQuantile: Number(values.ood), seed: Number(values.seed) });
  const fitS = (performance.now() - t0) / 1000;
  const stored = encodeMatcher(matcher);
  storedBytes = stored.length;
  const served = decodeMatcher(stored);
  t0 = performance.now();
  const results = unseen.map((u) => ({ ...match(served, u.text), truth: u.label }));
  const oosAnswered = oos.filter((t) => match(served, t).answers).length;
  const matchUs = ((performance.now() - t0) * 1000) / (unseen.length + oos.length);
  const c = matcher.calibration;
  if (matcher.threshold === null) {
    console.log(`${target.toFixed(2)}    none proven`.padEnd(98) + `${fitS.toFixed(1).padStart(5)}`);
    continue;
  }
  const answered = results.filter((r) => r.answers);
  const right = answered.filter((r) => r.label === r.truth).length;
  console.log(
    `${target.toFixed(2)}    ${matcher.threshold.toFixed(3)}      ${c.errorBound.toFixed(4)} (${c.errors}/${c.answered})`.padEnd(55) +
      `${pct(answered.length / unseen.length).padStart(8)}        ${(answered.length ? (right / answered.length).toFixed(4) : "-").padStart(8)}          ${pct(oosAnswered / oos.length).padStart(6)}      ${fitS.toFixed(1).padStart(5)}  ${matchUs.toFixed(0).padStart(6)}`,
  );
}
console.log(`stored matcher: ${intents.length} classes, ${(storedBytes / 1e6).toFixed(2)} MB`);
