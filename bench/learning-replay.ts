/**
 * `npm run bench:replay -- --learning`: pattern learning on real customer queries, through a
 * running Foreman (`npm run dev`) and its fake model, as an operator would run it.
 *
 * banking77's train split (shuffled with a fixed seed: the file is sorted by intent) is replayed
 * over the signed HTTP channel: a warm-up on its first `--warmup` rows, then the rest mixed with
 * CLINC150's out-of-scope queries, the measured part. Between batches of `--batch` messages the
 * benchmark does what an operator would: runs `learn/run`, approves every pattern waiting for
 * approval, and sends negative feedback for each wrong cheap answer, as the customer would. The
 * agent runs the vision's learning config with canary rollout (`--rollout` %, errorRate 0.01).
 *
 * The fake model answers like a real one: each intent's answers carry that intent's facts in
 * varied wording (openers, closers, sometimes the question restated), and each out-of-scope
 * query gets an answer of its own. An answer is right when it carries the facts of the query's
 * intent.
 *
 * Prints, for the measured part and per `confidenceThreshold` (`--thresholds`, default 0.95,
 * 0.97 and 0.99, each a fresh agent and a full replay): the share answered by each tier, the
 * precision of every answer not made by the model, in-scope coverage, out-of-scope queries
 * answered by a cheap tier, and the cost cut against always calling the model.
 *
 *   npm run dev        # in another terminal
 *   npm run bench:replay -- --learning [--thresholds 0.95,0.97,0.99] [--warmup 7000] [--batch 500] [--rollout 10] [--concurrency 8] [--seed 77]
 */
import { parseArgs } from "node:util";
import { signHttpRequest } from "../src/channels/http/signature.ts";
import { SEED_EXAMPLE_CONFIG } from "../src/config/seed-example.ts";
import { factsOf } from "../src/dev/banking77.ts";
import { LOCAL_DEFAULTS, setting } from "../src/dev/local-env.ts";
import { UNLIMITED } from "./agents.ts";
import { DEFAULT_DATASET, OUT_OF_SCOPE_DATASET, readLabelledQueries, shuffled } from "./dataset.ts";

const { values } = parseArgs({
  options: {
    learning: { type: "boolean" },
    thresholds: { type: "string", default: "0.95,0.97,0.99" },
    warmup: { type: "string", default: "7000" },
    batch: { type: "string", default: "500" },
    rollout: { type: "string", default: "10" },
    concurrency: { type: "string", default: "8" },
    seed: { type: "string", default: "77" },
  },
});
const url = setting("FOREMAN_URL", LOCAL_DEFAULTS.url);
const adminToken = setting("ADMIN_TOKEN", LOCAL_DEFAULTS.adminToken);
const fakeUrl = setting("FAKE_ANTHROPIC_URL", `http://127.0.0.1:${LOCAL_DEFAULTS.fakePort}`);
const batchSize = Number(values.batch);
const concurrency = Number(values.concurrency);

interface Query {
  text: string;
  /** The intent, or `oos:<n>` for an out-of-scope query (its own answer). */
  category: string;
  measured: boolean;
}

const inScope = shuffled(readLabelledQueries(DEFAULT_DATASET), Number(values.seed));
const warmupCount = Number(values.warmup);
const outOfScope = readLabelledQueries(OUT_OF_SCOPE_DATASET).map((q, i) => ({ text: q.text, category: `oos:${i}` }));
const traffic: Query[] = [
  ...inScope.slice(0, warmupCount).map((q) => ({ ...q, measured: false })),
  ...shuffled([...inScope.slice(warmupCount), ...outOfScope], Number(values.seed) + 1).map((q) => ({ ...q, measured: true })),
];

const FACTS = new Map(traffic.map((q) => [q.category, factsOf(q.category)]));
/** The intent an answer speaks for: whose facts it carries. */
function intentOf(answer: string): string | null {
  for (const [category, facts] of FACTS) if (answer.includes(facts)) return category;
  return null;
}

