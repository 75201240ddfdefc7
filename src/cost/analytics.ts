/**
 * Cost analytics from the D1 `interactions` rows: requests and cost per tier, what the same
 * requests would have cost at the intelligent tier (the baseline), and the savings.
 */
import type { Micros } from "../core/money";

export interface TierRow {
  day: string;
  tier: string;
  requests: number;
  costMicros: Micros;
}

export interface CostAnalytics {
  requests: number;
  costMicros: Micros;
  tiers: Record<string, { requests: number; costMicros: Micros; share: number }>;
  /** Mean cost of a measured intelligent answer; null when none was ever measured. */
  intelligentMeanMicros: number | null;
  baselineMicros: Micros | null;
  savingsMicros: Micros | null;
  days: Array<{ day: string; requests: number; costMicros: Micros; baselineMicros: Micros | null; tiers: Record<string, number> }>;
}

/**
 * Summarises per-day, per-tier rows. The baseline prices every request at the mean measured
 * cost of an intelligent answer (`intelligentMean`, from the range, or else from all history).
 *
 * @example
 * summarizeCost([{ day: "2026-11-25", tier: "cache", requests: 9, costMicros: 0 }, { day: "2026-11-25", tier: "intelligent", requests: 1, costMicros: 5000 }], 5000);
 * // baselineMicros 50_000, savingsMicros 45_000
 */
export function summarizeCost(rows: readonly TierRow[], intelligentMean: number | null): CostAnalytics {
  const tiers: CostAnalytics["tiers"] = {};
  const days = new Map<string, CostAnalytics["days"][number]>();
  let requests = 0;
  let cost = 0;
  for (const r of rows) {
    requests += r.requests;
    cost += r.costMicros;
    const t = (tiers[r.tier] ??= { requests: 0, costMicros: 0, share: 0 });
    t.requests += r.requests;
    t.costMicros += r.costMicros;
    const d = days.get(r.day) ?? { day: r.day, requests: 0, costMicros: 0, baselineMicros: null, tiers: {} };
    d.requests += r.requests;
    d.costMicros += r.costMicros;
    d.tiers[r.tier] = (d.tiers[r.tier] ?? 0) + r.requests;
    days.set(r.day, d);
  }
  for (const t of Object.values(tiers)) t.share = requests === 0 ? 0 : t.requests / requests;
  const baseline = (n: number) => (intelligentMean === null ? null : Math.round(n * intelligentMean));
  for (const d of days.values()) d.baselineMicros = baseline(d.requests);
  const baselineMicros = baseline(requests);
  return {
    requests,
    costMicros: cost,
    tiers,
    intelligentMeanMicros: intelligentMean,
    baselineMicros,
    savingsMicros: baselineMicros === null ? null : baselineMicros - cost,
    days: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
  };
}
