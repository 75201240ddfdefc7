/**
 * Foreman's own latency against a floor: how much slower a message is than the worker's
 * cheapest route. Start `npm run dev` first (local fake Messages API), then:
 *
 *   npm run bench:latency -- [--count 300] [--warmup 50] [--concurrency 8] [--json]
 *   (or node_modules/.bin/node bench/latency.ts ...)
 *
 * Measures, after a warm-up of each path (p50 by nearest rank):
 *   floor       `GET /` sequentially, and with 8 concurrent clients (req/s too);
 *   rule        a signed "hello" on the HTTP channel, answered by the seed's greeting rule
 *               (tier `rule`), fresh message and conversation ids, sequentially;
 *   model       a signed message no rule or cache can answer (random words), tier
 *               `intelligent`, fresh conversation each, sequentially;
 *   hot agent   the model path with 8 concurrent clients against the one agent (msg/s too).
 * Targets, as a ratio to the floor's p50 (sequential floor; 8-concurrent floor for the hot
 * agent): rule <= 2x, model <= 4x, hot agent <= 6x. A miss is reported, never an exit code;
 * non-2xx replies and wrong tiers are errors (exit 1).
 *
 * The fake model answers at 0 ms: it only waits when a scripted step carries `delayMs`
 * (scripts are per `metadata.user_id`, which Foreman sets to the agent id), so the bench
 * first deletes the agent's script (`DELETE /_fake/scripts/<agent>`, and `default`) on the fake
 * at FAKE_ANTHROPIC_URL (default http://127.0.0.1:$FAKE_ANTHROPIC_PORT, port 9000); unscripted,
 * the fake answers at once with its "Simulated reply" text. If the fake is unreachable the
 * bench warns: the model path then includes whatever model ANTHROPIC_BASE_URL points at.
 * It creates an agent of its own (the seed's example config, rate limits lifted: see agents.ts)
 * through the admin API (FOREMAN_URL, ADMIN_TOKEN as for `npm run send`).
 */
import { parseArgs } from "node:util";
import { signHttpRequest } from "../src/channels/http/signature.ts";
import { LOCAL_DEFAULTS, readDevVars, setting } from "../src/dev/local-env.ts";
import { benchAgent } from "./agents.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "300" },
    warmup: { type: "string", default: "50" },
    concurrency: { type: "string", default: "8" },
    json: { type: "boolean", default: false },
  },
});
const count = Number(values.count);
const warmup = Number(values.warmup);
const concurrency = Number(values.concurrency);
const devVars = readDevVars();
const url = setting("FOREMAN_URL", LOCAL_DEFAULTS.url, devVars);
const run = crypto.randomUUID().slice(0, 8);
/** An agent of the bench's own: the seed's example config, rate limits lifted. */
const agentId = `bench-latency-${run}`;
const secret = await benchAgent(agentId);
const fakePort = setting("FAKE_ANTHROPIC_PORT", String(LOCAL_DEFAULTS.fakePort), devVars);
const fakeUrl = setting("FAKE_ANTHROPIC_URL", `http://127.0.0.1:${fakePort}`, devVars);
let seq = 0;

/** Nearest-rank percentile of ascending `sorted`: the smallest value with >= p% at or below it. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

class BenchError extends Error {}

async function floor(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${url}/`);
  const text = await res.text();
  const ms = performance.now() - started;
  if (!res.ok) throw new BenchError(`GET / answered ${res.status}: ${text.slice(0, 200)}`);
  return ms;
}

async function message(text: string, tier: string): Promise<number> {
  const n = seq++;
  const body = JSON.stringify({ id: `lat-${run}-${n}`, conversation: `lat-${run}-c${n}`, from: `lat-${run}`, text });
  const ts = Math.floor(Date.now() / 1000);
  const headers = {
    "content-type": "application/json",
    "x-foreman-timestamp": String(ts),
    "x-foreman-signature": await signHttpRequest(secret, ts, body),
  };
  const started = performance.now();
  const res = await fetch(`${url}/webhooks/${agentId}/http`, { method: "POST", headers, body });
  const raw = await res.text();
  const ms = performance.now() - started;
  if (!res.ok) throw new BenchError(`POST /webhooks/${agentId}/http answered ${res.status}: ${raw.slice(0, 300)}`);
  const reply = JSON.parse(raw) as { tier?: string };
  if (reply.tier !== tier) throw new BenchError(`expected tier "${tier}" for ${JSON.stringify(text)}, got ${raw.slice(0, 300)}`);
  return ms;
}

/** Lower-case random words: nothing a rule, the exact cache or the similarity cache can answer. */
function randomText(): string {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const word = () => Array.from({ length: 5 + Math.floor(Math.random() * 5) }, () => letters[Math.floor(Math.random() * 26)]).join("");
  return `Please look into ${Array.from({ length: 6 }, word).join(" ")}`;
}

