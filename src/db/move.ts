import { AppError } from "../core/errors";
import { silentLogger, type Logger } from "../core/logger";
import { locateAgent, recordAgentShard, shards, type Shard, type ShardBindings } from "./shards";

/**
 * Moving one agent's rows from its D1 shard to another, for `POST /v1/agents/:agentId/move`
 * (docs/deploy.md, "Moving an agent to another shard").
 *
 * Three steps, each safe to repeat, so a move stopped at any point is finished by running it
 * again:
 *
 * 1. copy: while the directory still names the old shard, every row of the agent is copied to
 *    the target, a page at a time, replacing a copy an earlier, stopped run left there (the old
 *    shard is still the one written to, so its rows are the newer);
 * 2. switch: the directory entry (`recordAgentShard`) names the target, only once every table is
 *    copied;
 * 3. sweep: every other shard's rows of the agent are copied to the target without replacing
 *    anything (the target is now the one written to, so its rows are the newer), and each page is
 *    deleted from the old shard only after it is in the target. A row a worker writes to the old
 *    shard while it still reads the old entry (KV takes up to a minute to be seen everywhere)
 *    stays there until the next run's sweep carries it over.
 *
 * A page is one read and one D1 batch of single-row statements (each far below D1's 100 bound
 * parameters), so no statement grows with the agent.
 */

/** A per-agent table: the column naming the agent and the primary key, which pages and identifies rows. */
export interface AgentTable {
  name: AgentTableName;
  agentColumn: string;
  key: readonly string[];
  /** How a copied row meets a row with its key in the target; default: `replace` while copying, `ignore` while sweeping. */
  upsert?: string;
}

/**
 * Every table with rows of one agent, in copy order (the sweep goes in reverse). `legal_holds`
 * first and last: retention in either shard never meets the agent's audit rows without its hold.
 * `agent_hours` before `rollup_marks`: a mark never claims hours whose rollups are not there.
 * `agents` last to copy and first to sweep: the shards' `agents` rows, which answer a directory
 * miss, name the target only once the copy is whole, and stop naming the old shard first thing
 * after the switch.
 */
export const AGENT_TABLES = [
  { name: "legal_holds", agentColumn: "agent_id", key: ["agent_id"] },
  { name: "interactions", agentColumn: "agent_id", key: ["id"] },
  { name: "patterns", agentColumn: "agent_id", key: ["id"] },
  // No index on agent_id: a page walks the primary key, so a whole table is one scan, not one per page.
  { name: "pattern_samples", agentColumn: "agent_id", key: ["interaction_id", "kind"] },
  // The serving snapshot's counter only ever rises: the higher of the two wins, whichever step.
  { name: "pattern_versions", agentColumn: "agent_id", key: ["agent_id"], upsert: "ON CONFLICT(agent_id) DO UPDATE SET version = excluded.version WHERE excluded.version > pattern_versions.version" },
  { name: "dead_letters", agentColumn: "agent_id", key: ["id"] },
  { name: "audit_events", agentColumn: "agent_id", key: ["id"] },
  { name: "audit_archives", agentColumn: "agent_id", key: ["agent_id", "first_seq"] },
  { name: "alerts", agentColumn: "agent_id", key: ["id"] },
  { name: "agent_hours", agentColumn: "agent_id", key: ["agent_id", "hour", "channel", "tier", "outcome", "urgency"] },
  { name: "rollup_marks", agentColumn: "agent_id", key: ["agent_id"] },
  { name: "agents", agentColumn: "id", key: ["id"] },
] as const satisfies readonly (Omit<AgentTable, "name"> & { name: string })[];

export type AgentTableName = (typeof AGENT_TABLES)[number]["name"];

/** Rows written to the target per table in one run. */
export type MovedRows = Record<AgentTableName, number>;

export interface MoveReport {
  agentId: string;
  /** The shard the directory named when the move began. */
  from: string;
  to: string;
  /** The agent was already in `to`: only rows left behind in other shards were carried over. */
  alreadyThere: boolean;
  /** False when this run stopped at its budget of D1 calls: run it again to go on from there. */
  complete: boolean;
  /** Rows this run wrote to `to`, per table; 0 everywhere for a move with nothing left to do. */
  moved: MovedRows;
}

export interface MoveOptions {
  /** Rows per page (one read and one write batch); default 200. */
  pageSize?: number;
  /**
   * D1 calls this run may make before it stops with `complete: false`; default 600, and never
   * fewer than a sweep needs to make progress (one read per table and other shard, and a page). A
   * Worker invocation may make 1,000 on Workers Paid: the rest is left to the request around it.
   */
  maxCalls?: number;
  logger?: Logger;
}

