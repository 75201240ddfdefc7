import { describe, expect, it } from "vitest";
import { prng } from "../support/prng";
import { SEED_PERMISSIONS } from "../support/seed";
import type { Outcome } from "../../src/core/types";
import { globsForLevel } from "../../src/trust/permissions";
import {
  clampLevel,
  computeMetrics,
  evaluateTrust,
  ruleFires,
  type TrustEvaluation,
  type TrustMetric,
  type TrustMetrics,
  type TrustPolicy,
  type TrustRule,
  type TrustState,
} from "../../src/trust/rules";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2025, 0, 15, 12);

const OUTCOMES = ["success", "error", "denied", "escalated"] as const satisfies readonly Outcome[];
const METRICS = ["success_rate", "error_rate", "denial_rate", "escalation_rate"] as const satisfies readonly TrustMetric[];
const FAILURE_METRICS = ["error_rate", "denial_rate", "escalation_rate"] as const satisfies readonly TrustMetric[];

/** The seed's rules (also the config default). */
const SUCCESS_UP: TrustRule = { metric: "success_rate", threshold: 0.95, action: "increment", amount: 0.1 };
const ERRORS_DOWN: TrustRule = { metric: "error_rate", threshold: 0.1, action: "decrement", amount: 0.2 };
const SEED_RULES = [SUCCESS_UP, ERRORS_DOWN];

/** The seed's policy: 20 outcomes, a one-hour cooldown, one evaluation a minute. */
const SEED_POLICY: TrustPolicy = { rules: SEED_RULES, minOutcomes: 20, cooldownMs: HOUR, evaluationPeriodMs: MINUTE };

/** A level that last changed two hours ago (past the cooldown) and was not evaluated since. */
function trustState(overrides: Partial<TrustState> = {}): TrustState {
  return { level: 0.3, frozen: false, frozenReason: null, lastChangeAt: NOW - 2 * HOUR, lastEvaluatedAt: null, ...overrides };
}

/** A window with these many outcomes of each kind, interleaved so order cannot matter. */
function outcomes(counts: Partial<Record<Outcome, number>>): Outcome[] {
  const left = { ...counts };
  const result: Outcome[] = [];
  for (let more = true; more; ) {
    more = false;
    for (const o of OUTCOMES) {
      if ((left[o] ?? 0) > 0) {
        result.push(o);
        left[o] = (left[o] ?? 0) - 1;
        more = true;
      }
    }
  }
  return result;
}

/** Metrics where one share has this value and the others are 0 (ruleFires reads one metric). */
function metricsWith(metric: TrustMetric, value: number): TrustMetrics {
  return { outcomes: 100, success_rate: 0, error_rate: 0, denial_rate: 0, escalation_rate: 0, [metric]: value };
}

function levelAfter(state: TrustState, evaluation: TrustEvaluation): number {
  return evaluation.kind === "changed" ? evaluation.to : state.level;
}

/** At most six decimals and no float noise, the way people write levels. */
function isSixDecimalLevel(level: number): boolean {
  return /^(?:0|1)(?:\.\d{1,6})?$/.test(String(level)) && Math.round(level * 1e6) / 1e6 === level;
}

describe("computeMetrics", () => {
  it("reports zero outcomes and every share as 0 for an empty window", () => {
    expect(computeMetrics([])).toEqual({ outcomes: 0, success_rate: 0, error_rate: 0, denial_rate: 0, escalation_rate: 0 });
  });

  it("reports each outcome's share of a mixed window", () => {
    const metrics = computeMetrics(outcomes({ success: 5, error: 3, denied: 1, escalated: 1 }));
    expect(metrics).toEqual({ outcomes: 10, success_rate: 0.5, error_rate: 0.3, denial_rate: 0.1, escalation_rate: 0.1 });
  });

  it("gives thirds for the documented example", () => {
    const metrics = computeMetrics(["success", "success", "error"]);
    expect(metrics.outcomes).toBe(3);
    expect(metrics.success_rate).toBe(2 / 3);
    expect(metrics.error_rate).toBe(1 / 3);
  });

  it.each(OUTCOMES.map((o, i) => [o, METRICS[i]!] as const))("gives a window of only %s a %s of 1 and every other share 0", (outcome, metric) => {
    const metrics = computeMetrics(Array<Outcome>(7).fill(outcome));
    expect(metrics.outcomes).toBe(7);
    for (const m of METRICS) expect(metrics[m], m).toBe(m === metric ? 1 : 0);
  });

  it("does not depend on the order of the window", () => {
    const ordered: Outcome[] = ["success", "success", "success", "error", "denied", "escalated", "escalated"];
    const shuffled: Outcome[] = ["escalated", "success", "denied", "success", "escalated", "error", "success"];
    expect(computeMetrics(shuffled)).toEqual(computeMetrics(ordered));
  });

  it("gives shares that are each count / n and sum to 1 for any non-empty window", () => {
    const rand = prng(0x5eed);
    for (let i = 0; i < 2000; i++) {
      const window = Array.from({ length: 1 + Math.floor(rand() * 150) }, () => OUTCOMES[Math.floor(rand() * 4)]!);
      const metrics = computeMetrics(window);
      expect(metrics.outcomes).toBe(window.length);
      OUTCOMES.forEach((o, k) => {
        expect(metrics[METRICS[k]!]).toBe(window.filter((x) => x === o).length / window.length);
      });
      const sum = METRICS.reduce((total, m) => total + metrics[m], 0);
      expect(Math.abs(sum - 1), `sum ${sum} for ${window.length} outcomes`).toBeLessThan(1e-12);
    }
  });
});

