/**
 * `npm run bench:replay`: replays labelled customer queries through a running Foreman (HTTP
 * channel, local bindings) with the fake model as an oracle that answers each query with the
 * canonical answer of its intent. Prints, per tier, the share of requests, their cost and
 * client-side latency, the total cost against always calling the model, and the precision of
 * every answer the model did not make (its intent equals the query's).
 *
 *   npm run dev                                   # in another terminal (the fake model on :9000)
 *   npm run bench:replay -- [--data path.csv] [--count N (default: all)] [--concurrency 8] [--seed 77] [--verbose]
 *                           [--similarity 0.95] [--confirmations 1]   (the similarity rule; defaults: the seed's)
 *
 * The data is any `text,category` CSV; the default is ../shared/data/banking77/train.csv.
 * `--learning` runs the pattern-learning replay instead (bench/learning-replay.ts).
 * Settings: FOREMAN_URL, ADMIN_TOKEN, FAKE_ANTHROPIC_URL (environment or .dev.vars).
 */
import { parseArgs } from "node:util";
import { signHttpRequest } from "../src/channels/http/signature.ts";
import { SEED_EXAMPLE_CONFIG } from "../src/config/seed-example.ts";
import { LOCAL_DEFAULTS, setting } from "../src/dev/local-env.ts";
import { UNLIMITED } from "./agents.ts";
import { DEFAULT_DATASET, readLabelledQueries, shuffled } from "./dataset.ts";

if (process.argv.includes("--learning")) {
  await import("./learning-replay.ts");
  process.exit(0);
}

const { values } = parseArgs({
  options: {
    data: { type: "string", default: DEFAULT_DATASET },
    count: { type: "string", default: "100000" },
    concurrency: { type: "string", default: "8" },
    seed: { type: "string", default: "77" },
    verbose: { type: "boolean", default: false },
    similarity: { type: "string" },
    confirmations: { type: "string" },
  },
});
const url = setting("FOREMAN_URL", LOCAL_DEFAULTS.url);
const adminToken = setting("ADMIN_TOKEN", LOCAL_DEFAULTS.adminToken);
const fakeUrl = setting("FAKE_ANTHROPIC_URL", `http://127.0.0.1:${LOCAL_DEFAULTS.fakePort}`);
const all = readLabelledQueries(values.data);
const queries = shuffled(all, Number(values.seed)).slice(0, Number(values.count));
const concurrency = Number(values.concurrency);

/** The oracle's answer for an intent; the intent can be read back from it. */
const canonical = (category: string) => `[${category}] This is the canonical answer about ${category.replaceAll("_", " ")}.`;
const intentOf = (answer: string) => /^\[([^\]]+)\] This is the canonical answer/.exec(answer)?.[1] ?? `other: ${answer.slice(0, 40)}`;

/** The seed's optimization config, with the similarity rule's threshold and confirmations as asked. */
function optimization() {
  const seed = SEED_EXAMPLE_CONFIG.optimization;
  const cacheRules = seed.cacheRules.map((rule) =>
    "similarity" in rule
      ? {
          ...rule,
          ...(values.similarity ? { similarity: Number(values.similarity) } : {}),
          ...(values.confirmations ? { confirmations: Number(values.confirmations) } : {}),
        }
      : rule,
  );
  return { ...seed, cacheRules };
}

async function check(res: Response, what: string): Promise<void> {
  if (!res.ok) throw new Error(`${what} failed: ${res.status} ${await res.text()}`);
}

const agentId = `replay-${Date.now().toString(36)}`;
const secret = crypto.randomUUID();
await check(
  await fetch(`${url}/v1/agents/${agentId}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({
      config: { name: "replay benchmark", optimization: optimization(), trust: { initial: 0.3 }, messageHandling: UNLIMITED },
      systemPrompt: "You are a bank's support assistant.",
      secrets: { http: secret },
    }),
  }),
  "creating the agent (is `npm run dev` running?)",
);
const answers = Object.fromEntries(queries.map((q) => [q.text, canonical(q.category)]));
await check(
  await fetch(`${fakeUrl}/_fake/oracle/${encodeURIComponent(agentId)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ answers }),
  }).catch((err: unknown) => {
    throw new Error(`the fake model is not reachable at ${fakeUrl}: the benchmark needs it as its oracle (${String(err)})`);
  }),
  "loading the oracle",
);

interface Result {
  query: string;
  answer: string;
  tier: string;
  ms: number;
  costUsd: number;
  correct: boolean;
  status: number;
}

