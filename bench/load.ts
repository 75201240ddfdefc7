/**
 * `npm run bench:load`: Foreman under load, against a running `npm run dev` on loopback (its fake
 * Messages API answers at once), with autocannon, each scenario bounded in time.
 *
 *   npm run dev        # in another terminal
 *   npm run bench:load -- [--duration 8] [--connections 8] [--agents 20]
 *
 * Scenarios (each on agents the bench creates with the admin API):
 *   floor          `GET /`, the runtime's cheapest route;
 *   rule           a signed "hello" on the HTTP channel, answered by the seed's greeting rule;
 *   model          a message no rule or cache can answer, one agent (the hot agent);
 *   model, N       the same spread over `--agents` agents;
 *   flood          one sender with fresh message ids against an agent with the default rate
 *                  limits (`messageHandling.rateLimits`, 30 per 10 minutes per sender).
 * For each: requests/s, p50 and p99 latency and p50 as a ratio to the floor's, 2xx, 429, 5xx,
 * connection errors, and lost messages: sent − (answered + refused with 429). After the run the
 * answers are counted again in each agent's analytics (the interactions the learning queue
 * stores), so an answer that never reached its records is lost too. Targets: no lost message,
 * no 5xx, and the flooding sender answered at most its limit (and the model called at most that).
 */
import autocannon, { type Request as LoadRequest } from "autocannon";
import { createHmac } from "node:crypto";
import { parseArgs } from "node:util";
import { SEED_EXAMPLE_CONFIG } from "../src/config/seed-example.ts";
import { LOCAL_DEFAULTS, readDevVars, setting } from "../src/dev/local-env.ts";
import { UNLIMITED } from "./agents.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "8" },
    connections: { type: "string", default: "8" },
    agents: { type: "string", default: "20" },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const devVars = readDevVars();
const url = setting("FOREMAN_URL", LOCAL_DEFAULTS.url, devVars);
const adminToken = setting("ADMIN_TOKEN", LOCAL_DEFAULTS.adminToken, devVars);
const fakePort = setting("FAKE_ANTHROPIC_PORT", String(LOCAL_DEFAULTS.fakePort), devVars);
const fakeUrl = setting("FAKE_ANTHROPIC_URL", `http://127.0.0.1:${fakePort}`, devVars);
const run = crypto.randomUUID().slice(0, 8);
const secret = `load-${run}`;
/** The per-sender limit the flood runs into: the default. */
const FLOOD_LIMIT = 30;

async function admin(path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function createAgent(agentId: string, unlimited: boolean): Promise<void> {
  await admin(`/v1/agents/${agentId}`, {
    method: "PUT",
    body: JSON.stringify({
      config: {
        name: "load benchmark",
        optimization: { ...SEED_EXAMPLE_CONFIG.optimization, budget: { daily: 1_000, perRequest: 1 } },
        ...(unlimited ? { messageHandling: UNLIMITED } : {}),
      },
      systemPrompt: "You are a shop's support assistant.",
      secrets: { http: secret },
    }),
  });
}

/** The HTTP channel's signature, computed synchronously for autocannon's request hook. */
function signed(body: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  const mac = createHmac("sha256", secret).update(`v1:${ts}:${body}`).digest("hex");
  return { "content-type": "application/json", "x-foreman-timestamp": String(ts), "x-foreman-signature": `v1=${mac}` };
}

const letters = "abcdefghijklmnopqrstuvwxyz";
const randomText = () => `Please look into ${Array.from({ length: 6 }, () => Array.from({ length: 7 }, () => letters[Math.floor(Math.random() * 26)]).join("")).join(" ")}`;

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  limited: number;
  server: number;
  errors: number;
  sent: number;
  /** Answers that reached the agents' records (null for the floor). */
  recorded: number | null;
}

