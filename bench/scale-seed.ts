/**
 * The synthetic account of `npm run bench:scale`, written straight into the local D1 shards'
 * SQLite files (as `wrangler dev` keeps them) before the worker starts: agents, a week of
 * interactions at a skewed rate, and two days of audit events. Written by Node's SQLite, since
 * a million rows through the worker's own API would take the whole run.
 *
 * Traffic per agent: a daily rate drawn from a log-normal distribution (median 2 answers a day,
 * mean about 6, a few agents at hundreds), shaped over the day (busier 08:00–18:00 UTC), each
 * hour's count Poisson. The tier mix, costs and latencies follow what the local replay of the
 * seed agent measured: most answers from the model, the rest from rules and caches.
 */
import { DatabaseSync } from "node:sqlite";
import { prng } from "../src/core/random.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface SeedPlan {
  agents: string[];
  /** Each agent's shard (binding name). */
  shardOf: (agentId: string) => string;
  /** The shards' SQLite files, by binding name. */
  files: Map<string, string>;
  /** Interactions are written for [from, to); audit events for the UTC days of auditFrom on. */
  from: number;
  to: number;
  auditFrom: number;
  seed: number;
}

export interface SeedReport {
  interactions: number;
  auditEvents: number;
  /** Agents with at least one interaction. */
  active: number;
  seconds: number;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
}

function poisson(rand: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rand)));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rand(); p > limit; p *= rand()) k += 1;
  return k;
}

/** Share of a day's traffic in each UTC hour: a working day's shape. */
const HOURLY = Array.from({ length: 24 }, (_, h) => (h >= 8 && h < 18 ? 3 : h >= 6 && h < 22 ? 1.2 : 0.3));
const HOURLY_SUM = HOURLY.reduce((a, b) => a + b, 0);

const TIERS: Array<[string, number]> = [
  ["rule", 0.1],
  ["cache", 0.12],
  ["similar", 0.05],
  ["pattern", 0.08],
  ["intelligent", 0.63],
  ["fallback", 0.02],
];
const CHANNELS = ["http", "slack", "sms", "email"];
const QUESTION = "When are you open on Saturday, and can I bring my dog inside the shop?";
const ANSWER = "We're open 9am to 5pm on Saturdays. Well-behaved dogs on a lead are welcome inside; we keep water bowls by the door. Anything else I can help with?";

function pick(rand: () => number): string {
  let x = rand();
  for (const [tier, p] of TIERS) if ((x -= p) < 0) return tier;
  return "intelligent";
}

const hex = (rand: () => number) => Array.from({ length: 8 }, () => Math.floor(rand() * 2 ** 32).toString(16).padStart(8, "0")).join("");

