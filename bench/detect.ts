/**
 * Detection on real questions with model-like answers, no server needed:
 *
 *   npm run bench:detect -- [--rows 7000] [--scale 100000]
 *
 * Answers come from the fake model's wording (src/dev/fake-wording.ts): each banking77 intent
 * has its own facts, said with varied openers, closers and restatements, and each CLINC150
 * out-of-scope query gets an answer of its own. Prints how the answers group: candidate
 * patterns, their purity (the share of members of the group's majority intent), intents
 * recovered, out-of-scope answers caught in a candidate, and time. `--scale` then times
 * detection on that many answers (the rows repeated with fresh wording) to check it fits one
 * cron invocation; memory is the process's peak resident size.
 */
import { parseArgs } from "node:util";
import { wordFacts } from "../src/dev/fake-wording.ts";
import { DEFAULT_MAX_ANSWERS, type Detection, detectGroups } from "../src/learn/detect.ts";
import { DEFAULT_DATASET, OUT_OF_SCOPE_DATASET, readLabelledQueries, shuffled } from "./dataset.ts";

const { values } = parseArgs({ options: { rows: { type: "string", default: "7000" }, scale: { type: "string", default: "100000" }, min: { type: "string", default: "10" } } });
const rows = shuffled(readLabelledQueries(DEFAULT_DATASET), 77).slice(0, Number(values.rows));
const oos = readLabelledQueries(OUT_OF_SCOPE_DATASET).map((q) => q.text);

/** An intent's facts: its own words and a reference only it has, as a business's answer would carry. */
const factsOf = (intent: string) => {
  const words = intent.replace(/_/g, " ");
  let h = 0;
  for (const ch of intent) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `For ${words}, our policy ${String.fromCharCode(65 + (h % 26))}-${h % 997} applies: it takes ${1 + (h % 9)} working days and the app shows it under ${words}.`;
};
const items = [
  ...rows.map((r, i) => ({ intent: r.category, question: r.text, answer: wordFacts(factsOf(r.category), r.text, i) })),
  ...oos.map((q, i) => ({ intent: "oos", question: q, answer: wordFacts(`About "${q}": that is not something our bank handles, sorry.`, q, i) })),
];
const order = shuffled(items, 5);

let t0 = performance.now();
const detection = detectGroups(order, { minOccurrences: Number(values.min) });
const ms = performance.now() - t0;
const scored = score(detection, (m) => order[m]!.intent);
const intents = new Set(rows.map((r) => r.category)).size;
console.log(`${order.length} answers (${rows.length} banking77, ${oos.length} out-of-scope), minOccurrences ${values.min}`);
console.log(`groups ${detection.groups}, candidates ${detection.candidates.length}, intents recovered ${scored.recovered}/${intents}, purity ${scored.purity.toFixed(4)}, answers in candidates ${scored.members}, out-of-scope answers in candidates ${scored.outOfScope}, left out ${detection.unassigned}; ${ms.toFixed(0)} ms`);

const scale = Number(values.scale);
if (scale > 0) {
  const big = Array.from({ length: scale }, (_, i) => {
    const r = rows[i % rows.length]!;
    return { intent: r.category, question: r.text, answer: wordFacts(factsOf(r.category), r.text, i + 7) };
  });
  t0 = performance.now();
  const d = detectGroups(big, { minOccurrences: Number(values.min) });
  const seconds = (performance.now() - t0) / 1000;
  const bigScored = score(d, (m) => big[m]!.intent);
  console.log(
    `scale: ${scale} answers (${Math.min(scale, DEFAULT_MAX_ANSWERS)} read) in ${seconds.toFixed(1)} s, ${d.candidates.length} candidates, intents recovered ${bigScored.recovered}/${intents}, purity ${bigScored.purity.toFixed(4)}, peak memory ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
}

/**
 * How well candidates match the labelled intents: the share of members in their group's majority
 * intent (purity), the intents that are some group's majority, and out-of-scope members caught.
 */
function score(detection: Detection, intentOf: (member: number) => string) {
  let pure = 0;
  let members = 0;
  let outOfScope = 0;
  const recovered = new Set<string>();
  for (const g of detection.candidates) {
    const byIntent = new Map<string, number>();
    for (const m of g.members) byIntent.set(intentOf(m), (byIntent.get(intentOf(m)) ?? 0) + 1);
    const [top, count] = [...byIntent.entries()].sort((a, b) => b[1] - a[1])[0]!;
    pure += count;
    members += g.members.length;
    outOfScope += byIntent.get("oos") ?? 0;
    if (top !== "oos") recovered.add(top);
  }
  return { purity: members ? pure / members : 0, members, outOfScope, recovered: recovered.size };
}
