/**
 * Foreman's periodic work at scale, simulated on this machine:
 *
 *   npm run bench:scale -- [--agents 20000] [--shards 2] [--days 7] [--json] [--write-docs]
 *
 * 1. Writes a `wrangler dev` config with `--shards` local D1 shards (DB, DB_2, …) next to
 *    wrangler.toml, applies the migrations to each, and writes the synthetic account straight
 *    into their SQLite files (`scale-seed.ts`): `--agents` agents placed by Foreman's own
 *    rendezvous hash, `--days` days of interactions at a skewed rate, two days of audit events.
 * 2. Starts the real worker (`wrangler dev`, a throwaway `--persist-to`), fires the hourly cron
 *    twice through miniflare's scheduled trigger: once at the current hour (the first run after
 *    the rollups exist: a week of history to roll up, yesterday to archive) and once an hour
 *    later (a steady hour). The cron only enqueues; the real `jobs` queue consumer does the work,
 *    one page per invocation, and logs each page's counts and D1 cost (rows read and written
 *    from D1's own metadata), which the bench reads from the worker's output.
 * 3. Prints, per run and job: invocations, agents and D1 rows per invocation (mean and max),
 *    D1 rows read per agent, time; per shard: rows and bytes per table. From the steady hour's
 *    per-agent figures it extrapolates to 1M agents (shards, queue messages and D1 rows read per
 *    hour). `--write-docs` puts the tables into docs/scale.md, between its bench markers.
 *
 * Figures are counts, not times, except the wall time of each run (this machine's: the
 * consumer runs one page at a time locally; Cloudflare runs up to 250 consumers at once).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseShardList, placeAgent } from "../src/db/placement.ts";
import { freePort } from "../test/browser/dev-server.ts";
import { DAY, HOUR, seedAccount, shardSizes } from "./scale-seed.ts";
import { extrapolate, jobTable, type PageLog, shardTable } from "./scale-report.ts";

const { values } = parseArgs({
  options: {
    agents: { type: "string", default: "20000" },
    shards: { type: "string", default: "2" },
    days: { type: "string", default: "7" },
    json: { type: "boolean", default: false },
    "write-docs": { type: "boolean", default: false },
  },
});
const agentCount = Number(values.agents);
const shardCount = Number(values.shards);
const days = Number(values.days);
if (!(agentCount > 0 && shardCount >= 1 && shardCount <= 8 && days >= 1)) throw new Error("--agents > 0, --shards 1..8 and --days >= 1");

const ROOT = resolve(import.meta.dirname, "..");
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");
const names = Array.from({ length: shardCount }, (_, i) => (i === 0 ? "DB" : `DB_${i + 1}`));
const persist = mkdtempSync(join(tmpdir(), "foreman-scale-"));
const configPath = join(ROOT, ".bench-scale.wrangler.toml");
const quiet = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "warn", NO_COLOR: "1" };

/** The project's wrangler.toml with more D1 shards, and D1_SHARDS naming them. */
function writeConfig(): void {
  let toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8").replace(/^D1_SHARDS = ".*"$/m, `D1_SHARDS = "${names.join(",")}"`);
  for (const name of names.slice(1)) toml += `\n[[d1_databases]]\nbinding = "${name}"\ndatabase_name = "foreman-${name.toLowerCase()}"\nmigrations_dir = "migrations"\n`;
  writeFileSync(configPath, toml);
}

const d1Dir = () => join(persist, "v3/d1/miniflare-D1DatabaseObject");
const sqliteFiles = (): string[] => {
  try {
    return readdirSync(d1Dir()).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  } catch {
    return [];
  }
};

/** Applies the migrations to each shard and finds the SQLite file each one lives in. */
function migrate(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of names) {
    const before = new Set(sqliteFiles());
    const run = spawnSync(WRANGLER, ["d1", "migrations", "apply", name, "--local", "--config", configPath, "--persist-to", persist], { env: quiet, encoding: "utf8", cwd: ROOT });
    if (run.status !== 0) throw new Error(`migrating ${name} failed:\n${run.stdout}\n${run.stderr}`);
    const created = sqliteFiles().filter((f) => !before.has(f));
    if (created.length !== 1) throw new Error(`could not tell which SQLite file is ${name} (${created.length} new files)`);
    files.set(name, join(d1Dir(), created[0]!));
  }
  return files;
}

