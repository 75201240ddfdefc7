/**
 * The `unusual_activity` alert: an agent's last hour compared with its own previous hours, by
 * median and MAD so that one past spike does not hide the next. The method, why it is built this
 * way, and what it cannot see: docs/unusual-activity.md.
 */
import type { Micros } from "../core/money";
import { hourRows } from "../rollups/read";
import { floorHour, HOUR_MS } from "../rollups/write";

export { HOUR_MS };

/** One UTC hour of an agent's traffic, from the D1 `interactions` rows. */
export interface HourStats {
  /** Epoch ms of the hour's start (a multiple of `HOUR_MS`). */
  hour: number;
  requests: number;
  costMicros: Micros;
  /** Interactions whose outcome is `error`. */
  errors: number;
  /** Interactions with at least one denied tool call. */
  denials: number;
}

export type UnusualMetric = "volume" | "cost" | "error_rate" | "denial_rate";

export interface UnusualFinding {
  metric: UnusualMetric;
  /** The hour's value: requests, micro-dollars, or a rate in [0, 1]. */
  value: number;
  /** The median of the baseline hours the metric is judged on (0 without any). */
  baseline: number;
  /** The value was above this. */
  threshold: number;
  /** `baseline`: median + k·spread; `cold_start`: too little history, a fixed threshold (raised by the history there is). */
  basis: "baseline" | "cold_start";
  /** One English sentence naming the metric, the value and the baseline. */
  message: string;
}

export interface UnusualOptions {
  /** How many spreads above the median is unusual. */
  k: number;
  /** Hours before the judged one that form its baseline (`findUnusualActivity`). */
  baselineHours: number;
  /** Fewer baseline hours with traffic than this is a cold start. */
  minBaselineHours: number;
  /** Volume and both rates are only judged in an hour with at least this many requests. */
  minRequests: number;
  /** Cost is only judged in an hour that cost at least this much. */
  minCostMicros: Micros;
  /** Smallest spread of volume, in requests, whatever the MAD says. */
  volumeFloor: number;
  /** Smallest spread of cost, in micro-dollars. */
  costFloorMicros: Micros;
  /** Smallest spread of a rate. */
  rateFloor: number;
  /** Smallest spread as a share of the median, for every metric. */
  relativeFloor: number;
  /** A baseline hour gives a rate only with at least this many requests. */
  rateHourMinRequests: number;
  /** Cold-start thresholds. */
  coldStartRequests: number;
  coldStartCostMicros: Micros;
  coldStartRate: number;
  /** Agents whose baselines are read by one D1 query. */
  agentsPerQuery: number;
}

export const DEFAULT_UNUSUAL_OPTIONS: Readonly<UnusualOptions> = {
  k: 6,
  baselineHours: 7 * 24,
  minBaselineHours: 24,
  minRequests: 20,
  minCostMicros: 500_000,
  volumeFloor: 2,
  costFloorMicros: 50_000,
  rateFloor: 0.05,
  relativeFloor: 0.1,
  rateHourMinRequests: 5,
  coldStartRequests: 1_000,
  coldStartCostMicros: 10_000_000,
  coldStartRate: 0.5,
  agentsPerQuery: 100,
};

/** The defaults, overridden by every option given (an option given as `undefined` keeps its default). */
function withDefaults(opts: Partial<UnusualOptions>): UnusualOptions {
  const given = Object.entries(opts).filter(([, v]) => v !== undefined);
  return { ...DEFAULT_UNUSUAL_OPTIONS, ...Object.fromEntries(given) };
}

/** The consistency constant that makes the MAD estimate a normal distribution's σ. */
const MAD_TO_SIGMA = 1.4826;

/**
 * Compares the hour that just ended with the agent's own baseline (its previous hours, in any
 * order; hours without traffic may be present as zeros). Pure.
 *
 * @example
 * const flat = Array.from({ length: 168 }, (_, i) => ({ hour: i * HOUR_MS, requests: 10, costMicros: 10_000, errors: 0, denials: 0 }));
 * judgeHour({ hour: 168 * HOUR_MS, requests: 100, costMicros: 100_000, errors: 0, denials: 0 }, flat);
 * // [{ metric: "volume", value: 100, baseline: 10, threshold: 22, basis: "baseline", message: "Volume: 100 requests in the hour, against a baseline of 10 an hour (alert above 22)." }]
 */
export function judgeHour(current: HourStats, baseline: readonly HourStats[], opts: Partial<UnusualOptions> = {}): UnusualFinding[] {
  const o = withDefaults(opts);
  // The judged hour had traffic (that is why it is judged), so it is compared with hours that had
  // traffic: counting idle hours as zeros would make every busy hour of an office-hours agent
  // "unusual" (their median is 0).
  const active = baseline.filter((h) => h.requests > 0);
  const rateHours = active.filter((h) => h.requests >= Math.max(1, o.rateHourMinRequests));
  const findings: UnusualFinding[] = [];
  const check = (metric: UnusualMetric, value: number, samples: number[], floor: number, coldStartAt: number) => {
    const verdict = threshold(samples, floor, coldStartAt, o);
    if (value > verdict.threshold) findings.push({ metric, value, ...verdict, message: describe(metric, value, current.requests, samples.length, verdict) });
  };
  if (current.requests >= o.minRequests) {
    check("volume", current.requests, active.map((h) => h.requests), o.volumeFloor, o.coldStartRequests);
  }
  if (current.costMicros >= o.minCostMicros) {
    check("cost", current.costMicros, active.map((h) => h.costMicros), o.costFloorMicros, o.coldStartCostMicros);
  }
  if (current.requests >= o.minRequests) {
    check("error_rate", current.errors / current.requests, rateHours.map((h) => h.errors / h.requests), o.rateFloor, o.coldStartRate);
    check("denial_rate", current.denials / current.requests, rateHours.map((h) => h.denials / h.requests), o.rateFloor, o.coldStartRate);
  }
  return findings;
}

