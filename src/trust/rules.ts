/**
 * Trust rules: measured outcomes move an agent's level. Pure functions; the AgentState object
 * stores the outcomes and the state and calls `evaluateTrust` after each recorded outcome.
 *
 * Semantics (also in docs/trust.md):
 * - Metrics are shares of the outcomes in the window: the outcomes since the last level change,
 *   at most `window.outcomes` of the newest, and only those within `window.duration` when set.
 *   Each change starts a fresh measurement, so one burst of errors is punished once.
 * - `success_rate` is good: `increment` fires when it is at or above `threshold`, `decrement`
 *   when it is below. The other rates are bad: `decrement` fires when the rate is at or above
 *   `threshold`, `increment` when it is at or below.
 * - Rules are checked only when at least `minOutcomes` outcomes were recorded since the last
 *   change, and at most once per `evaluationPeriod`. Increments also wait out `cooldown` after
 *   a change (not after creation); decrements do not wait (safety first).
 * - When rules of both kinds fire, the decrement wins; among rules of one kind the largest
 *   amount applies. One change per evaluation. The level stays in [0, 1].
 */
import type { Outcome } from "../core/types";

export type TrustMetric = "success_rate" | "error_rate" | "denial_rate" | "escalation_rate";

export interface TrustRule {
  metric: TrustMetric;
  threshold: number;
  action: "increment" | "decrement";
  amount: number;
}

/** Shares of the window's outcomes, each in [0, 1]; all 0 for an empty window. */
export type TrustMetrics = Record<TrustMetric, number> & { outcomes: number };

/** Metrics where a higher value is better; every other metric is a failure share. */
const GOOD_METRICS: ReadonlySet<TrustMetric> = new Set(["success_rate"]);

const METRIC_OUTCOME: Record<TrustMetric, Outcome> = {
  success_rate: "success",
  error_rate: "error",
  denial_rate: "denied",
  escalation_rate: "escalated",
};

/**
 * The window's metrics.
 *
 * @example
 * computeMetrics(["success", "success", "error"]).error_rate; // 0.333…
 */
export function computeMetrics(outcomes: readonly Outcome[]): TrustMetrics {
  const n = outcomes.length;
  const share = (o: Outcome) => (n === 0 ? 0 : outcomes.filter((x) => x === o).length / n);
  return {
    outcomes: n,
    success_rate: share(METRIC_OUTCOME.success_rate),
    error_rate: share(METRIC_OUTCOME.error_rate),
    denial_rate: share(METRIC_OUTCOME.denial_rate),
    escalation_rate: share(METRIC_OUTCOME.escalation_rate),
  };
}

/** Whether one rule fires on these metrics (see the module comment for the direction). */
export function ruleFires(rule: TrustRule, metrics: TrustMetrics): boolean {
  const value = metrics[rule.metric];
  const good = GOOD_METRICS.has(rule.metric);
  if (rule.action === "increment") return good ? value >= rule.threshold : value <= rule.threshold;
  return good ? value < rule.threshold : value >= rule.threshold;
}

/** Levels are kept to six decimals so repeated ±0.1 steps land exactly on permission keys. */
export function clampLevel(level: number): number {
  return Math.min(1, Math.max(0, Math.round(level * 1e6) / 1e6));
}

export interface TrustState {
  level: number;
  frozen: boolean;
  /** Why the level is frozen, as the operator said it. */
  frozenReason: string | null;
  /** When the level last changed, ms; null while it is still the initial level. */
  lastChangeAt: number | null;
  /** When the rules were last checked against a full window, ms; null before the first time. */
  lastEvaluatedAt: number | null;
}

export interface TrustPolicy {
  rules: readonly TrustRule[];
  minOutcomes: number;
  cooldownMs: number;
  evaluationPeriodMs: number;
}

export type TrustEvaluation =
  | { kind: "skipped"; reason: "frozen" | "not_enough_outcomes" | "evaluation_period" }
  | { kind: "held"; metrics: TrustMetrics; reason: "no_rule_fired" | "cooldown" | "at_limit" }
  | { kind: "changed"; from: number; to: number; rule: TrustRule; metrics: TrustMetrics };

/**
 * Decides whether the level changes now.
 *
 * @param sinceChange outcomes recorded since the last change (gates `minOutcomes`)
 * @param window the outcomes the metrics are computed over (see the module comment)
 *
 * @example
 * evaluateTrust(state, 20, Array(20).fill("success"), policy, now); // { kind: "changed", from: 0.3, to: 0.4, ... }
 */
export function evaluateTrust(
  state: TrustState,
  sinceChange: number,
  window: readonly Outcome[],
  policy: TrustPolicy,
  now: number,
): TrustEvaluation {
  if (state.frozen) return { kind: "skipped", reason: "frozen" };
  if (sinceChange < policy.minOutcomes || window.length === 0) return { kind: "skipped", reason: "not_enough_outcomes" };
  if (state.lastEvaluatedAt !== null && now - state.lastEvaluatedAt < policy.evaluationPeriodMs) {
    return { kind: "skipped", reason: "evaluation_period" };
  }
  const metrics = computeMetrics(window);
  const fired = policy.rules.filter((r) => ruleFires(r, metrics));
  const largest = (action: TrustRule["action"]) =>
    fired.filter((r) => r.action === action).reduce<TrustRule | undefined>((best, r) => (!best || r.amount > best.amount ? r : best), undefined);

  const decrement = largest("decrement");
  if (decrement) return change(state.level, clampLevel(state.level - decrement.amount), decrement, metrics);
  const increment = largest("increment");
  if (!increment) return { kind: "held", metrics, reason: "no_rule_fired" };
  if (state.lastChangeAt !== null && now - state.lastChangeAt < policy.cooldownMs) return { kind: "held", metrics, reason: "cooldown" };
  return change(state.level, clampLevel(state.level + increment.amount), increment, metrics);
}

function change(from: number, to: number, rule: TrustRule, metrics: TrustMetrics): TrustEvaluation {
  if (to === from) return { kind: "held", metrics, reason: "at_limit" };
  return { kind: "changed", from, to, rule, metrics };
}