interface Stats {
  p50: number;
  p95: number;
  perSecond: number;
}

/** Warm-up, then `count` calls of `fn` over `clients` concurrent loops. */
async function measure(fn: () => Promise<number>, clients: number): Promise<Stats> {
  const loop = async (n: number, out: number[]) => {
    let next = 0;
    await Promise.all(Array.from({ length: clients }, async () => {
      while (next++ < n) out.push(await fn());
    }));
  };
  await loop(warmup, []);
  const ms: number[] = [];
  const started = performance.now();
  await loop(count, ms);
  const seconds = (performance.now() - started) / 1000;
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), perSecond: ms.length / seconds };
}

/** Clears any script on the fake, the only source of a model delay; false when it cannot be reached. */
async function clearFakeScripts(): Promise<boolean> {
  try {
    if (!(await fetch(`${fakeUrl}/_fake/health`)).ok) return false;
    for (const key of [agentId, "default"]) {
      const res = await fetch(`${fakeUrl}/_fake/scripts/${encodeURIComponent(key)}`, { method: "DELETE" });
      if (!res.ok) return false;
    }
    return true;
  } catch {
    return false;
  }
}

try {
  const fakeCleared = await clearFakeScripts();
  if (!fakeCleared) console.error(`warning: no fake Messages API at ${fakeUrl}; the model path includes a real model's latency`);
  const log = (s: string) => console.error(s);
  log(`floor: GET / sequential, then ${concurrency} concurrent (${warmup} warm-up + ${count} each)`);
  const floorSeq = await measure(floor, 1);
  const floorConc = await measure(floor, concurrency);
  log("rule: signed \"hello\" (greeting rule)");
  const rule = await measure(() => message("hello", "rule"), 1);
  log("model: signed random text (intelligent tier)");
  const model = await measure(() => message(randomText(), "intelligent"), 1);
  log(`hot agent: model path, ${concurrency} concurrent`);
  const hot = await measure(() => message(randomText(), "intelligent"), concurrency);

  const rows = [
    { path: "floor GET /", stats: floorSeq, base: undefined, target: undefined },
    { path: `floor GET / x${concurrency}`, stats: floorConc, base: undefined, target: undefined },
    { path: "rule (hello)", stats: rule, base: floorSeq, target: 2 },
    { path: "model (intelligent)", stats: model, base: floorSeq, target: 4 },
    { path: `hot agent x${concurrency}`, stats: hot, base: floorConc, target: 6 },
  ].map((r) => {
    const ratio = r.base ? r.stats.p50 / r.base.p50 : undefined;
    const pass = ratio === undefined || r.target === undefined ? undefined : ratio <= r.target;
    return { ...r, ratio, pass };
  });

  if (values.json) {
    const round = (x: number | undefined, d = 2) => (x === undefined ? null : Number(x.toFixed(d)));
    const figures = Object.fromEntries(
      rows.map((r) => [
        r.path,
        {
          p50Ms: round(r.stats.p50), p95Ms: round(r.stats.p95), perSecond: round(r.stats.perSecond, 1),
          ratio: round(r.ratio), target: r.target ?? null, pass: r.pass ?? null,
        },
      ]),
    );
    console.log(JSON.stringify({ url, agentId, count, warmup, concurrency, fakeCleared, figures }));
  } else {
    const cells = [["path", "p50 ms", "p95 ms", "x floor", "per s", "target", "result"]];
    for (const r of rows) {
      cells.push([
        r.path,
        r.stats.p50.toFixed(2),
        r.stats.p95.toFixed(2),
        r.ratio === undefined ? "-" : `${r.ratio.toFixed(2)}x`,
        r.stats.perSecond.toFixed(1),
        r.target === undefined ? "-" : `<= ${r.target}x`,
        r.pass === undefined ? "-" : r.pass ? "PASS" : "MISS",
      ]);
    }
    const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
    console.log(`Foreman latency at ${url}, agent "${agentId}": ${count} requests per path, ${warmup} warm-up`);
    for (const row of cells) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
  }
} catch (err) {
  const unreachable = err instanceof TypeError && err.message === "fetch failed";
  const cause = unreachable ? `could not reach ${url}: is \`npm run dev\` running? (${String(err.cause ?? err)})` : String(err instanceof BenchError ? err.message : err);
  console.error(`error: ${cause}`);
  process.exit(1);
}
