/**
 * Replays real customer queries (banking77, ../shared/data) through a running Foreman's HTTP
 * channel and prints latency, throughput, tiers and cost. Start `npm run dev` first, then:
 *
 *   npm run bench:http -- [--count 200] [--concurrency 8] [--conversations 50]
 *
 * It creates an agent of its own (the seed's example config, rate limits lifted: see agents.ts)
 * through the admin API (FOREMAN_URL, ADMIN_TOKEN as for `npm run send`), plus BANKING77_CSV.
 * Against the fake model the figures measure Foreman's own overhead, not Claude.
 */
import { parseArgs } from "node:util";
import { DEFAULT_DATASET, readLabelledQueries } from "./dataset.ts";
import { signHttpRequest } from "../src/channels/http/signature.ts";
import { LOCAL_DEFAULTS, setting } from "../src/dev/local-env.ts";
import { benchAgent } from "./agents.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "200" },
    concurrency: { type: "string", default: "8" },
    conversations: { type: "string", default: "50" },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const conversations = Number(values.conversations);

const queries = readLabelledQueries(process.env.BANKING77_CSV ?? DEFAULT_DATASET).map((q) => q.text);
const url = setting("FOREMAN_URL", LOCAL_DEFAULTS.url);
const run = crypto.randomUUID().slice(0, 8);
/** An agent of the bench's own: the seed's example config, rate limits lifted. */
const agentId = `bench-http-${run}`;
const secret = await benchAgent(agentId);

interface Result {
  ms: number;
  status: number;
  tier?: string;
  costUsd?: number;
}

async function send(i: number): Promise<Result> {
  const body = JSON.stringify({
    id: `bench-${run}-${i}`,
    conversation: `bench-${run}-${i % conversations}`,
    from: `customer-${i % conversations}`,
    text: queries[i % queries.length],
  });
  const ts = Math.floor(Date.now() / 1000);
  const started = performance.now();
  const res = await fetch(`${url}/webhooks/${agentId}/http`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-foreman-timestamp": String(ts),
      "x-foreman-signature": await signHttpRequest(secret, ts, body),
    },
    body,
  });
  const reply = (await res.json()) as { tier?: string; costUsd?: number };
  return { ms: performance.now() - started, status: res.status, tier: reply.tier, costUsd: reply.costUsd };
}

const results: Result[] = [];
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) results.push(await send(next++));
  }),
);
const seconds = (performance.now() - started) / 1000;

const ms = results.map((r) => r.ms).sort((a, b) => a - b);
const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]?.toFixed(1);
const tally = (key: (r: Result) => string) =>
  Object.fromEntries([...Map.groupBy(results, key)].map(([k, v]) => [k, v.length]));
const cost = results.reduce((sum, r) => sum + (r.costUsd ?? 0), 0);

console.log(`HTTP channel replay: ${results.length} banking77 queries, concurrency ${concurrency}, ${conversations} conversations`);
console.log(`  statuses      ${JSON.stringify(tally((r) => String(r.status)))}`);
console.log(`  tiers         ${JSON.stringify(tally((r) => r.tier ?? "none"))}`);
console.log(`  latency ms    p50 ${pct(50)}  p95 ${pct(95)}  p99 ${pct(99)}  max ${ms.at(-1)?.toFixed(1)}`);
console.log(`  throughput    ${(results.length / seconds).toFixed(1)} messages/s`);
console.log(`  cost          $${cost.toFixed(6)} total, $${(cost / results.length).toFixed(6)} per message`);
