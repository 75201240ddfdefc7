/**
 * Reading traffic through the rollups: whole hours an agent's mark covers come from
 * `agent_hours`, the rest (the edges of a range that are not whole hours, and hours after the
 * mark) from `interactions`. The figures are the same as from raw rows alone; the rows read are
 * about one per hour and group instead of one per interaction.
 */
import { HOUR_MS } from "./write";

/**
 * A range [from, to] (`to` included, as the analytics routes take it) split for reading: whole
 * hours in [rolledFrom, rolledTo) from rollups, interactions in [from, rolledFrom) and
 * [rolledTo, to]. Nothing rolled up: rolledFrom = rolledTo = from.
 */
export interface Span {
  from: number;
  to: number;
  rolledFrom: number;
  rolledTo: number;
}

/** The hours an agent's rollups cover, [from, until); an empty span at 0 when it has none. */
export interface Mark {
  from: number;
  until: number;
}

/** Which hours an agent's rollups cover. */
export async function rollupMark(db: D1Database, agentId: string): Promise<Mark> {
  const row = await db.prepare("SELECT rolled_from AS \"from\", rolled_until AS until FROM rollup_marks WHERE agent_id = ?").bind(agentId).first<Mark>();
  return row ?? { from: 0, until: 0 };
}

/**
 * The split of [from, to] for an agent whose rollups cover `mark`.
 *
 * @example
 * splitSpan(Date.parse("2026-12-01T10:30Z"), Date.parse("2026-12-01T14:10Z"), { from: 0, until: Date.parse("2026-12-01T13:00Z") });
 * // rolled: 11:00 to 13:00; raw: 10:30–11:00 and 13:00–14:10
 */
export function splitSpan(from: number, to: number, mark: Mark): Span {
  const rolledFrom = Math.max(Math.ceil(from / HOUR_MS) * HOUR_MS, mark.from);
  const rolledTo = Math.min(Math.floor((to + 1) / HOUR_MS) * HOUR_MS, mark.until);
  return rolledTo > rolledFrom ? { from, to, rolledFrom, rolledTo } : { from, to, rolledFrom: from, rolledTo: from };
}

/**
 * SQL of one row per rollup group or interaction in a span, with `?1` the agent and `?2..?5`
 * `spanBinds(span)`: the columns the caller's `select` names, from both sources. `rolled` and
 * `raw` are the two column lists, in the same order (a raw interaction counts as one request).
 */
export function spanSql(rolled: string, raw: string): string {
  return `SELECT ${rolled} FROM agent_hours WHERE agent_id = ?1 AND hour >= ?2 AND hour < ?3
UNION ALL
SELECT ${raw} FROM interactions WHERE agent_id = ?1 AND ((created_at >= ?4 AND created_at < ?2) OR (created_at >= ?3 AND created_at <= ?5))`;
}

/** The binds `?2..?5` of `spanSql`. */
export function spanBinds(span: Span): [number, number, number, number] {
  return [span.rolledFrom, span.rolledTo, span.from, span.to];
}

/** One UTC hour of an agent's traffic (the unusual-activity check's unit). */
export interface HourRow {
  agentId: string;
  hour: number;
  requests: number;
  costMicros: number;
  errors: number;
  denials: number;
}

/**
 * Per agent and hour in [from, to) (whole hours), the traffic from the rollups alone: for hours
 * every listed agent has rolled up (the hourly job rolls a page of agents up first). Hours
 * without traffic have no row.
 */
export async function hourRows(db: D1Database, agentIds: readonly string[], from: number, to: number): Promise<HourRow[]> {
  if (agentIds.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT agent_id AS agentId, hour, SUM(requests) AS requests, SUM(cost_micros) AS costMicros, SUM(CASE WHEN outcome = 'error' THEN requests ELSE 0 END) AS errors, SUM(denials) AS denials
       FROM agent_hours WHERE agent_id IN (SELECT value FROM json_each(?1)) AND hour >= ?2 AND hour < ?3 GROUP BY agent_id, hour`,
    )
    .bind(JSON.stringify(agentIds), from, to)
    .all<HourRow>();
  return results;
}