describe("ruleFires", () => {
  const threshold = 0.5;
  const at = 0.5;
  const above = 0.5 + 1e-9;
  const below = 0.5 - 1e-9;
  const rule = (metric: TrustMetric, action: TrustRule["action"]): TrustRule => ({ metric, threshold, action, amount: 0.1 });

  describe("success_rate, where higher is better", () => {
    it("increments when the rate is at or above the threshold, not below it", () => {
      expect(ruleFires(rule("success_rate", "increment"), metricsWith("success_rate", at))).toBe(true);
      expect(ruleFires(rule("success_rate", "increment"), metricsWith("success_rate", above))).toBe(true);
      expect(ruleFires(rule("success_rate", "increment"), metricsWith("success_rate", below))).toBe(false);
    });

    it("decrements only when the rate is below the threshold", () => {
      expect(ruleFires(rule("success_rate", "decrement"), metricsWith("success_rate", at))).toBe(false);
      expect(ruleFires(rule("success_rate", "decrement"), metricsWith("success_rate", above))).toBe(false);
      expect(ruleFires(rule("success_rate", "decrement"), metricsWith("success_rate", below))).toBe(true);
    });
  });

  describe.each(FAILURE_METRICS)("%s, where higher is worse", (metric) => {
    it("decrements when the rate is at or above the threshold, not below it", () => {
      expect(ruleFires(rule(metric, "decrement"), metricsWith(metric, at))).toBe(true);
      expect(ruleFires(rule(metric, "decrement"), metricsWith(metric, above))).toBe(true);
      expect(ruleFires(rule(metric, "decrement"), metricsWith(metric, below))).toBe(false);
    });

    it("increments when the rate is at or below the threshold, not above it", () => {
      expect(ruleFires(rule(metric, "increment"), metricsWith(metric, at))).toBe(true);
      expect(ruleFires(rule(metric, "increment"), metricsWith(metric, below))).toBe(true);
      expect(ruleFires(rule(metric, "increment"), metricsWith(metric, above))).toBe(false);
    });

    it("reads only its own metric", () => {
      const others = { outcomes: 10, success_rate: 1, error_rate: 1, denial_rate: 1, escalation_rate: 1, [metric]: 0 };
      expect(ruleFires(rule(metric, "decrement"), others)).toBe(false);
      expect(ruleFires(rule(metric, "increment"), others)).toBe(true);
    });
  });

  it("meets the seed's 0.95 success threshold with 19 successes in 20, not with 18", () => {
    expect(ruleFires(SUCCESS_UP, computeMetrics(outcomes({ success: 19, error: 1 })))).toBe(true);
    expect(ruleFires(SUCCESS_UP, computeMetrics(outcomes({ success: 18, error: 2 })))).toBe(false);
  });

  it("meets the seed's 0.1 error threshold with 2 errors in 20, not with 1", () => {
    expect(ruleFires(ERRORS_DOWN, computeMetrics(outcomes({ success: 18, error: 2 })))).toBe(true);
    expect(ruleFires(ERRORS_DOWN, computeMetrics(outcomes({ success: 19, error: 1 })))).toBe(false);
  });

  it("fires an increment on a failure share on a window without that outcome, even one of only other failures", () => {
    // Why a rule set meant to reward good work should increment on success_rate: a denial_rate
    // increment reads "few denials", which a window of nothing but errors satisfies.
    const onlyErrors = computeMetrics(Array<Outcome>(20).fill("error"));
    expect(ruleFires({ metric: "denial_rate", threshold: 0.05, action: "increment", amount: 0.1 }, onlyErrors)).toBe(true);
    expect(ruleFires({ metric: "success_rate", threshold: 0.05, action: "increment", amount: 0.1 }, onlyErrors)).toBe(false);
  });

  it("always fires a success_rate increment at threshold 0 and a failure decrement at threshold 0", () => {
    for (const outcome of OUTCOMES) {
      const metrics = computeMetrics(Array<Outcome>(5).fill(outcome));
      expect(ruleFires({ metric: "success_rate", threshold: 0, action: "increment", amount: 0.1 }, metrics), outcome).toBe(true);
      expect(ruleFires({ metric: "denial_rate", threshold: 0, action: "decrement", amount: 0.1 }, metrics), outcome).toBe(true);
      expect(ruleFires({ metric: "success_rate", threshold: 0, action: "decrement", amount: 0.1 }, metrics), outcome).toBe(false);
    }
  });
});

