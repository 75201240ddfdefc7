import { pendingApprovals } from "../admin/approvals";
import { countAlerts } from "../admin/alerts";
import { budgetReport, costReport } from "../admin/cost";
import type { agentObject } from "../state/objects";
import { type ChartDay, dayRange } from "./chart";
import type { OverviewData } from "./pages/overview";
import { OVERVIEW_DAYS, overviewSpan } from "./span";
import { agentDb, type ShardBindings } from "../db/shards";

export { OVERVIEW_DAYS, overviewSpan } from "./span";

/** Everything the overview shows, read through the admin API's own query functions. */
export async function loadOverview(env: ShardBindings, stub: ReturnType<typeof agentObject>, agentId: string, now: number): Promise<OverviewData> {
  const { from, to } = overviewSpan(now);
  const db = await agentDb(env, agentId);
  const [cost, budget, alerts, allTime, pending, trust] = await Promise.all([
    costReport(db, agentId, from, to),
    budgetReport(stub, agentId, now),
    countAlerts(db, agentId, from, to),
    // Open alerts stay open however old: not acknowledged, of all time.
    countAlerts(db, agentId, 0, now),
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
    openAlerts: allTime.open,
    pendingApprovals: pending.length,
    trust: { level: trust.level, frozen: trust.frozen, frozenReason: trust.frozenReason ?? null },
  };
}