/** Writes the plan into the shard files. */
export function seedAccount(plan: SeedPlan): SeedReport {
  const started = Date.now();
  const rand = prng(plan.seed);
  const dbs = new Map([...plan.files].map(([name, file]) => [name, new DatabaseSync(file)]));
  const report: SeedReport = { interactions: 0, auditEvents: 0, active: 0, seconds: 0 };
  const statements = new Map(
    [...dbs].map(([name, db]) => [
      name,
      {
        agent: db.prepare("INSERT INTO agents (id, version, name, model, config, created_at, updated_at, managed_by) VALUES (?, 1, NULL, 'claude-sonnet-4-5', ?, ?, ?, 'api')"),
        interaction: db.prepare(
          `INSERT INTO interactions (id, agent_id, channel, delivery_id, conversation_hash, tier, model, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens,
             cost_micros, steps, tool_calls, denied_tools, outcome, created_at, latency_ms, urgency, position, learnable, question, answer)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, 1, 0, ?, ?, ?, ?, 'normal', 0, ?, ?, ?)`,
        ),
        audit: db.prepare(
          `INSERT INTO audit_events (id, agent_id, at, actor, action, resource, decision, details, cost_micros, request_id, seq, prev_hash, hash)
           VALUES (?, ?, ?, ?, 'message.answered', ?, 'allowed', ?, ?, ?, ?, ?, ?)`,
        ),
      },
    ]),
  );
  for (const db of dbs.values()) db.exec("BEGIN");
  const config = JSON.stringify({ audit: { retention: { duration: "90d" } } });
  for (const agentId of plan.agents) {
    const st = statements.get(plan.shardOf(agentId))!;
    st.agent.run(agentId, config, plan.from, plan.from);
    const daily = Math.exp(Math.log(2) + 1.5 * gaussian(rand));
    const learns = rand() < 0.05;
    let seq = 0;
    let prev = "0".repeat(64);
    let any = false;
    for (let hour = plan.from; hour < plan.to; hour += HOUR) {
      const n = poisson(rand, (daily * HOURLY[new Date(hour).getUTCHours()]!) / HOURLY_SUM);
      for (let i = 0; i < n; i++) {
        any = true;
        const at = hour + Math.floor(rand() * HOUR);
        const tier = pick(rand);
        const model = tier === "intelligent";
        const cost = model ? 2_000 + Math.floor(rand() * 10_000) : tier === "fallback" ? 0 : Math.floor(rand() * 40);
        const learnable = learns && model && rand() < 0.5;
        const id = `${agentId}:${at}:${i}`;
        const conversation = hex(rand);
        st.interaction.run(
          id,
          agentId,
          CHANNELS[Math.floor(rand() * CHANNELS.length)]!,
          `d-${id}`,
          conversation,
          tier,
          model ? "claude-sonnet-4-5" : null,
          model ? 900 + Math.floor(rand() * 600) : 0,
          model ? 60 + Math.floor(rand() * 200) : 0,
          cost,
          rand() < 0.02 ? '["Write"]' : "[]",
          rand() < 0.02 ? "error" : "success",
          at,
          model ? 900 + Math.floor(rand() * 4_000) : 20 + Math.floor(rand() * 200),
          learnable ? 1 : 0,
          learnable ? QUESTION : null,
          learnable ? ANSWER : null,
        );
        report.interactions += 1;
        if (at >= plan.auditFrom) {
          seq += 1;
          const hash = hex(rand);
          const details = JSON.stringify({ tier, channel: "http", latencyMs: 1200, conversation: conversation.slice(0, 32), steps: 1, toolCalls: 0 });
          st.audit.run(`ev-${id}`, agentId, at, `customer:${conversation.slice(0, 16)}`, `interaction:${id}`, details, cost, `req-${id}`, seq, prev, hash);
          prev = hash;
          report.auditEvents += 1;
        }
      }
    }
    if (any) report.active += 1;
  }
  for (const db of dbs.values()) {
    db.exec("COMMIT");
    db.close();
  }
  report.seconds = (Date.now() - started) / 1000;
  return report;
}

/** Rows and bytes of each table in a shard file (bytes from SQLite's `dbstat`, indexes included). */
export function shardSizes(file: string): { tables: Record<string, { rows: number; bytes: number }>; bytes: number } {
  // The worker that wrote it may take a moment to let go of the file after it stops.
  const db = new DatabaseSync(file, { readOnly: true, timeout: 30_000 });
  const tables: Record<string, { rows: number; bytes: number }> = {};
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'").all() as Array<{ name: string }>;
  const bytesOf = new Map<string, number>();
  try {
    const rows = db.prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name").all() as Array<{ name: string; bytes: number }>;
    const owner = db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").all() as Array<{ name: string; tbl_name: string }>;
    const table = new Map(owner.map((o) => [o.name, o.tbl_name]));
    for (const r of rows) {
      const t = table.get(r.name) ?? r.name;
      bytesOf.set(t, (bytesOf.get(t) ?? 0) + r.bytes);
    }
  } catch {
    // No dbstat in this SQLite build: bytes stay 0 per table, the file's total below still holds.
  }
  for (const { name } of names) {
    const row = db.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number };
    tables[name] = { rows: row.n, bytes: bytesOf.get(name) ?? 0 };
  }
  const pages = db.prepare("PRAGMA page_count").get() as { page_count: number };
  const size = db.prepare("PRAGMA page_size").get() as { page_size: number };
  db.close();
  return { tables, bytes: pages.page_count * size.page_size };
}

export { DAY, HOUR };