describe("clampLevel", () => {
  it("keeps a level in [0, 1] with at most six decimals as it is", () => {
    for (const level of [0, 0.000001, 0.3, 0.123456, 0.999999, 1]) expect(clampLevel(level)).toBe(level);
  });

  it("rounds to six decimals", () => {
    expect(clampLevel(0.1234564)).toBe(0.123456);
    expect(clampLevel(0.1234566)).toBe(0.123457);
    expect(clampLevel(0.0000001)).toBe(0);
  });

  it("removes the float noise of adding and subtracting tenths", () => {
    expect(clampLevel(0.1 + 0.2)).toBe(0.3);
    expect(clampLevel(0.7 + 0.1)).toBe(0.8);
    expect(clampLevel(0.8 - 0.2)).toBe(0.6);
    expect(clampLevel(0.3 - 0.2)).toBe(0.1);
  });

  it("clamps below 0 to 0 (not -0) and above 1 to 1", () => {
    expect(clampLevel(-0.2)).toBe(0);
    expect(clampLevel(-1e-9)).toBe(0);
    expect(clampLevel(-Infinity)).toBe(0);
    expect(clampLevel(1.1)).toBe(1);
    expect(clampLevel(1.0000004)).toBe(1);
    expect(clampLevel(Infinity)).toBe(1);
  });

  it("returns a six-decimal level in [0, 1] within half a millionth of any in-range input, and is idempotent", () => {
    const rand = prng(0xc1a);
    for (let i = 0; i < 5000; i++) {
      const input = rand() * 3 - 1;
      const level = clampLevel(input);
      expect(isSixDecimalLevel(level), `${input} → ${level}`).toBe(true);
      expect(clampLevel(level)).toBe(level);
      if (input >= 0 && input <= 1) expect(Math.abs(level - input)).toBeLessThanOrEqual(5e-7 + 1e-15);
      if (input < 0) expect(level).toBe(0);
      if (input > 1) expect(level).toBe(1);
    }
  });
});