let seq = 0;
async function scenario(name: string, opts: { agents?: string[]; text?: () => string; sender?: () => string } = {}): Promise<Row> {
  const agents = opts.agents;
  const result = await autocannon({
    url: agents ? `${url}/webhooks/${agents[0]}/http` : `${url}/`,
    connections,
    duration,
    ...(agents
      ? {
          method: "POST" as const,
          requests: [
            {
              setupRequest: (req: LoadRequest): LoadRequest => {
                const n = seq++;
                const agent = agents[n % agents.length]!;
                const body = JSON.stringify({ id: `load-${run}-${n}`, conversation: `c-${run}-${n}`, from: opts.sender?.() ?? `s-${run}-${n}`, text: opts.text?.() ?? "hello" });
                return { ...req, method: "POST", path: `/webhooks/${agent}/http`, headers: signed(body), body };
              },
            },
          ],
        }
      : {}),
  });
  const count = (code: (s: number) => boolean) =>
    Object.entries(result.statusCodeStats ?? {}).reduce((sum, [status, stat]) => sum + (code(Number(status)) ? Number((stat as { count: number | string }).count) : 0), 0);
  const ok = count((s) => s >= 200 && s < 300);
  const limited = count((s) => s === 429);
  const server = count((s) => s >= 500);
  const sent = count(() => true) + result.errors;
  return { name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, ok, limited, server, errors: result.errors, sent, recorded: null };
}

/** Waits until the agents' analytics count `expected` answers (the learning queue stores them), or 30 s. */
async function recorded(agents: string[], expected: number, before: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < 300; i++) {
    total = 0;
    for (const a of agents) total += ((await admin(`/v1/agents/${a}/analytics?from=0`)) as { requests: number }).requests;
    if (total - before >= expected) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return total - before;
}

async function answersOf(agents: string[]): Promise<number> {
  let total = 0;
  for (const a of agents) total += ((await admin(`/v1/agents/${a}/analytics?from=0`)) as { requests: number }).requests;
  return total;
}

const hot = `load-${run}-hot`;
const many = Array.from({ length: Number(values.agents) }, (_, i) => `load-${run}-${i}`);
const flood = `load-${run}-flood`;
try {
  for (const key of ["default"]) await fetch(`${fakeUrl}/_fake/scripts/${key}`, { method: "DELETE" }).catch(() => {});
  await createAgent(hot, true);
  for (const a of many) await createAgent(a, true);
  await createAgent(flood, false);
} catch (err) {
  console.error(`cannot prepare the agents (is \`npm run dev\` running at ${url}?): ${String(err)}`);
  process.exit(1);
}

const log = (s: string) => console.error(s);
const rows: Row[] = [];
log(`floor: GET / for ${duration} s`);
rows.push(await scenario("floor: GET /"));
for (const [name, agents, text] of [
  ["rule hit (hot agent)", [hot], () => "hello"],
  ["model (hot agent)", [hot], randomText],
  [`model (${many.length} agents)`, many, randomText],
] as const) {
  log(`${name} for ${duration} s`);
  const before = await answersOf([...agents]);
  const row = await scenario(name, { agents: [...agents], text });
  row.recorded = await recorded([...agents], row.ok, before);
  rows.push(row);
}
log(`flood: one sender for ${duration} s`);
const floodRow = await scenario("flood, one sender (limit 30/10m)", { agents: [flood], text: randomText, sender: () => `flooder-${run}` });
floodRow.recorded = await recorded([flood], floodRow.ok, 0);
rows.push(floodRow);
const floodModelCalls = ((await (await fetch(`${fakeUrl}/_fake/requests/${flood}`)).json().catch(() => ({ requests: [] }))) as { requests?: unknown[] }).requests?.length ?? null;

const floor = rows[0]!;
console.log(`Load: autocannon, ${connections} connections, ${duration} s per scenario, against ${url} (fake model answering at once)\n`);
console.log("| scenario | req/s | p50 ms | p99 ms | p50 vs floor | 2xx | 429 | 5xx | conn. errors | lost |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
let failed = false;
for (const r of rows) {
  const unrecorded = r.recorded === null ? 0 : Math.max(0, r.ok - r.recorded);
  const lost = r.sent - r.ok - r.limited + unrecorded;
  if (lost > 0 || r.server > 0) failed = true;
  console.log(`| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${(r.p50 / Math.max(floor.p50, 1)).toFixed(1)}x | ${r.ok} | ${r.limited} | ${r.server} | ${r.errors} | ${lost} |`);
}
const floodOk = floodRow.ok <= FLOOD_LIMIT && (floodModelCalls === null || floodModelCalls <= FLOOD_LIMIT);
console.log(`\nflood: ${floodRow.ok} of ${floodRow.sent} answered (limit ${FLOOD_LIMIT}), model called ${floodModelCalls ?? "?"} times: ${floodOk ? "within" : "OVER"} the limit`);
if (!floodOk) failed = true;
if (failed) {
  console.log("targets missed: lost messages, 5xx or a flood over its limit (see the table)");
  process.exitCode = 1;
}
