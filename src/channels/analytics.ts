/**
 * Channel analytics from the D1 `interactions` rows: per channel, how much traffic, how fast
 * it was answered, by which tier, with which outcome, how urgent, and at what cost.
 */
import type { Micros } from "../core/money";
import type { ChannelType, Outcome, Tier } from "../core/types";

export const CHANNELS = ["http", "slack", "email", "sms"] as const satisfies readonly ChannelType[];
/** Every tier and outcome an interaction row can record, in the order reports list them. */
export const TIERS = ["rule", "cache", "similar", "pattern", "intelligent", "fallback"] as const satisfies readonly Tier[];
export const OUTCOMES = ["success", "error", "denied", "escalated"] as const satisfies readonly Outcome[];

/** One group of the aggregate query: rows sharing channel, UTC day, tier, outcome and urgency. */
export interface GroupRow {
  channel: string;
  day: string;
  tier: string;
  outcome: string;
  urgency: string;
  requests: number;
  costMicros: Micros;
  maxLatencyMs: number;
}

/**
 * The latency at one nearest-rank percentile of a scope: a channel's day (`channel` and `day`),
 * a channel over the range (`day` null), or every channel over the range (both null).
 */
export interface PercentileRow {
  channel: string | null;
  day: string | null;
  percentile: number;
  latencyMs: number;
}

/**
 * Traffic of one scope. Latencies are milliseconds from the channel's receipt to the answer;
 * `p50` and `p95` are nearest-rank percentiles (the smallest latency with at least p% of the
 * scope's requests at or below it), always a latency that was measured. With no requests they
 * are null: no latency was measured.
 */
export interface ChannelStats {
  requests: number;
  latencyMs: { p50: number | null; p95: number | null; max: number | null };
  tiers: Record<Tier, number>;
  outcomes: Record<Outcome, number>;
  urgent: { high: number; critical: number };
  costMicros: Micros;
}

export interface ChannelAnalytics {
  totals: ChannelStats;
  /** Every channel, with zeros when it had no traffic; `days` only lists days with traffic. */
  channels: Record<string, ChannelStats & { days: Array<ChannelStats & { day: string }> }>;
}

/**
 * Empty stats for a scope without traffic.
 *
 * @example
 * emptyStats().latencyMs; // { p50: null, p95: null, max: null }
 */
export function emptyStats(): ChannelStats {
  return {
    requests: 0,
    latencyMs: { p50: null, p95: null, max: null },
    tiers: Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<Tier, number>,
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
    urgent: { high: 0, critical: 0 },
    costMicros: 0,
  };
}

type DayStats = ChannelStats & { day: string };
type ChannelSeries = ChannelStats & { days: DayStats[] };

function add(stats: ChannelStats, row: GroupRow): void {
  stats.requests += row.requests;
  stats.costMicros += row.costMicros;
  stats.latencyMs.max = Math.max(stats.latencyMs.max ?? 0, row.maxLatencyMs);
  if (Object.hasOwn(stats.tiers, row.tier)) stats.tiers[row.tier as Tier] += row.requests;
  if (Object.hasOwn(stats.outcomes, row.outcome)) stats.outcomes[row.outcome as Outcome] += row.requests;
  if (row.urgency === "high" || row.urgency === "critical") stats.urgent[row.urgency] += row.requests;
}

function setPercentile(stats: ChannelStats | undefined, row: PercentileRow): void {
  if (!stats) return;
  if (row.percentile === 50) stats.latencyMs.p50 = row.latencyMs;
  if (row.percentile === 95) stats.latencyMs.p95 = row.latencyMs;
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = create()));
  return value;
}

/**
 * Builds the totals, the per-channel stats and each channel's per-day series from the grouped
 * counts and the percentile rows (which the query computes, since D1 has no percentile function).
 *
 * @example
 * summarizeChannels(
 *   [{ channel: "sms", day: "2026-11-25", tier: "rule", outcome: "success", urgency: "high", requests: 2, costMicros: 0, maxLatencyMs: 90 }],
 *   [{ channel: "sms", day: null, percentile: 50, latencyMs: 40 }, { channel: "sms", day: null, percentile: 95, latencyMs: 90 }],
 * ).channels.sms; // requests 2, latencyMs { p50: 40, p95: 90, max: 90 }, urgent { high: 2, critical: 0 }, days: [{ day: "2026-11-25", … }]
 */
export function summarizeChannels(groups: readonly GroupRow[], percentiles: readonly PercentileRow[]): ChannelAnalytics {
  const totals = emptyStats();
  const newSeries = (): ChannelSeries => ({ ...emptyStats(), days: [] });
  const channels = new Map<string, ChannelSeries>(CHANNELS.map((channel) => [channel, newSeries()]));
  const days = new Map<string, Map<string, DayStats>>();
  for (const row of groups) {
    add(totals, row);
    add(getOrCreate(channels, row.channel, newSeries), row);
    const byDay = getOrCreate(days, row.channel, () => new Map<string, DayStats>());
    add(getOrCreate(byDay, row.day, () => ({ day: row.day, ...emptyStats() })), row);
  }
  for (const row of percentiles) {
    if (row.channel === null) setPercentile(totals, row);
    else if (row.day === null) setPercentile(channels.get(row.channel), row);
    else setPercentile(days.get(row.channel)?.get(row.day), row);
  }
  for (const [channel, byDay] of days) {
    channels.get(channel)!.days = [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
  }
  return { totals, channels: Object.fromEntries(channels) };
}