/** Where a stopped copy goes on: the directory's KV namespace, `move:<agentId>`. */
export function moveProgressKey(agentId: string): string {
  return `move:${agentId}`;
}

/** A copy stopped at its budget: the target, and the table and last key copied. */
interface Progress {
  to: string;
  table: AgentTableName;
  after: unknown[] | null;
}

const DEFAULT_PAGE = 200;
const DEFAULT_MAX_CALLS = 600;
/** Progress is a hint (without it a copy starts over, which is correct, only slower): kept a week. */
const PROGRESS_TTL_S = 7 * 24 * 3600;
type Row = Record<string, unknown>;

/** D1 calls left to a run; a page is only started when its calls fit. */
interface Budget {
  calls: number;
}

/**
 * Moves every row of an agent to the shard named `to` and points the directory at it; see the
 * steps above. An unknown shard name is refused with the valid names (400, naming `shard`), an
 * agent no shard holds with a 404. A run that reaches `maxCalls` stops between pages with
 * `complete: false` (a copy remembers where, under `moveProgressKey`): the next run goes on.
 *
 * @example
 * const report = await moveAgent(env, "shop", "DB_2");
 * // { agentId: "shop", from: "DB", to: "DB_2", alreadyThere: false, complete: true, moved: { interactions: 1200, … } }
 */
export async function moveAgent(env: ShardBindings, agentId: string, to: string, opts: MoveOptions = {}): Promise<MoveReport> {
  const all = shards(env);
  const target = all.byName(to);
  if (!target) {
    const names = all.all.map((s) => s.name).join(", ");
    const message = `shard: "${to}" is not one of this worker's D1 shards; the shards (D1_SHARDS) are ${names}`;
    throw new AppError("invalid_request", message, { details: { issues: [{ path: "shard", message: `must be one of ${names}` }] } });
  }
  const source = await locateAgent(env, agentId);
  if (!source) throw new AppError("not_found", `unknown agent "${agentId}"`);
  const pageSize = opts.pageSize ?? DEFAULT_PAGE;
  // A sweep starts each shard again, reading every table once (1 call each) before it finds rows:
  // with fewer calls than that and one page (3), a run could stop without moving anything.
  const budget: Budget = { calls: Math.max(opts.maxCalls ?? DEFAULT_MAX_CALLS, (all.all.length - 1) * AGENT_TABLES.length + 3) };
  const logger = (opts.logger ?? silentLogger).with({ agentId, from: source.name, to: target.name });
  const moved = emptyCounts();
  const alreadyThere = source.name === target.name;
  const report = (complete: boolean): MoveReport => {
    logger.info("agent.move.run", { rows: total(moved), alreadyThere, complete });
    return { agentId, from: source.name, to: target.name, alreadyThere, complete, moved };
  };
  if (!alreadyThere) {
    const key = moveProgressKey(agentId);
    const saved = await env.CACHE.get<Progress>(key, "json").catch(() => null);
    const resume = saved?.to === target.name ? saved : null;
    const copy = await copyAgentRows(source.db, target.db, agentId, { mode: "replace", pageSize, budget, resume });
    add(moved, copy.moved);
    if (copy.stoppedAt) {
      await env.CACHE.put(key, JSON.stringify({ to: target.name, ...copy.stoppedAt } satisfies Progress), { expirationTtl: PROGRESS_TTL_S });
      return report(false);
    }
    await recordAgentShard(env, agentId, target);
    await env.CACHE.delete(key);
  }
  for (const other of all.all) {
    if (other.name === target.name) continue;
    const swept = await sweepAgentRows(other, target.db, agentId, pageSize, budget);
    add(moved, swept.moved);
    if (!swept.finished) return report(false);
  }
  return report(true);
}

/**
 * Step 1 on its own (exported for tests that stop a move after it): copies every row of the agent
 * from `from` to `to` without touching the directory or deleting anything. `replace` writes the
 * source's version over a row with its key in the target; `ignore` keeps the target's. With a
 * budget it stops between pages when the next would not fit, and says where (`resume` goes on).
 */
