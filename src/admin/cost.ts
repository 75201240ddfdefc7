import { Hono } from "hono";
import { summarizeCost, type TierRow } from "../cost/analytics";
import { microsToUsd } from "../core/money";
import type { AppEnv } from "../http/context";
import type { agentObject } from "../state/objects";
import { DEFAULT_ANALYTICS_SPAN_MS, requireAgent, timeRange } from "./common";
import { agentDb } from "../db/shards";
import { rollupMark, spanBinds, spanSql, splitSpan } from "../rollups/read";

/**
 * An agent's cost analytics over `[from, to]`, as `GET /v1/agents/:agentId/analytics` answers and
 * the dashboard's overview shows it: one query for both, so their figures cannot disagree. Whole
 * hours the agent's rollups cover are read from them, the rest from raw rows (`src/rollups/read.ts`).
 */
export async function costReport(db: D1Database, agentId: string, from: number, to: number) {
  const mark = await rollupMark(db, agentId);
  const span = splitSpan(from, to, mark);
  const { results } = await db
    .prepare(
      `SELECT day, tier, SUM(requests) AS requests, SUM(costMicros) AS costMicros FROM (
         ${spanSql("date(hour / 1000, 'unixepoch') AS day, tier, requests, cost_micros AS costMicros", "date(created_at / 1000, 'unixepoch'), tier, 1, cost_micros")}
       ) GROUP BY day, tier ORDER BY day`,
    )
    .bind(agentId, ...spanBinds(span))
    .all<TierRow>();
  // The baseline needs a measured intelligent cost: from the range, else from all history.
  const intelligent = results.filter((r) => r.tier === "intelligent");
  const inRange = intelligent.reduce((n, r) => n + r.requests, 0);
  let mean = inRange > 0 ? intelligent.reduce((c, r) => c + r.costMicros, 0) / inRange : null;
  if (mean === null) {
    const all = await db
      .prepare(
        `SELECT SUM(c) AS costMicros, SUM(n) AS requests FROM (
           SELECT cost_micros AS c, requests AS n FROM agent_hours WHERE agent_id = ?1 AND tier = 'intelligent' AND hour >= ?2 AND hour < ?3
           UNION ALL SELECT cost_micros, 1 FROM interactions WHERE agent_id = ?1 AND tier = 'intelligent' AND (created_at < ?2 OR created_at >= ?3))`,
      )
      .bind(agentId, mark.from, mark.until)
      .first<{ costMicros: number | null; requests: number | null }>();
    mean = all?.requests ? (all.costMicros ?? 0) / all.requests : null;
  }
  const summary = summarizeCost(results, mean);
  const usd = (m: number | null) => (m === null ? null : microsToUsd(Math.round(m)));
  return {
    agentId,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    requests: summary.requests,
    costUsd: usd(summary.costMicros),
    baselineUsd: usd(summary.baselineMicros),
    savingsUsd: usd(summary.savingsMicros),
    savingsShare: summary.baselineMicros ? (summary.savingsMicros ?? 0) / summary.baselineMicros : null,
    intelligentMeanUsd: usd(summary.intelligentMeanMicros),
    tiers: Object.fromEntries(
      Object.entries(summary.tiers).map(([tier, t]) => [tier, { requests: t.requests, share: t.share, costUsd: usd(t.costMicros) }]),
    ),
    days: summary.days.map((d) => ({ day: d.day, requests: d.requests, costUsd: usd(d.costMicros), baselineUsd: usd(d.baselineMicros), tiers: d.tiers })),
  };
}

export type CostReport = Awaited<ReturnType<typeof costReport>>;

/** Today's budget of an agent, as `GET /v1/agents/:agentId/budget` answers and the overview's gauge shows it. */
export async function budgetReport(stub: ReturnType<typeof agentObject>, agentId: string, now: number) {
  const b = await stub.budget(now);
  return {
    agentId,
    day: b.day,
    timeZone: b.timeZone,
    dailyUsd: microsToUsd(b.dailyMicros),
    spentUsd: microsToUsd(b.spentMicros),
    reservedUsd: microsToUsd(b.reservedMicros),
    remainingUsd: microsToUsd(b.remainingMicros),
    perRequestUsd: microsToUsd(b.perRequestMicros),
    alertThreshold: b.alertThreshold,
    openReservations: b.openReservations,
    micros: { daily: b.dailyMicros, spent: b.spentMicros, reserved: b.reservedMicros, remaining: b.remainingMicros },
  };
}

export type BudgetReport = Awaited<ReturnType<typeof budgetReport>>;

/** Budget and cost analytics of an agent. */
export const costRoutes = new Hono<AppEnv>()
  .get("/agents/:agentId/analytics", async (c) => {
    const { agentId } = await requireAgent(c);
    const { from, to } = timeRange(c, DEFAULT_ANALYTICS_SPAN_MS);
    return c.json(await costReport(await agentDb(c.env, agentId), agentId, from, to));
  })
  .get("/agents/:agentId/budget", async (c) => {
    const { agentId, stub } = await requireAgent(c);
    return c.json(await budgetReport(stub, agentId, c.var.clock.now()));
  });
