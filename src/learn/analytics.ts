/**
 * Learning analytics for the dashboard: each pattern's status and what it did in a time range
 * (answers given, model answers compared with it and how many agreed, negative feedback, what
 * it saved at the agent's mean model cost), and the share of the agent's messages each tier
 * answered per day.
 */
import { microsToUsd } from "../core/money";

export interface PatternAnalytics {
  id: string;
  status: string;
  served: number;
  shadow: number;
  /** Share of compared model answers that said what the pattern says; null before any. */
  agreement: number | null;
  negativeFeedback: number;
  savingsUsd: number | null;
}

export interface LearningAnalytics {
  patterns: PatternAnalytics[];
  byStatus: Record<string, number>;
  served: number;
  savingsUsd: number | null;
  /** Mean cost of a model answer the savings are priced at; null when none was measured. */
  intelligentMeanUsd: number | null;
  days: Array<{ day: string; requests: number; shares: Record<string, number> }>;
}

export async function learningAnalytics(db: D1Database, agentId: string, from: number, to: number): Promise<LearningAnalytics> {
  const [patterns, samples, mean, tiers] = await db.batch([
    db.prepare("SELECT id, status FROM patterns WHERE agent_id = ? ORDER BY examples DESC, id LIMIT 1000").bind(agentId),
    db
      .prepare(
        "SELECT pattern_id, kind, COUNT(*) AS n, SUM(error) AS errors FROM pattern_samples WHERE agent_id = ? AND at >= ? AND at <= ? GROUP BY pattern_id, kind",
      )
      .bind(agentId, from, to),
    db.prepare("SELECT AVG(cost_micros) AS mean FROM interactions WHERE agent_id = ? AND tier = 'intelligent'").bind(agentId),
    db
      .prepare(
        "SELECT date(created_at / 1000, 'unixepoch') AS day, tier, COUNT(*) AS n FROM interactions WHERE agent_id = ? AND created_at >= ? AND created_at <= ? GROUP BY day, tier ORDER BY day",
      )
      .bind(agentId, from, to),
  ]);
  const meanMicros = (mean!.results[0] as { mean: number | null } | undefined)?.mean ?? null;
  const counts = new Map<string, { served: number; shadow: number; disagreed: number; feedback: number }>();
  for (const s of samples!.results as Array<{ pattern_id: string; kind: string; n: number; errors: number }>) {
    const c = counts.get(s.pattern_id) ?? { served: 0, shadow: 0, disagreed: 0, feedback: 0 };
    if (s.kind === "served") c.served = s.n;
    else if (s.kind === "shadow") [c.shadow, c.disagreed] = [s.n, s.errors];
    else c.feedback = s.n;
    counts.set(s.pattern_id, c);
  }
  const usd = (micros: number) => (meanMicros === null ? null : microsToUsd(Math.round(micros)));
  const rows = (patterns!.results as Array<{ id: string; status: string }>).map((p): PatternAnalytics => {
    const c = counts.get(p.id) ?? { served: 0, shadow: 0, disagreed: 0, feedback: 0 };
    return {
      id: p.id,
      status: p.status,
      served: c.served,
      shadow: c.shadow,
      agreement: c.shadow ? Math.round((1 - c.disagreed / c.shadow) * 10_000) / 10_000 : null,
      negativeFeedback: c.feedback,
      savingsUsd: usd(c.served * (meanMicros ?? 0)),
    };
  });
  const byStatus: Record<string, number> = {};
  for (const p of rows) byStatus[p.status] = (byStatus[p.status] ?? 0) + 1;
  const served = rows.reduce((s, p) => s + p.served, 0);
  const days = new Map<string, Record<string, number>>();
  for (const t of tiers!.results as Array<{ day: string; tier: string; n: number }>) days.set(t.day, { ...days.get(t.day), [t.tier]: t.n });
  return {
    patterns: rows,
    byStatus,
    served,
    savingsUsd: usd(served * (meanMicros ?? 0)),
    intelligentMeanUsd: meanMicros === null ? null : microsToUsd(Math.round(meanMicros)),
    days: [...days].map(([day, byTier]) => {
      const requests = Object.values(byTier).reduce((a, b) => a + b, 0);
      return { day, requests, shares: Object.fromEntries(Object.entries(byTier).map(([tier, n]) => [tier, Math.round((n / requests) * 10_000) / 10_000])) };
    }),
  };
}
