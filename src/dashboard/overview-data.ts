import { pendingApprovals } from "../admin/approvals";
import { countAlerts } from "../admin/alerts";
import { budgetReport, costReport } from "../admin/cost";
import type { agentObject } from "../state/objects";
import { type ChartDay, dayRange } from "./chart";
import type { OverviewData } from "./pages/overview";

/** The overview covers this many calendar days (UTC), today included. */
export const OVERVIEW_DAYS = 14;

/**
 * The span of the overview at `now`: from the start of the UTC day `OVERVIEW_DAYS - 1` days ago
 * to `now`. `GET /v1/agents/:agentId/analytics?from=…&to=…` with these bounds gives the same
 * figures, from the same query functions.
 */
export function overviewSpan(now: number): { from: number; to: number } {
  const today = Date.parse(`${new Date(now).toISOString().slice(0, 10)}T00:00:00Z`);
  return { from: today - (OVERVIEW_DAYS - 1) * 86_400_000, to: now };
}

/** Everything the overview shows, read through the admin API's own query functions. */
export async function loadOverview(env: { DB: D1Database }, stub: ReturnType<typeof agentObject>, agentId: string, now: number): Promise<OverviewData> {
  const { from, to } = overviewSpan(now);
  const [cost, budget, alerts, pending, trust] = await Promise.all([
    costReport(env.DB, agentId, from, to),
    budgetReport(stub, agentId, now),
    countAlerts(env.DB, agentId, from, to),
    pendingApprovals(stub, now),
    stub.trustView(now),
  ]);
  const byDay = new Map(cost.days.map((d) => [d.day, d]));
  const days: ChartDay[] = dayRange(new Date(now).toISOString().slice(0, 10), OVERVIEW_DAYS).map(
    (day) => byDay.get(day) ?? { day, requests: 0, costUsd: 0, tiers: {} },
  );
  return {
    agentId,
    spanDays: OVERVIEW_DAYS,
    cost,
    days,
    budget,
    alerts,
    pendingApprovals: pending.length,
    trust: { level: trust.level, frozen: trust.frozen, frozenReason: trust.frozenReason ?? null },
  };
}
