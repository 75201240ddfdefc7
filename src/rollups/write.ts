/**
 * Writing the hourly rollups (`agent_hours`) of a page of agents, from their `interactions`.
 *
 * Each agent's `rollup_marks` row says which hours its rollups cover: [rolled_from, rolled_until).
 * A run, per agent:
 *  - forward: from its first interaction at or after `rolled_until − REROLL_HOURS` (an
 *    interaction the learning queue wrote late, up to an hour after its hour ended, is still
 *    counted) to the last hour that ended, at most `MAX_HOURS_PER_RUN` hours. An agent's first
 *    run starts `MAX_HOURS_PER_RUN` hours back: the recent week first, which the unusual-activity
 *    baseline needs.
 *  - backward, once forward is caught up: older history (interactions from before rollups
 *    existed), at most `MAX_HOURS_PER_RUN` hours a run, until its first interaction.
 * The hours a run covers are deleted and written again in one batch (a D1 transaction), so a run
 * that is repeated writes the same rows: redelivery never double-counts. An agent without new
 * interactions costs three index seeks and no write.
 */
import { bucketsSql } from "./sketch";

export const HOUR_MS = 3_600_000;
/** Hours before the mark that each run rolls up again, for interactions written late. */
export const REROLL_HOURS = 1;
/** Hours one run rolls up for one agent at most. */
export const MAX_HOURS_PER_RUN = 168;

export interface RollupResult {
  /** Agents that had interactions to roll up. */
  agents: number;
  /** Hours rolled up, over those agents (idle hours in a span included). */
  hours: number;
}

const ROLLUP_SQL = `INSERT INTO agent_hours (agent_id, hour, channel, tier, outcome, urgency, requests, cost_micros, denials, learnable, latency_sum_ms, latency_max_ms, latency_buckets)
SELECT agent_id, created_at - created_at % ${HOUR_MS} AS hour, channel, tier, outcome, urgency, COUNT(*), SUM(cost_micros), SUM(denied_tools <> '[]'), SUM(learnable),
  SUM(latency_ms), MAX(latency_ms), ${bucketsSql("latency_ms")}
FROM interactions WHERE agent_id = ?1 AND created_at >= ?2 AND created_at < ?3
GROUP BY hour, channel, tier, outcome, urgency`;

/** The start of the UTC hour `at` falls in. */
export const floorHour = (at: number) => Math.floor(at / HOUR_MS) * HOUR_MS;

interface MarkRow {
  agentId: string;
  rolledFrom: number | null;
  rolledUntil: number | null;
  /** The agent's first interaction. */
  first: number | null;
  /** Its first interaction the forward pass must count. */
  next: number | null;
}

/**
 * Rolls up the hours that ended by `until` for the given agents (all in `db`'s shard).
 *
 * @example
 * await rollUp(db, ["shop", "cafe"], Date.parse("2026-12-08T10:05:00Z")); // hours up to 10:00
 */
export async function rollUp(db: D1Database, agentIds: readonly string[], until: number): Promise<RollupResult> {
  const result: RollupResult = { agents: 0, hours: 0 };
  if (agentIds.length === 0) return result;
  const end = floorHour(until);
  const horizon = end - MAX_HOURS_PER_RUN * HOUR_MS;
  // One query for the page: each agent's mark, first interaction, and first one to count now.
  const { results } = await db
    .prepare(
      `SELECT x.value AS agentId, m.rolled_from AS rolledFrom, m.rolled_until AS rolledUntil,
         (SELECT MIN(i.created_at) FROM interactions i WHERE i.agent_id = x.value) AS first,
         (SELECT MIN(i.created_at) FROM interactions i WHERE i.agent_id = x.value AND i.created_at >= COALESCE(m.rolled_until - ?2, ?4) AND i.created_at < ?3) AS next
       FROM json_each(?1) x LEFT JOIN rollup_marks m ON m.agent_id = x.value`,
    )
    .bind(JSON.stringify(agentIds), REROLL_HOURS * HOUR_MS, end, horizon)
    .all<MarkRow>();
  const statements: D1PreparedStatement[] = [];
  const roll = (agentId: string, from: number, to: number) => {
    statements.push(
      db.prepare("DELETE FROM agent_hours WHERE agent_id = ? AND hour >= ? AND hour < ?").bind(agentId, from, to),
      db.prepare(ROLLUP_SQL).bind(agentId, from, to),
    );
    result.hours += (to - from) / HOUR_MS;
  };
  for (const row of results) {
    if (row.first === null) continue;
    // A new agent's rollups start at the horizon (or its first interaction, if later).
    const anchor = Math.max(floorHour(row.first), horizon);
    let rolledFrom = row.rolledFrom ?? anchor;
    let rolledUntil = row.rolledUntil ?? anchor;
    let worked = false;
    if (row.next !== null) {
      const from = floorHour(row.next);
      const to = Math.min(end, from + MAX_HOURS_PER_RUN * HOUR_MS);
      roll(row.agentId, from, to);
      rolledFrom = Math.min(rolledFrom, from);
      rolledUntil = Math.max(rolledUntil, to);
      worked = true;
    } else {
      // No interaction since the mark (less the re-roll): every hour up to the end is empty.
      rolledUntil = Math.max(rolledUntil, end);
    }
    const first = floorHour(row.first);
    if (rolledUntil >= end && first < rolledFrom) {
      const from = Math.max(first, rolledFrom - MAX_HOURS_PER_RUN * HOUR_MS);
      roll(row.agentId, from, rolledFrom);
      rolledFrom = from;
      worked = true;
    }
    // An idle agent's mark is left as it is: the hours after it have no rows to read.
    if (!worked && row.rolledUntil !== null) continue;
    statements.push(
      db
        .prepare(
          `INSERT INTO rollup_marks (agent_id, rolled_from, rolled_until) VALUES (?1, ?2, ?3)
           ON CONFLICT(agent_id) DO UPDATE SET rolled_from = MIN(rolled_from, excluded.rolled_from), rolled_until = MAX(rolled_until, excluded.rolled_until)`,
        )
        .bind(row.agentId, rolledFrom, rolledUntil),
    );
    if (worked) result.agents += 1;
  }
  if (statements.length > 0) await db.batch(statements);
  return result;
}