describe("evaluateTrust with the seed's rules and policy", () => {
  it("raises 0.3 to exactly 0.4 after 20 successes", () => {
    const window = outcomes({ success: 20 });
    const result = evaluateTrust(trustState({ level: 0.3 }), 20, window, SEED_POLICY, NOW);
    expect(result).toEqual({ kind: "changed", from: 0.3, to: 0.4, rule: SUCCESS_UP, metrics: computeMetrics(window) });
    expect(result.kind === "changed" && result.to).toBe(0.4);
  });

  it("still raises the level with 19 successes and 1 error, which is under the error threshold", () => {
    const result = evaluateTrust(trustState({ level: 0.3 }), 20, outcomes({ success: 19, error: 1 }), SEED_POLICY, NOW);
    expect(result).toMatchObject({ kind: "changed", from: 0.3, to: 0.4, rule: SUCCESS_UP });
  });

  it("lowers 0.3 to exactly 0.1 when 2 of 20 outcomes are errors", () => {
    const window = outcomes({ success: 18, error: 2 });
    const result = evaluateTrust(trustState({ level: 0.3 }), 20, window, SEED_POLICY, NOW);
    expect(result).toEqual({ kind: "changed", from: 0.3, to: 0.1, rule: ERRORS_DOWN, metrics: computeMetrics(window) });
  });

  it("holds with no_rule_fired when the window is neither good nor bad enough", () => {
    const window = outcomes({ success: 18, error: 1, denied: 1 });
    const result = evaluateTrust(trustState(), 20, window, SEED_POLICY, NOW);
    expect(result).toEqual({ kind: "held", metrics: computeMetrics(window), reason: "no_rule_fired" });
  });

  it("skips with not_enough_outcomes after 19 outcomes since the last change", () => {
    expect(evaluateTrust(trustState(), 19, outcomes({ success: 19 }), SEED_POLICY, NOW)).toEqual({ kind: "skipped", reason: "not_enough_outcomes" });
  });

  it("counts minOutcomes from the outcomes since the last change, not the window's length", () => {
    expect(evaluateTrust(trustState(), 19, outcomes({ success: 100 }), SEED_POLICY, NOW)).toEqual({ kind: "skipped", reason: "not_enough_outcomes" });
    expect(evaluateTrust(trustState(), 20, outcomes({ success: 5 }), SEED_POLICY, NOW)).toMatchObject({ kind: "changed", to: 0.4 });
  });

  it("skips an empty window (every outcome older than the window's duration) even with enough outcomes", () => {
    expect(evaluateTrust(trustState(), 50, [], SEED_POLICY, NOW)).toEqual({ kind: "skipped", reason: "not_enough_outcomes" });
  });

  it("skips a frozen level whatever the window says, before any other reason", () => {
    const frozen = trustState({ frozen: true, frozenReason: "incident review", lastEvaluatedAt: NOW - 1 });
    expect(evaluateTrust(frozen, 50, outcomes({ error: 50 }), SEED_POLICY, NOW)).toEqual({ kind: "skipped", reason: "frozen" });
    expect(evaluateTrust(frozen, 0, [], SEED_POLICY, NOW)).toEqual({ kind: "skipped", reason: "frozen" });
  });

  it("skips within the evaluation period of the last evaluation and evaluates once it has passed", () => {
    const window = outcomes({ success: 20 });
    const inside = trustState({ lastEvaluatedAt: NOW - (MINUTE - 1) });
    expect(evaluateTrust(inside, 20, window, SEED_POLICY, NOW)).toEqual({ kind: "skipped", reason: "evaluation_period" });
    const justPast = trustState({ lastEvaluatedAt: NOW - MINUTE });
    expect(evaluateTrust(justPast, 20, window, SEED_POLICY, NOW)).toMatchObject({ kind: "changed", to: 0.4 });
  });

  it("skips even a decrement within the evaluation period", () => {
    const state = trustState({ lastEvaluatedAt: NOW - 1000 });
    expect(evaluateTrust(state, 20, outcomes({ error: 20 }), SEED_POLICY, NOW)).toEqual({ kind: "skipped", reason: "evaluation_period" });
  });

  it("holds an increment during the cooldown after a change and applies it once the cooldown has passed", () => {
    const window = outcomes({ success: 20 });
    const cooling = trustState({ lastChangeAt: NOW - (HOUR - 1) });
    expect(evaluateTrust(cooling, 20, window, SEED_POLICY, NOW)).toEqual({ kind: "held", metrics: computeMetrics(window), reason: "cooldown" });
    const cooled = trustState({ lastChangeAt: NOW - HOUR });
    expect(evaluateTrust(cooled, 20, window, SEED_POLICY, NOW)).toMatchObject({ kind: "changed", from: 0.3, to: 0.4 });
  });

  it("still lowers the level during the cooldown, because decrements do not wait", () => {
    const justChanged = trustState({ level: 0.5, lastChangeAt: NOW - 1 });
    const result = evaluateTrust(justChanged, 20, outcomes({ success: 15, error: 5 }), SEED_POLICY, NOW);
    expect(result).toMatchObject({ kind: "changed", from: 0.5, to: 0.3, rule: ERRORS_DOWN });
  });

  it("does not make the first increment from the initial level wait for a cooldown", () => {
    const initial = trustState({ lastChangeAt: null });
    expect(evaluateTrust(initial, 20, outcomes({ success: 20 }), SEED_POLICY, NOW)).toMatchObject({ kind: "changed", from: 0.3, to: 0.4 });
  });

  it("reports no_rule_fired, not cooldown, during the cooldown when no increment fired", () => {
    const cooling = trustState({ lastChangeAt: NOW - 1 });
    expect(evaluateTrust(cooling, 20, outcomes({ success: 18, denied: 2 }), SEED_POLICY, NOW)).toMatchObject({ kind: "held", reason: "no_rule_fired" });
  });

  it("holds at_limit when an increment fires at level 1", () => {
    const window = outcomes({ success: 20 });
    expect(evaluateTrust(trustState({ level: 1 }), 20, window, SEED_POLICY, NOW)).toEqual({ kind: "held", metrics: computeMetrics(window), reason: "at_limit" });
  });

  it("holds at_limit when a decrement fires at level 0", () => {
    expect(evaluateTrust(trustState({ level: 0 }), 20, outcomes({ error: 20 }), SEED_POLICY, NOW)).toMatchObject({ kind: "held", reason: "at_limit" });
  });

  it("clamps a 0.2 decrement from 0.1 to 0", () => {
    const result = evaluateTrust(trustState({ level: 0.1 }), 20, outcomes({ error: 20 }), SEED_POLICY, NOW);
    expect(result).toMatchObject({ kind: "changed", from: 0.1, to: 0, rule: ERRORS_DOWN });
    expect(result.kind === "changed" && result.to).toBe(0);
  });

  it("clamps a 0.1 increment from 0.95 to 1", () => {
    expect(evaluateTrust(trustState({ level: 0.95 }), 20, outcomes({ success: 20 }), SEED_POLICY, NOW)).toMatchObject({ kind: "changed", from: 0.95, to: 1 });
  });

  /** Applies one full window per hour, each change restarting the measurement, as AgentState does. */
  function walk(from: number, window: readonly Outcome[], steps: number): number[] {
    let state = trustState({ level: from });
    let now = NOW;
    const levels: number[] = [];
    for (let i = 0; i < steps; i++) {
      const result = evaluateTrust(state, window.length, window, SEED_POLICY, now);
      if (result.kind !== "changed") throw new Error(`step ${i} from ${state.level}: ${JSON.stringify(result)}`);
      levels.push(result.to);
      state = { ...state, level: result.to, lastChangeAt: now, lastEvaluatedAt: now };
      now += HOUR;
    }
    return levels;
  }

  it("walks 0.3 → 0.4 → 0.5 by repeated +0.1, landing exactly on the 0.5 key that grants Write", () => {
    const levels = walk(0.3, outcomes({ success: 20 }), 2);
    expect(levels).toEqual([0.4, 0.5]);
    expect(levels[1]).toBe(0.5);
    expect(globsForLevel(levels[1]!, SEED_PERMISSIONS)).toContain("Write");
  });

  it("walks from 0 to 1 by +0.1 landing on each tenth exactly, where plain addition would drift", () => {
    expect(walk(0, outcomes({ success: 20 }), 10)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    // Without rounding, the third step would be 0.30000000000000004 and the eighth 0.7999999999999999.
    expect(0.1 + 0.1 + 0.1).not.toBe(0.3);
  });

  it("walks from 1 to 0 by -0.2 landing on each step exactly", () => {
    expect(walk(1, outcomes({ error: 20 }), 5)).toEqual([0.8, 0.6, 0.4, 0.2, 0]);
  });
});

describe("evaluateTrust when several rules fire", () => {
  const policy = (rules: TrustRule[]): TrustPolicy => ({ ...SEED_POLICY, rules });

  it("applies the decrement when an increment and a decrement both fire, even if the increment is larger", () => {
    // 0.95 success and 0.1 errors cannot both hold, so the increment reads "few denials".
    const fewDenials: TrustRule = { metric: "denial_rate", threshold: 0.5, action: "increment", amount: 0.3 };
    const someErrors: TrustRule = { metric: "error_rate", threshold: 0.1, action: "decrement", amount: 0.1 };
    const window = outcomes({ success: 18, error: 2 });
    expect(ruleFires(fewDenials, computeMetrics(window))).toBe(true);
    const result = evaluateTrust(trustState({ level: 0.3 }), 20, window, policy([fewDenials, someErrors]), NOW);
    expect(result).toMatchObject({ kind: "changed", from: 0.3, to: 0.2, rule: someErrors });
  });

  it("applies only the largest amount when two increments fire, not their sum", () => {
    const small: TrustRule = { metric: "success_rate", threshold: 0.9, action: "increment", amount: 0.1 };
    const large: TrustRule = { metric: "denial_rate", threshold: 0.05, action: "increment", amount: 0.25 };
    const smallest: TrustRule = { metric: "success_rate", threshold: 0.95, action: "increment", amount: 0.05 };
    const result = evaluateTrust(trustState({ level: 0.3 }), 20, outcomes({ success: 20 }), policy([small, large, smallest]), NOW);
    expect(result).toMatchObject({ kind: "changed", from: 0.3, to: 0.55, rule: large });
  });

  it("applies only the largest amount when two decrements fire", () => {
    const errors: TrustRule = { metric: "error_rate", threshold: 0.1, action: "decrement", amount: 0.1 };
    const lowSuccess: TrustRule = { metric: "success_rate", threshold: 0.9, action: "decrement", amount: 0.3 };
    const result = evaluateTrust(trustState({ level: 0.6 }), 20, outcomes({ success: 15, error: 5 }), policy([errors, lowSuccess]), NOW);
    expect(result).toMatchObject({ kind: "changed", from: 0.6, to: 0.3, rule: lowSuccess });
  });

  it("ignores a larger rule that did not fire", () => {
    const fired: TrustRule = { metric: "success_rate", threshold: 0.9, action: "increment", amount: 0.1 };
    const notFired: TrustRule = { metric: "escalation_rate", threshold: 0.5, action: "decrement", amount: 0.9 };
    const result = evaluateTrust(trustState({ level: 0.3 }), 20, outcomes({ success: 19, escalated: 1 }), policy([notFired, fired]), NOW);
    expect(result).toMatchObject({ kind: "changed", to: 0.4, rule: fired });
  });

  it("holds with no_rule_fired when there are no rules", () => {
    expect(evaluateTrust(trustState(), 20, outcomes({ error: 20 }), policy([]), NOW)).toMatchObject({ kind: "held", reason: "no_rule_fired" });
  });
});

describe("evaluateTrust properties over random rules, levels, windows and timing", () => {
  const RUNS = 5000;

  function pick<T>(rand: () => number, items: readonly T[]): T {
    return items[Math.floor(rand() * items.length)]!;
  }

  /** A stored level: six decimals, with the ends and the tenths over-represented. */
  function randomLevel(rand: () => number): number {
    const r = rand();
    if (r < 0.1) return 0;
    if (r < 0.2) return 1;
    if (r < 0.5) return Math.floor(rand() * 11) / 10;
    return clampLevel(rand());
  }

  /** A threshold in [0, 1] (or (0, 1] when `positive`), often on a twentieth so shares meet it exactly. */
  function randomThreshold(rand: () => number, positive = false): number {
    const t = rand() < 0.5 ? Math.floor(rand() * 21) / 20 : rand();
    return positive && t === 0 ? 0.05 : t;
  }

  function randomRule(rand: () => number, metrics: readonly TrustMetric[] = METRICS, action?: TrustRule["action"]): TrustRule {
    return {
      metric: pick(rand, metrics),
      threshold: randomThreshold(rand),
      action: action ?? (rand() < 0.5 ? "increment" : "decrement"),
      amount: rand() < 0.5 ? pick(rand, [0.05, 0.1, 0.2, 0.25, 0.5, 1]) : 1 - rand(),
    };
  }

  function randomWindow(rand: () => number, maxLength = 60): Outcome[] {
    // A bias per window so some windows are nearly all successes and some nearly all failures.
    const successShare = rand();
    return Array.from({ length: Math.floor(rand() * (maxLength + 1)) }, () => (rand() < successShare ? "success" : pick(rand, ["error", "denied", "escalated"] as const)));
  }

  /** State timing and a policy near the boundaries: sometimes inside the cooldown or the evaluation period. */
  function randomCase(rand: () => number, rules: readonly TrustRule[]) {
    const policy: TrustPolicy = {
      rules,
      minOutcomes: 1 + Math.floor(rand() * 30),
      cooldownMs: rand() < 0.2 ? 0 : Math.floor(rand() * 2 * HOUR),
      evaluationPeriodMs: 1 + Math.floor(rand() * 2 * MINUTE),
    };
    const state: TrustState = {
      level: randomLevel(rand),
      frozen: rand() < 0.1,
      frozenReason: null,
      lastChangeAt: rand() < 0.2 ? null : NOW - Math.floor(rand() * 3 * HOUR),
      lastEvaluatedAt: rand() < 0.4 ? null : NOW - Math.floor(rand() * 3 * MINUTE),
    };
    const window = randomWindow(rand);
    const sinceChange = rand() < 0.7 ? window.length : Math.floor(rand() * 60);
    return { policy, state, window, sinceChange };
  }

  function randomRules(rand: () => number): TrustRule[] {
    return Array.from({ length: Math.floor(rand() * 5) }, () => randomRule(rand));
  }

  it("always leaves the level in [0, 1] with at most six decimals", () => {
    const rand = prng(1);
    let changed = 0;
    for (let i = 0; i < RUNS; i++) {
      const { policy, state, window, sinceChange } = randomCase(rand, randomRules(rand));
      const result = evaluateTrust(state, sinceChange, window, policy, NOW);
      const level = levelAfter(state, result);
      if (result.kind === "changed") changed += 1;
      expect(isSixDecimalLevel(level), `${state.level} → ${level} by ${JSON.stringify(result)}`).toBe(true);
    }
    expect(changed).toBeGreaterThan(RUNS / 10);
  });

  it("reports a change only when the level moves, from the input level, by the rule's amount clamped", () => {
    const rand = prng(2);
    for (let i = 0; i < RUNS; i++) {
      const { policy, state, window, sinceChange } = randomCase(rand, randomRules(rand));
      const result = evaluateTrust(state, sinceChange, window, policy, NOW);
      if (result.kind !== "changed") continue;
      expect(result.to).not.toBe(result.from);
      expect(result.from).toBe(state.level);
      const sign = result.rule.action === "increment" ? 1 : -1;
      expect(result.to).toBe(clampLevel(state.level + sign * result.rule.amount));
    }
  });

  it("never raises the level with a decrement nor lowers it with an increment", () => {
    const rand = prng(3);
    const seen = { increment: 0, decrement: 0 };
    for (let i = 0; i < RUNS; i++) {
      const { policy, state, window, sinceChange } = randomCase(rand, randomRules(rand));
      const result = evaluateTrust(state, sinceChange, window, policy, NOW);
      if (result.kind !== "changed") continue;
      seen[result.rule.action] += 1;
      if (result.rule.action === "decrement") expect(result.to).toBeLessThan(state.level);
      else expect(result.to).toBeGreaterThan(state.level);
    }
    expect(seen.increment).toBeGreaterThan(RUNS / 50);
    expect(seen.decrement).toBeGreaterThan(RUNS / 50);
  });

  it("applies a rule that fired: a decrement whenever one fired, with the largest amount of its kind", () => {
    const rand = prng(4);
    for (let i = 0; i < RUNS; i++) {
      const { policy, state, window, sinceChange } = randomCase(rand, randomRules(rand));
      const result = evaluateTrust(state, sinceChange, window, policy, NOW);
      if (result.kind !== "changed") continue;
      expect(result.metrics).toEqual(computeMetrics(window));
      const fired = policy.rules.filter((r) => ruleFires(r, result.metrics));
      expect(fired).toContain(result.rule);
      if (fired.some((r) => r.action === "decrement")) expect(result.rule.action).toBe("decrement");
      const sameKind = fired.filter((r) => r.action === result.rule.action).map((r) => r.amount);
      expect(result.rule.amount).toBe(Math.max(...sameKind));
    }
  });

  it("skips exactly when frozen, short of minOutcomes or an empty window, or inside the evaluation period", () => {
    const rand = prng(5);
    const reasons = { frozen: 0, not_enough_outcomes: 0, evaluation_period: 0, evaluated: 0 };
    for (let i = 0; i < RUNS; i++) {
      const { policy, state, window, sinceChange } = randomCase(rand, randomRules(rand));
      const result = evaluateTrust(state, sinceChange, window, policy, NOW);
      const expected = state.frozen
        ? "frozen"
        : sinceChange < policy.minOutcomes || window.length === 0
          ? "not_enough_outcomes"
          : state.lastEvaluatedAt !== null && NOW - state.lastEvaluatedAt < policy.evaluationPeriodMs
            ? "evaluation_period"
            : null;
      reasons[expected ?? "evaluated"] += 1;
      if (expected === null) expect(result.kind).not.toBe("skipped");
      else expect(result).toEqual({ kind: "skipped", reason: expected });
    }
    for (const [reason, count] of Object.entries(reasons)) expect(count, reason).toBeGreaterThan(RUNS / 50);
  });

  it("holds for cooldown only when an increment fired, no decrement did, and the cooldown has not passed", () => {
    const rand = prng(6);
    let cooldowns = 0;
    for (let i = 0; i < RUNS; i++) {
      const { policy, state, window, sinceChange } = randomCase(rand, randomRules(rand));
      const result = evaluateTrust(state, sinceChange, window, policy, NOW);
      if (result.kind === "skipped") continue;
      const fired = policy.rules.filter((r) => ruleFires(r, result.metrics));
      const cooling = state.lastChangeAt !== null && NOW - state.lastChangeAt < policy.cooldownMs;
      const expectCooldown = cooling && fired.some((r) => r.action === "increment") && !fired.some((r) => r.action === "decrement");
      expect(result.kind === "held" && result.reason === "cooldown").toBe(expectCooldown);
      if (fired.length === 0) expect(result).toMatchObject({ kind: "held", reason: "no_rule_fired" });
      if (expectCooldown) cooldowns += 1;
    }
    expect(cooldowns).toBeGreaterThan(RUNS / 50);
  });

  it("never raises the level on a window of only errors when every increment uses success_rate", () => {
    const rand = prng(7);
    let lowered = 0;
    for (let i = 0; i < RUNS; i++) {
      // Increments on success_rate with a threshold above 0 (at 0 it fires on any window, see ruleFires).
      const increments = Array.from({ length: Math.floor(rand() * 3) }, () => ({ ...randomRule(rand, ["success_rate"], "increment"), threshold: randomThreshold(rand, true) }));
      const decrements = Array.from({ length: Math.floor(rand() * 3) }, () => randomRule(rand, METRICS, "decrement"));
      const rules = rand() < 0.5 ? [...increments, ...decrements] : [...decrements, ...increments];
      const { policy, state, sinceChange } = randomCase(rand, rules);
      const window = Array<Outcome>(1 + Math.floor(rand() * 60)).fill("error");
      const level = levelAfter(state, evaluateTrust(state, sinceChange, window, policy, NOW));
      if (level < state.level) lowered += 1;
      expect(level, JSON.stringify({ rules, state })).toBeLessThanOrEqual(state.level);
    }
    expect(lowered).toBeGreaterThan(RUNS / 20);
  });

  it("with the seed's rules, never raises the level on a run of errors of any length", () => {
    const rand = prng(8);
    for (let i = 0; i < RUNS; i++) {
      const { state, policy } = randomCase(rand, SEED_RULES);
      const run = Array<Outcome>(Math.floor(rand() * 200)).fill("error");
      const level = levelAfter(state, evaluateTrust(state, run.length, run, policy, NOW));
      expect(level, `${run.length} errors at ${state.level}`).toBeLessThanOrEqual(state.level);
    }
  });

  it("with the seed's rules, lowers the level by 0.2 (to no less than 0) on a run of at least minOutcomes errors, unless it is 0", () => {
    const rand = prng(9);
    for (let i = 0; i < RUNS; i++) {
      const level = randomLevel(rand);
      // Any time since the last change: decrements ignore the cooldown.
      const state = trustState({ level, lastChangeAt: NOW - Math.floor(rand() * 2 * HOUR), lastEvaluatedAt: rand() < 0.5 ? null : NOW - MINUTE });
      const run = Array<Outcome>(SEED_POLICY.minOutcomes + Math.floor(rand() * 200)).fill("error");
      const result = evaluateTrust(state, run.length, run, SEED_POLICY, NOW);
      if (level === 0) expect(result).toMatchObject({ kind: "held", reason: "at_limit" });
      else expect(result, `${run.length} errors at ${level}`).toMatchObject({ kind: "changed", from: level, to: clampLevel(Math.max(0, level - 0.2)), rule: ERRORS_DOWN });
    }
  });

  it("with the seed's rules, never lowers the level on a window of only successes", () => {
    const rand = prng(10);
    let raised = 0;
    for (let i = 0; i < RUNS; i++) {
      const { state, policy, sinceChange } = randomCase(rand, SEED_RULES);
      const window = Array<Outcome>(Math.floor(rand() * 200)).fill("success");
      const level = levelAfter(state, evaluateTrust(state, sinceChange, window, policy, NOW));
      if (level > state.level) raised += 1;
      expect(level, `${window.length} successes at ${state.level}`).toBeGreaterThanOrEqual(state.level);
    }
    expect(raised).toBeGreaterThan(RUNS / 20);
  });
});
