/**
 * The tables of `npm run bench:scale`: per job from the pages the worker logged, per shard from
 * the SQLite files, and the projection to a million agents.
 */

/** One job page as the jobs consumer logs it (`job.<name>`). */
export interface PageLog {
  job: string;
  shard: string;
  page: string;
  agents?: number;
  objects?: number;
  events?: number;
  rolledUp?: number;
  hours?: number;
  queries: number;
  rowsRead: number;
  rowsWritten: number;
  next: number;
  ms: number;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "–");

interface JobRow {
  job: string;
  invocations: number;
  agentsPerInvocation: { mean: number; max: number };
  rowsReadPerInvocation: { mean: number; max: number };
  rowsRead: number;
  rowsWritten: number;
  rowsReadPerAgent: number;
  ms: number;
}

/** Per job: invocations, agents and rows per invocation, rows per agent of the account, time. */
export function jobTable(pages: readonly PageLog[], accountAgents: number): { rows: JobRow[]; markdown: string[] } {
  const jobs = [...new Set(pages.map((p) => p.job))].sort();
  const rows = jobs.map((job): JobRow => {
    const of = pages.filter((p) => p.job === job);
    const agents = of.map((p) => p.agents ?? (job === "detect" ? 1 : 0));
    const read = of.map((p) => p.rowsRead);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    return {
      job,
      invocations: of.length,
      agentsPerInvocation: { mean: sum(agents) / of.length, max: Math.max(...agents) },
      rowsReadPerInvocation: { mean: sum(read) / of.length, max: Math.max(...read) },
      rowsRead: sum(read),
      rowsWritten: sum(of.map((p) => p.rowsWritten)),
      rowsReadPerAgent: sum(read) / accountAgents,
      ms: sum(of.map((p) => p.ms)),
    };
  });
  const markdown = [
    "| job | invocations | agents / invocation (mean, max) | D1 rows read / invocation (mean, max) | rows read | rows written | rows read / agent | time in pages |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.job} | ${fmt(r.invocations)} | ${fmt(r.agentsPerInvocation.mean, 1)}, ${fmt(r.agentsPerInvocation.max)} | ${fmt(r.rowsReadPerInvocation.mean)}, ${fmt(r.rowsReadPerInvocation.max)} | ${fmt(r.rowsRead)} | ${fmt(r.rowsWritten)} | ${fmt(r.rowsReadPerAgent, 2)} | ${fmt(r.ms / 1000, 1)} s |`,
    ),
  ];
  return { rows, markdown };
}

export interface ShardSize {
  name: string;
  bytes: number;
  tables: Record<string, { rows: number; bytes: number }>;
}

const SHOWN = ["agents", "interactions", "audit_events", "agent_hours", "audit_archives", "job_pages"];

/** Per shard: rows of the main tables, and bytes. */
export function shardTable(sizes: readonly ShardSize[]): { markdown: string[] } {
  return {
    markdown: [
      `| shard | ${SHOWN.join(" | ")} | bytes |`,
      `|---|${SHOWN.map(() => "---:").join("|")}|---:|`,
      ...sizes.map((s) => `| ${s.name} | ${SHOWN.map((t) => fmt(s.tables[t]?.rows ?? 0)).join(" | ")} | ${fmt(s.bytes / 1e6, 1)} MB |`),
    ],
  };
}

/** D1's size limit per database, and how full a shard is let to get before it takes no new agents. */
const D1_LIMIT_BYTES = 10e9;
const FILL = 0.8;
/** How long each kind of row is kept, for the projection: interactions (no retention yet), the audit hot window, rollups. */
const KEEP_DAYS = { interactions: 90, audit: 30, rollups: 365 };

/**
 * The projection to 1M agents from the steady hour's pages and the shards' bytes per row:
 * queue messages, invocations and D1 rows read and written per hour, and the shards the data needs.
 */
export function extrapolate(
  report: { agents: number; days: number; sizes: readonly ShardSize[]; seeded: { interactions: number; auditEvents: number } },
  steady: readonly PageLog[],
): { markdown: string[]; messagesPerHour: number; rowsReadPerHour: number; shardsNeeded: number } {
  const factor = 1e6 / report.agents;
  const sum = (f: (p: PageLog) => number) => steady.reduce((n, p) => n + f(p), 0);
  const bytesOf = (table: string) => report.sizes.reduce((n, s) => n + (s.tables[table]?.bytes ?? 0), 0);
  const rowsOf = (table: string) => report.sizes.reduce((n, s) => n + (s.tables[table]?.rows ?? 0), 0);
  const perRow = (table: string) => (rowsOf(table) > 0 ? bytesOf(table) / rowsOf(table) : 0);
  const perAgentDay = {
    interactions: report.seeded.interactions / report.agents / report.days,
    audit: report.seeded.auditEvents / report.agents / 2,
    rollups: rowsOf("agent_hours") / report.agents / report.days,
  };
  const bytesPerAgent =
    perAgentDay.interactions * KEEP_DAYS.interactions * perRow("interactions") +
    perAgentDay.audit * KEEP_DAYS.audit * perRow("audit_events") +
    perAgentDay.rollups * KEEP_DAYS.rollups * perRow("agent_hours");
  const shardsNeeded = Math.ceil((bytesPerAgent * 1e6) / (D1_LIMIT_BYTES * FILL));
  const messagesPerHour = steady.length * factor;
  const rowsReadPerHour = sum((p) => p.rowsRead) * factor;
  const rowsWrittenPerHour = sum((p) => p.rowsWritten) * factor;
  const markdown = [
    "| figure | per agent | at 1M agents |",
    "|---|---:|---:|",
    `| jobs queue messages (= consumer invocations) per hour | ${fmt(steady.length / report.agents, 4)} | ${fmt(messagesPerHour)} (${fmt(messagesPerHour / 3600, 1)}/s) |`,
    `| D1 rows read per hour by the jobs | ${fmt(sum((p) => p.rowsRead) / report.agents, 1)} | ${fmt(rowsReadPerHour)} (${fmt(rowsReadPerHour / 3600)}/s) |`,
    `| D1 rows written per hour by the jobs | ${fmt(sum((p) => p.rowsWritten) / report.agents, 1)} | ${fmt(rowsWrittenPerHour)} |`,
    `| interactions a day (bytes per row with indexes) | ${fmt(perAgentDay.interactions, 1)} (${fmt(perRow("interactions"))} B) | ${fmt(perAgentDay.interactions * 1e6)} |`,
    `| audit events a day (bytes per row) | ${fmt(perAgentDay.audit, 1)} (${fmt(perRow("audit_events"))} B) | ${fmt(perAgentDay.audit * 1e6)} |`,
    `| rollup rows a day (bytes per row) | ${fmt(perAgentDay.rollups, 1)} (${fmt(perRow("agent_hours"))} B) | ${fmt(perAgentDay.rollups * 1e6)} |`,
    `| D1 bytes kept (interactions ${KEEP_DAYS.interactions} d, audit ${KEEP_DAYS.audit} d, rollups ${KEEP_DAYS.rollups} d) | ${fmt(bytesPerAgent / 1e6, 2)} MB | ${fmt((bytesPerAgent * 1e6) / 1e12, 2)} TB |`,
    `| D1 shards needed (10 GB each, filled to ${FILL * 100}%) | – | ${fmt(shardsNeeded)} |`,
  ];
  return { markdown, messagesPerHour, rowsReadPerHour, shardsNeeded };
}
