/**
 * Validation of candidate patterns before anyone sees them: a matcher is fitted on the questions
 * of the candidates' members (one class per pattern, plus one for the learnable requests no
 * pattern holds, so that unrelated requests have somewhere to go), its threshold proven at
 * `learning.patterns.confidenceThreshold` on members kept apart, and each pattern checked for
 * coverage: the share of its held-out members the matcher answers, and answers right, must
 * reach `learning.capabilities.testCoverage`. The report is kept with the pattern.
 */
import { type Matcher, fitMatcher } from "./matcher.ts";

export interface PatternReport {
  /** Whether the pattern may go on to approval: proof held and coverage reached. */
  valid: boolean;
  target: number;
  /** The proven threshold; null when nothing could be proven (too few examples, or too many errors). */
  threshold: number | null;
  errorBound: number;
  /** This pattern's held-out members, how many the matcher answered, and how many of those right. */
  heldOut: number;
  answered: number;
  correct: number;
  coverage: number;
  requiredCoverage: number;
  /** Held-out members the matcher gave to another pattern (by index in the run), or to none. */
  confusions: Record<string, number>;
  /** Facts in the pattern's signature (what shadow traffic is judged on); a pattern needs `MIN_FACTS`. */
  facts?: number;
}

export interface Validation {
  matcher: Matcher;
  reports: PatternReport[];
}

/**
 * Validates `groups` (each a list of member questions), with `others` the learnable questions no
 * group holds.
 */
export function validatePatterns(groups: readonly string[][], others: readonly string[], opts: { target: number; testCoverage: number; seed?: number }): Validation {
  const none = groups.length;
  const examples = [...groups.flatMap((questions, label) => questions.map((text) => ({ text, label }))), ...others.map((text) => ({ text, label: none }))];
  const matcher = fitMatcher(examples, groups.length + 1, { target: opts.target, seed: opts.seed ?? 7 });
  const reports = groups.map((_, label): PatternReport => {
    const mine = matcher.holdout.filter((h) => h.truth === label);
    const answered = mine.filter((h) => h.answered);
    const correct = answered.filter((h) => h.label === label).length;
    const confusions: Record<string, number> = {};
    for (const h of answered) {
      if (h.label === label) continue;
      const key = h.label === none ? "none" : String(h.label);
      confusions[key] = (confusions[key] ?? 0) + 1;
    }
    const coverage = mine.length ? correct / mine.length : 0;
    return {
      valid: matcher.threshold !== null && mine.length > 0 && coverage >= opts.testCoverage,
      target: opts.target,
      threshold: matcher.threshold,
      errorBound: matcher.calibration.errorBound,
      heldOut: mine.length,
      answered: answered.length,
      correct,
      coverage: Math.round(coverage * 10_000) / 10_000,
      requiredCoverage: opts.testCoverage,
      confusions,
    };
  });
  return { matcher, reports };
}