async function call(path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json", ...init.headers } });
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} failed: ${res.status} ${await res.text()}`);
  return res.json();
}

interface Result {
  query: Query;
  interactionId: string;
  tier: string;
  costUsd: number;
  correct: boolean;
}

async function send(agentId: string, secret: string, query: Query, n: number): Promise<Result> {
  const body = JSON.stringify({ id: `q-${n}`, conversation: `conv-${n}`, from: `customer-${n}`, text: query.text });
  const ts = Math.floor(Date.now() / 1000);
  const res = await fetch(`${url}/webhooks/${agentId}/http`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-foreman-timestamp": String(ts), "x-foreman-signature": await signHttpRequest(secret, ts, body) },
    body,
  });
  const reply = (await res.json()) as { id?: string; tier?: string; text?: string; costUsd?: number };
  if (!res.ok) throw new Error(`message ${n} failed: ${res.status} ${JSON.stringify(reply)}`);
  return { query, interactionId: reply.id ?? "", tier: reply.tier ?? "?", costUsd: reply.costUsd ?? 0, correct: intentOf(reply.text ?? "") === query.category };
}

interface Outcome {
  threshold: number;
  measured: Result[];
  patterns: Record<string, number>;
  runs: number;
  runSeconds: number[];
  seconds: number;
}

async function replay(threshold: number): Promise<Outcome> {
  const agentId = `learn-${String(threshold).replace(".", "")}-${Date.now().toString(36)}`;
  const secret = crypto.randomUUID();
  const learning = {
    enabled: true,
    patterns: { minOccurrences: 10, confidenceThreshold: threshold, timeWindow: "7d" },
    capabilities: { autoGenerate: true, requireApproval: true, testCoverage: 0.9 },
    deployment: { strategy: "canary", rolloutPercentage: Number(values.rollout), successCriteria: { errorRate: 0.01 } },
  };
  await call(`/v1/agents/${agentId}`, {
    method: "PUT",
    body: JSON.stringify({
      config: { name: "learning benchmark", optimization: SEED_EXAMPLE_CONFIG.optimization, learning, trust: { initial: 0.3 }, messageHandling: UNLIMITED },
      systemPrompt: "You are a bank's support assistant.",
      secrets: { http: secret },
    }),
  });
  const oracle = await fetch(`${fakeUrl}/_fake/oracle/${encodeURIComponent(agentId)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ facts: Object.fromEntries(traffic.map((q) => [q.text, FACTS.get(q.category)!])) }),
  }).catch((err: unknown) => {
    throw new Error(`the fake model is not reachable at ${fakeUrl} (is \`npm run dev\` running?): ${String(err)}`);
  });
  if (oracle.status !== 204) throw new Error(`loading the oracle failed: ${oracle.status}`);

  const started = performance.now();
  const measured: Result[] = [];
  const runSeconds: number[] = [];
  let sent = 0;
  for (let from = 0; from < traffic.length; from += batchSize) {
    const batch = traffic.slice(from, from + batchSize);
    const results: Result[] = new Array(batch.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < batch.length; i = next++) results[i] = await send(agentId, secret, batch[i]!, from + i);
      }),
    );
    sent += batch.length;
    for (const r of results) if (r.query.measured) measured.push(r);
    // The customer says so when a cheap answer is wrong.
    for (const r of results.filter((r) => r.tier !== "intelligent" && !r.correct)) {
      await call(`/v1/agents/${agentId}/feedback`, { method: "POST", body: JSON.stringify({ interactionId: r.interactionId, outcome: "error", note: "wrong answer" }) });
    }
    // Every answered message stored (the learning queue) before learning from them.
    for (let i = 0; i < 600; i++) {
      const analytics = (await call(`/v1/agents/${agentId}/analytics?from=0`)) as { requests: number };
      if (analytics.requests >= sent) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const t0 = performance.now();
    await call(`/v1/agents/${agentId}/learn/run`, { method: "POST" });
    runSeconds.push((performance.now() - t0) / 1000);
    const pending = (await call(`/v1/agents/${agentId}/patterns?status=pending_approval`)) as { patterns: Array<{ id: string }> };
    for (const p of pending.patterns) await call(`/v1/agents/${agentId}/patterns/${p.id}/approve`, { method: "POST" });
    const cheap = results.filter((r) => r.tier !== "intelligent");
    process.stderr.write(
      `  ${threshold}: ${sent}/${traffic.length} sent, batch cheap ${((100 * cheap.length) / results.length).toFixed(1)}% (${cheap.filter((r) => r.correct).length}/${cheap.length} right), learn/run ${runSeconds.at(-1)!.toFixed(1)} s, approved ${pending.patterns.length}\n`,
    );
  }
  const all = (await call(`/v1/agents/${agentId}/patterns`)) as { patterns: Array<{ status: string }> };
  const patterns: Record<string, number> = {};
  for (const p of all.patterns) patterns[p.status] = (patterns[p.status] ?? 0) + 1;
  return { threshold, measured, patterns, runs: runSeconds.length, runSeconds, seconds: (performance.now() - started) / 1000 };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const outcomes: Outcome[] = [];