type Verdict = Pick<UnusualFinding, "baseline" | "threshold" | "basis">;

/** median + k·max(MAD·1.4826, floor, relativeFloor·median); with too few samples, at least `coldStartAt`. */
function threshold(samples: number[], floor: number, coldStartAt: number, o: UnusualOptions): Verdict {
  const med = median(samples);
  const spread = Math.max(median(samples.map((x) => Math.abs(x - med))) * MAD_TO_SIGMA, floor, o.relativeFloor * med);
  const robust = med + o.k * spread;
  if (samples.length >= o.minBaselineHours) return { baseline: med, threshold: robust, basis: "baseline" };
  // A few hours of history cannot say what is unusual, but they can say what is usual: they may
  // raise the fixed threshold (a new agent that is busy from its first hour) and never lower it.
  return { baseline: med, threshold: samples.length === 0 ? coldStartAt : Math.max(coldStartAt, robust), basis: "cold_start" };
}

/** The median; 0 for no samples. */
function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const LABELS: Record<UnusualMetric, string> = { volume: "Volume", cost: "Cost", error_rate: "Error rate", denial_rate: "Denial rate" };

function describe(metric: UnusualMetric, value: number, requests: number, hours: number, v: Verdict): string {
  const fmt = metric === "volume" ? count : metric === "cost" ? usd : percent;
  const what = metric === "volume" ? `${count(value)} requests` : metric === "cost" ? usd(value) : `${percent(value)} of ${requests} requests`;
  const head = `${LABELS[metric]}: ${what} in the hour`;
  const usual = metric === "volume" || metric === "cost" ? `${fmt(v.baseline)} an hour` : fmt(v.baseline);
  if (v.basis === "baseline") return `${head}, against a baseline of ${usual} (alert above ${fmt(v.threshold)}).`;
  return `${head}, with too little history for a baseline (${hours} hours, median ${usual}), so the new-agent threshold of ${fmt(v.threshold)} applies.`;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const count = (n: number) => String(round1(n));
const percent = (r: number) => `${round1(r * 100)}%`;
const usd = (micros: number) => `$${(micros / 1_000_000).toFixed(micros > 0 && micros < 10_000 ? 4 : 2)}`;

/**
 * Judges each listed agent that had traffic in the UTC hour that ended at `hourEnd` (rounded down
 * to the hour, so the cron's own time can be passed) against its previous `baselineHours` hours,
 * hours without traffic counting as zeros. Reads the hourly rollups (`agent_hours`), so the
 * agents' hours must be rolled up first (the hourly job does that for its page of agents): one
 * aggregate query per `agentsPerQuery` agents, about one row per agent and active hour. Returns
 * only agents with findings, in the order given.
 *
 * @example
 * // In the hourly job, for a page of agents whose hours were just rolled up:
 * for (const { agentId, hour, findings } of await findUnusualActivity(db, scheduledTime, page)) {
 *   // raise one `unusual_activity` alert per agent and hour
 * }
 */
export async function findUnusualActivity(
  db: D1Database,
  hourEnd: number,
  agentIds: readonly string[],
  opts: Partial<UnusualOptions> = {},
): Promise<Array<{ agentId: string; hour: number; findings: UnusualFinding[] }>> {
  if (!Number.isFinite(hourEnd)) throw new RangeError("findUnusualActivity: hourEnd must be epoch milliseconds");
  const o = withDefaults(opts);
  const end = floorHour(hourEnd);
  const start = end - HOUR_MS;
  const from = start - o.baselineHours * HOUR_MS;
  const found: Array<{ agentId: string; hour: number; findings: UnusualFinding[] }> = [];
  const step = Math.max(1, o.agentsPerQuery);
  for (let i = 0; i < agentIds.length; i += step) {
    const page = agentIds.slice(i, i + step);
    const byAgent = new Map<string, Map<number, HourStats>>();
    for (const r of await hourRows(db, page, from, end)) {
      const hours = byAgent.get(r.agentId) ?? new Map<number, HourStats>();
      hours.set(r.hour, { hour: r.hour, requests: r.requests, costMicros: r.costMicros ?? 0, errors: r.errors ?? 0, denials: r.denials ?? 0 });
      byAgent.set(r.agentId, hours);
    }
    for (const agentId of page) {
      const hours = byAgent.get(agentId);
      const current = hours?.get(start);
      if (!current) continue;
      const baseline: HourStats[] = [];
      for (let h = from; h < start; h += HOUR_MS) baseline.push(hours?.get(h) ?? { hour: h, requests: 0, costMicros: 0, errors: 0, denials: 0 });
      const findings = judgeHour(current, baseline, o);
      if (findings.length > 0) found.push({ agentId, hour: start, findings });
    }
  }
  return found;
}