interface Worker {
  url: string;
  pages: PageLog[];
  enqueued: number[];
  errors: string[];
  stop(): Promise<void>;
}

/** `wrangler dev` on free ports, its JSON log lines collected. */
async function startWorker(): Promise<Worker> {
  const [port, inspector] = [await freePort(), await freePort()];
  const args = ["dev", "--local", "--config", configPath, "--persist-to", persist, "--port", String(port), "--inspector-port", String(inspector), "--ip", "127.0.0.1"];
  args.push("--var", "ANTHROPIC_BASE_URL:http://127.0.0.1:9", "--var", "EMBEDDINGS:local", "--var", "VECTOR_INDEX:local");
  // The worker's log lines are what the bench reads: wrangler's own log level must let them through.
  const env = { ...quiet, WRANGLER_LOG: "log" };
  const child: ChildProcess = spawn(WRANGLER, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const worker: Worker = {
    url: `http://127.0.0.1:${port}`,
    pages: [],
    enqueued: [],
    errors: [],
    stop: async () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // Already gone.
      }
      await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(null)));
    },
  };
  let buffer = "";
  let tail = "";
  const onData = (d: Buffer) => {
    buffer += d.toString();
    tail = (tail + d.toString()).slice(-3000);
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      const start = line.indexOf("{");
      if (start < 0) continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line.slice(start)) as Record<string, unknown>;
      } catch {
        continue;
      }
      const event = String(entry.event ?? "");
      if (event === "jobs_enqueued") worker.enqueued.push(Number(entry.messages));
      else if (/^job\.[a-z_]+_failed$/.test(event)) worker.errors.push(line);
      else if (event.startsWith("job.")) worker.pages.push({ ...(entry as unknown as PageLog), job: event.slice(4) });
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited before it answered:\n${tail}`);
    const ok = await fetch(`${worker.url}/`).then((r) => r.ok, () => false);
    if (ok) return worker;
    await new Promise((r) => setTimeout(r, 200));
  }
  await worker.stop();
  throw new Error(`wrangler dev did not answer within two minutes:\n${tail}`);
}

/** Fires the hourly cron at `at` and waits until every page it led to is done. */
async function cronRun(worker: Worker, at: number): Promise<{ pages: PageLog[]; seconds: number }> {
  const firstPage = worker.pages.length;
  const firstBatch = worker.enqueued.length;
  const started = Date.now();
  const res = await fetch(`${worker.url}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("5 * * * *")}&time=${at}`);
  if (!res.ok) throw new Error(`the scheduled trigger answered ${res.status}: ${await res.text()}`);
  let reported = Date.now();
  for (;;) {
    const pages = worker.pages.slice(firstPage);
    if (Date.now() - reported > 30_000) {
      reported = Date.now();
      const byJob = new Map<string, number>();
      for (const p of pages) byJob.set(p.job, (byJob.get(p.job) ?? 0) + 1);
      console.error(`[bench] ${((Date.now() - started) / 1000).toFixed(0)} s: ${[...byJob].map(([j, n]) => `${j} ${n}`).join(", ")}`);
    }
    const enqueued = worker.enqueued.slice(firstBatch).reduce((a, b) => a + b, 0);
    const outstanding = enqueued + pages.reduce((n, p) => n + (p.next ?? 0), 0) - pages.length;
    if (enqueued > 0 && outstanding === 0) return { pages, seconds: (Date.now() - started) / 1000 };
    if (enqueued === 0 && Date.now() - started > 30_000) throw new Error("the cron enqueued nothing within 30 s (no jobs_enqueued line in the worker's output)");
    if (Date.now() - started > 8 * 60_000) throw new Error(`the run did not finish within 8 minutes: ${outstanding} pages outstanding, ${worker.errors.length} failures\n${worker.errors.slice(-3).join("\n")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const hourNow = Math.floor(Date.now() / HOUR) * HOUR;
const agents = Array.from({ length: agentCount }, (_, i) => `scale-${String(i).padStart(7, "0")}`);
const placement = parseShardList(names.join(","));
let worker: Worker | undefined;
try {
  writeConfig();
  const files = migrate();
  // Traffic up to the end of the next hour: the second run's hour is a steady one.
  const seeded = seedAccount({
    agents,
    shardOf: (id) => placeAgent(placement, id),
    files,
    from: hourNow - days * DAY,
    to: hourNow + HOUR,
    auditFrom: Math.floor((hourNow - DAY) / DAY) * DAY,
    seed: 15,
  });
  console.error(`[bench] ${agentCount} agents (${seeded.active} with traffic), ${seeded.interactions} interactions, ${seeded.auditEvents} audit events in ${names.length} shards, written in ${seeded.seconds.toFixed(1)} s`);
  worker = await startWorker();
  const runs = [
    { name: "first run (a week of history to roll up, a day to archive)", ...(await cronRun(worker, hourNow + 5 * 60_000)) },
    { name: "steady hour", ...(await cronRun(worker, hourNow + HOUR + 5 * 60_000)) },
  ];
  await worker.stop();
  worker = undefined;
  const sizes = names.map((name) => ({ name, ...shardSizes(files.get(name)!) }));
  const report = { agents: agentCount, shards: names.length, days, seeded, runs: runs.map((r) => ({ name: r.name, seconds: r.seconds, jobs: jobTable(r.pages, agentCount) })), sizes };
  const projection = extrapolate({ ...report, seeded }, runs[1]!.pages);
  if (values.json) console.log(JSON.stringify({ ...report, projection }, null, 2));
  const markdown = renderMarkdown(report, runs, sizes, projection);
  if (!values.json) console.log(markdown);
  if (values["write-docs"]) writeDocs(markdown);
  if (runs.some((r) => r.pages.length === 0)) process.exitCode = 1;
} finally {
  await worker?.stop();
  rmSync(persist, { recursive: true, force: true });
  rmSync(configPath, { force: true });
}

function renderMarkdown(
  report: { agents: number; shards: number; days: number; seeded: { interactions: number; auditEvents: number; active: number } },
  runs: Array<{ name: string; seconds: number; pages: PageLog[] }>,
  sizes: Parameters<typeof shardTable>[0],
  projection: ReturnType<typeof extrapolate>,
): string {
  const out: string[] = [];
  out.push(
    `${report.agents.toLocaleString("en")} agents (${report.seeded.active.toLocaleString("en")} with traffic) in ${report.shards} shards, ${report.days} days of ` +
      `${report.seeded.interactions.toLocaleString("en")} interactions and ${report.seeded.auditEvents.toLocaleString("en")} audit events (\`npm run bench:scale\`, ${new Date().toISOString().slice(0, 10)}).`,
    "",
  );
  for (const run of runs) {
    out.push(`**${run.name}**: ${run.pages.length} job invocations, ${run.seconds.toFixed(1)} s on this machine (one consumer at a time).`, "");
    out.push(...jobTable(run.pages, report.agents).markdown, "");
  }
  out.push("**Per shard**", "", ...shardTable(sizes).markdown, "");
  out.push("**At 1M agents** (the steady hour's per-agent figures, times 1M)", "", ...projection.markdown);
  return out.join("\n");
}

function writeDocs(markdown: string): void {
  const path = join(ROOT, "docs/scale.md");
  const doc = readFileSync(path, "utf8");
  const start = "<!-- bench:scale:start -->";
  const end = "<!-- bench:scale:end -->";
  if (!doc.includes(start) || !doc.includes(end)) throw new Error(`docs/scale.md has no ${start} … ${end} markers`);
  writeFileSync(path, `${doc.slice(0, doc.indexOf(start) + start.length)}\n${markdown}\n${doc.slice(doc.indexOf(end))}`);
  console.error("[bench] docs/scale.md updated");
}
