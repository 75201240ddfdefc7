import { Hono } from "hono";
import { type ChannelStats, type GroupRow, type PercentileRow, summarizeChannels } from "../channels/analytics";
import { microsToUsd } from "../core/money";
import type { AppEnv } from "../http/context";
import { DEFAULT_ANALYTICS_SPAN_MS, requireAgent, timeRange } from "./common";
import { agentDb } from "../db/shards";

/** Counts, cost and the slowest answer per channel, UTC day (as the cost analytics), tier, outcome and urgency. */
const GROUPS_SQL = `SELECT channel, date(created_at / 1000, 'unixepoch') AS day, tier, outcome, urgency, COUNT(*) AS requests,
  SUM(cost_micros) AS costMicros, MAX(latency_ms) AS maxLatencyMs
  FROM interactions WHERE agent_id = ?1 AND created_at >= ?2 AND created_at <= ?3
  GROUP BY channel, day, tier, outcome, urgency`;

/**
 * Exact nearest-rank percentiles (p50, p95) of the latency of every channel's day, every channel,
 * and all channels. D1 has no percentile function; rather than fetching every latency (unbounded
 * in a long range), the rows are ranked by window functions and only the rows at the ranks come
 * back: at most 2 per (channel, day) plus 10. The rank of percentile p among n rows is the
 * smallest r with r/n >= p/100, i.e. r*100 >= n*p and (r-1)*100 < n*p, in integers. Ties among
 * equal latencies do not matter: they share the value.
 */
const PERCENTILES_SQL = `WITH ranked AS (
  SELECT channel, day, latency_ms,
    ROW_NUMBER() OVER (PARTITION BY channel, day ORDER BY latency_ms) AS dayRank,
    COUNT(*) OVER (PARTITION BY channel, day) AS dayCount,
    ROW_NUMBER() OVER (PARTITION BY channel ORDER BY latency_ms) AS channelRank,
    COUNT(*) OVER (PARTITION BY channel) AS channelCount,
    ROW_NUMBER() OVER (ORDER BY latency_ms) AS allRank,
    COUNT(*) OVER () AS allCount
  FROM (SELECT channel, date(created_at / 1000, 'unixepoch') AS day, latency_ms FROM interactions
        WHERE agent_id = ?1 AND created_at >= ?2 AND created_at <= ?3)
), percentiles(p) AS (VALUES (50), (95))
SELECT channel, day, p AS percentile, latency_ms AS latencyMs FROM ranked, percentiles
  WHERE dayRank * 100 >= dayCount * p AND (dayRank - 1) * 100 < dayCount * p
UNION ALL
SELECT channel, NULL, p, latency_ms FROM ranked, percentiles
  WHERE channelRank * 100 >= channelCount * p AND (channelRank - 1) * 100 < channelCount * p
UNION ALL
SELECT NULL, NULL, p, latency_ms FROM ranked, percentiles
  WHERE allRank * 100 >= allCount * p AND (allRank - 1) * 100 < allCount * p`;

function view({ costMicros, ...stats }: ChannelStats) {
  return { ...stats, costUsd: microsToUsd(costMicros) };
}

export type ChannelReport = Awaited<ReturnType<typeof channelReport>>;

/**
 * Traffic, latency, tiers, outcomes, urgency and cost of an agent per channel over `[from, to]`:
 * the body of `GET /v1/agents/:agentId/channels/analytics`, and what the channels page shows.
 *
 * @example
 * const report = await channelReport(await agentDb(env, agentId), "shop", Date.parse("2026-11-01"), Date.now());
 * report.channels.sms.latencyMs.p95; // the slowest of the fastest 95% of SMS answers, or null
 */
export async function channelReport(db: D1Database, agentId: string, from: number, to: number) {
  // One batch is one transaction: the counts and the percentiles see the same rows.
  const [groups, percentiles] = await db.batch([db.prepare(GROUPS_SQL).bind(agentId, from, to), db.prepare(PERCENTILES_SQL).bind(agentId, from, to)]);
  const summary = summarizeChannels(groups!.results as GroupRow[], percentiles!.results as PercentileRow[]);
  return {
    agentId,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    totals: view(summary.totals),
    channels: Object.fromEntries(
      Object.entries(summary.channels).map(([channel, { days, ...stats }]) => [
        channel,
        { ...view(stats), days: days.map(({ day, ...d }) => ({ day, ...view(d) })) },
      ]),
    ),
  };
}

/** Traffic, latency, tiers, outcomes, urgency and cost of an agent, per channel. */
export const channelAnalyticsRoutes = new Hono<AppEnv>().get("/agents/:agentId/channels/analytics", async (c) => {
  const { agentId } = await requireAgent(c);
  const { from, to } = timeRange(c, DEFAULT_ANALYTICS_SPAN_MS);
  return c.json(await channelReport(await agentDb(c.env, agentId), agentId, from, to));
});