for (const t of values.thresholds!.split(",").map(Number)) outcomes.push(await replay(t));

const measuredCount = outcomes[0]!.measured.length;
const oosCount = outcomes[0]!.measured.filter((r) => r.query.category.startsWith("oos:")).length;
console.log(
  `Learning replay: banking77 train (seed ${values.seed}), warm-up ${warmupCount} rows, then ${measuredCount - oosCount} in-scope rows mixed with ${oosCount} CLINC150 out-of-scope queries (measured); batches of ${batchSize}, learn/run and approvals between batches, canary ${values.rollout}%, errorRate 0.01\n`,
);
console.log("| confidenceThreshold | model | pattern | cache (exact + similar) | rule | precision of non-model answers | in-scope coverage | out-of-scope answered cheaply | cost cut | patterns at the end | replay s | learn/run s (mean, max) |");
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
for (const o of outcomes) {
  const share = (tier: string) => o.measured.filter((r) => r.tier === tier).length / o.measured.length;
  const cheap = o.measured.filter((r) => r.tier !== "intelligent" && r.tier !== "fallback");
  const right = cheap.filter((r) => r.correct).length;
  const scoped = o.measured.filter((r) => !r.query.category.startsWith("oos:"));
  const covered = scoped.filter((r) => r.tier !== "intelligent" && r.tier !== "fallback").length;
  const oosCheap = o.measured.filter((r) => r.query.category.startsWith("oos:") && r.tier !== "intelligent" && r.tier !== "fallback").length;
  const model = o.measured.filter((r) => r.tier === "intelligent");
  const mean = model.reduce((s, r) => s + r.costUsd, 0) / Math.max(1, model.length);
  const total = o.measured.reduce((s, r) => s + r.costUsd, 0);
  const baseline = mean * o.measured.length;
  const cut = baseline > 0 ? `${pct(1 - total / baseline)} (${(baseline / Math.max(total, 1e-12)).toFixed(1)}x cheaper)` : "n/a";
  const runMean = o.runSeconds.reduce((a, b) => a + b, 0) / Math.max(1, o.runSeconds.length);
  console.log(
    `| ${o.threshold} | ${pct(share("intelligent"))} | ${pct(share("pattern"))} | ${pct(share("cache") + share("similar"))} | ${pct(share("rule"))} | ${cheap.length ? (right / cheap.length).toFixed(4) : "n/a"} (${right}/${cheap.length}) | ${pct(covered / scoped.length)} | ${oosCheap}/${oosCount} (${pct(oosCheap / Math.max(1, oosCount))}) | ${cut} | ${Object.entries(o.patterns).map(([s, n]) => `${s} ${n}`).join(", ")} | ${o.seconds.toFixed(0)} | ${runMean.toFixed(1)}, ${Math.max(...o.runSeconds).toFixed(1)} |`,
  );
}