export async function copyAgentRows(
  from: D1Database,
  to: D1Database,
  agentId: string,
  opts: { mode: "replace" | "ignore"; pageSize?: number; budget?: Budget; resume?: Omit<Progress, "to"> | null },
): Promise<{ moved: MovedRows; stoppedAt: Omit<Progress, "to"> | null }> {
  const moved = emptyCounts();
  const budget = opts.budget ?? { calls: Infinity };
  const first = opts.resume ? AGENT_TABLES.findIndex((t) => t.name === opts.resume!.table) : 0;
  for (const table of AGENT_TABLES.slice(Math.max(first, 0))) {
    let after = table.name === opts.resume?.table ? opts.resume.after : null;
    for (;;) {
      if (budget.calls < 2) return { moved, stoppedAt: { table: table.name, after } };
      budget.calls -= 1;
      const page = await readPage(from, table, agentId, after, opts.pageSize ?? DEFAULT_PAGE);
      if (page.rows.length > 0) {
        budget.calls -= 1;
        moved[table.name] += await writePage(to, table, page.rows, opts.mode);
      }
      if (page.next === null) break;
      after = page.next;
    }
  }
  return { moved, stoppedAt: null };
}

/**
 * Step 3 for one shard: each page copied to the target (keeping the target's rows), then deleted
 * here. Unfinished when the budget ran out; the next run starts the shard again, and finds only
 * what is left.
 */
async function sweepAgentRows(from: Shard, to: D1Database, agentId: string, pageSize: number, budget: Budget): Promise<{ moved: MovedRows; finished: boolean }> {
  const moved = emptyCounts();
  for (const table of [...AGENT_TABLES].reverse()) {
    let after: unknown[] | null = null;
    for (;;) {
      if (budget.calls < 3) return { moved, finished: false };
      budget.calls -= 1;
      const page = await readPage(from.db, table, agentId, after, pageSize);
      if (page.rows.length > 0) {
        budget.calls -= 2;
        moved[table.name] += await writePage(to, table, page.rows, "ignore");
        // Only the rows just copied: one written here since the page was read waits for the next run.
        const where = [table.agentColumn, ...table.key].map((c) => `${c} = ?`).join(" AND ");
        const remove = from.db.prepare(`DELETE FROM ${table.name} WHERE ${where}`);
        await from.db.batch(page.rows.map((row) => remove.bind(row[table.agentColumn], ...table.key.map((k) => row[k]))));
      }
      if (page.next === null) break;
      after = page.next;
    }
  }
  return { moved, finished: true };
}

/**
 * One page of the agent's rows of a table in primary-key order, after the key `after` (from the
 * start when null), and the key to read the next page after (null after the last page).
 */
async function readPage(db: D1Database, table: AgentTable, agentId: string, after: unknown[] | null, pageSize: number): Promise<{ rows: Row[]; next: unknown[] | null }> {
  const keyList = table.key.join(", ");
  const sql = after
    ? `SELECT * FROM ${table.name} WHERE ${table.agentColumn} = ? AND (${keyList}) > (${after.map(() => "?").join(", ")}) ORDER BY ${keyList} LIMIT ?`
    : `SELECT * FROM ${table.name} WHERE ${table.agentColumn} = ? ORDER BY ${keyList} LIMIT ?`;
  const { results } = await db.prepare(sql).bind(agentId, ...(after ?? []), pageSize).all<Row>();
  const last = results.length === pageSize ? results[results.length - 1]! : null;
  return { rows: results, next: last ? table.key.map((k) => last[k]) : null };
}

/** Writes a page of rows in one batch; returns how many were written. */
async function writePage(db: D1Database, table: AgentTable, rows: Row[], mode: "replace" | "ignore"): Promise<number> {
  const statements = rows.map((row) => {
    // Every column the source row has, by name: a column a later migration adds moves too.
    const columns = Object.keys(row);
    const names = columns.map((c) => `"${c}"`).join(", ");
    const values = columns.map(() => "?").join(", ");
    const sql = table.upsert
      ? `INSERT INTO ${table.name} (${names}) VALUES (${values}) ${table.upsert}`
      : `INSERT OR ${mode === "replace" ? "REPLACE" : "IGNORE"} INTO ${table.name} (${names}) VALUES (${values})`;
    return db.prepare(sql).bind(...columns.map((c) => row[c] ?? null));
  });
  const results = await db.batch(statements);
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}

function emptyCounts(): MovedRows {
  return Object.fromEntries(AGENT_TABLES.map((t) => [t.name, 0])) as MovedRows;
}

function add(into: MovedRows, more: MovedRows): void {
  for (const name of Object.keys(more) as AgentTableName[]) into[name] += more[name];
}

const total = (counts: MovedRows) => Object.values(counts).reduce((a, b) => a + b, 0);