async function send(i: number): Promise<Result> {
  const q = queries[i]!;
  // Each query opens its own conversation, as a customer's first message does.
  const body = JSON.stringify({ id: `replay-${i}`, conversation: `conv-${i}`, from: `customer-${i}`, text: q.text });
  const ts = Math.floor(Date.now() / 1000);
  const started = performance.now();
  const res = await fetch(`${url}/webhooks/${agentId}/http`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-foreman-timestamp": String(ts), "x-foreman-signature": await signHttpRequest(secret, ts, body) },
    body,
  });
  const reply = (await res.json()) as { tier?: string; text?: string; costUsd?: number };
  const ms = performance.now() - started;
  return { query: q.text, answer: reply.text ?? "", tier: reply.tier ?? `http ${res.status}`, ms, costUsd: reply.costUsd ?? 0, correct: intentOf(reply.text ?? "") === q.category, status: res.status };
}

const results: Result[] = new Array(queries.length);
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < queries.length; i = next++) results[i] = await send(i);
  }),
);
const seconds = (performance.now() - started) / 1000;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const money = (usd: number) => `$${usd.toFixed(4)}`;
const byTier = Map.groupBy(results, (r) => r.tier);
const intelligent = byTier.get("intelligent") ?? [];
const meanIntelligent = intelligent.reduce((s, r) => s + r.costUsd, 0) / Math.max(1, intelligent.length);
const total = results.reduce((s, r) => s + r.costUsd, 0);
const baseline = meanIntelligent * results.length;
const notModel = results.filter((r) => r.tier !== "intelligent" && r.tier !== "fallback" && !r.tier.startsWith("http"));
const correct = notModel.filter((r) => r.correct).length;

/**
 * A miss is a label conflict when a query sent earlier, labelled with the intent the answer
 * carries, is a near-verbatim phrasing of this one (word sets overlapping by 80% or more): the
 * data set itself gives the two phrasings different intents, so no cache could be right for both.
 */
const wordSet = (t: string) => new Set(t.toLowerCase().replaceAll("-", " ").match(/[a-z0-9']+/g) ?? []);
const jaccard = (a: Set<string>, b: Set<string>) => [...a].filter((w) => b.has(w)).length / new Set([...a, ...b]).size;
function labelConflict(i: number): boolean {
  const answered = intentOf(results[i]!.answer);
  const words = wordSet(queries[i]!.text);
  return queries.slice(0, i).some((q) => q.category === answered && jaccard(words, wordSet(q.text)) >= 0.8);
}
const misses = notModel.length - correct;
const conflicts = results.filter((r, i) => notModel.includes(r) && !r.correct && labelConflict(i)).length;

const rows = [...byTier].sort((a, b) => b[1].length - a[1].length);
const rule = optimization().cacheRules.find((r) => "similarity" in r);
const ruleText = rule && "similarity" in rule ? `, similarity ${rule.similarity}, confirmations ${"confirmations" in rule ? rule.confirmations : 1}` : "";
console.log(`Replay of ${results.length} queries from ${values.data.split("/").slice(-2).join("/")} (seed ${values.seed}, concurrency ${concurrency}${ruleText}, ${seconds.toFixed(1)} s)\n`);
console.log("| tier | requests | share | cost | p50 ms | p95 ms |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const [tier, rs] of rows) {
  const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
  const cost = rs.reduce((s, r) => s + r.costUsd, 0);
  console.log(`| ${tier} | ${rs.length} | ${((100 * rs.length) / results.length).toFixed(1)}% | ${money(cost)} | ${pct(ms, 50).toFixed(1)} | ${pct(ms, 95).toFixed(1)} |`);
}
console.log(`\n- total cost ${money(total)} vs ${money(baseline)} if every request went to the model (${(100 * (1 - total / Math.max(baseline, 1e-12))).toFixed(1)}% saved)`);
console.log(
  `- precision of answers not made by the model: ${notModel.length === 0 ? "n/a (none)" : `${(correct / notModel.length).toFixed(4)} (${correct}/${notModel.length})`}`,
);
if (misses > 0) {
  console.log(
    `- of the ${misses} misses, ${conflicts} are label conflicts in the data set (a near-verbatim phrasing labelled with the answer's intent); precision without them ${(correct / (notModel.length - conflicts)).toFixed(4)} (${correct}/${notModel.length - conflicts})`,
  );
}
console.log(`- oracle check, model answers with the right intent: ${intelligent.filter((r) => r.correct).length}/${intelligent.length}`);
if (values.verbose) {
  for (const r of results.filter((r) => !r.correct)) console.log(`  wrong (${r.tier}): ${JSON.stringify(r.query)} -> ${JSON.stringify(r.answer.slice(0, 100))}`);
}
