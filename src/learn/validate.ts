/**
 * Validation of candidate patterns before anyone sees them: a matcher is fitted on the questions
 * of the candidates' members (one class per pattern, plus one for the learnable requests no
 * pattern holds, so that unrelated requests have somewhere to go), its threshold proven at
 * `learning.patterns.confidenceThreshold` on members kept apart (an answer is right when the
 * pattern's answer says what the model said), and each pattern checked for coverage: the share
 * of its held-out members the matcher handles right (answers right, or leaves to the model) must
 * reach `learning.capabilities.testCoverage`; the share it answers right is reported beside it.
 * (Requiring that share to reach 0.9 rejected every pattern of banking77's 77 intents at 5,000
 * interactions: a pattern answering 70% of its requests is worth serving when it is rarely
 * wrong.) The report is kept with the pattern.
 */
import { type Matcher, fitMatcher } from "./matcher.ts";
import { agrees } from "./signature.ts";

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
  /** Share of its held-out members the matcher answered right (what the pattern will save). */
  coverage: number;
  /**
   * Share of its held-out members handled right: answered right, or left to the model. This is
   * what `testCoverage` requires: a pattern that answers some of its requests wrongly fails.
   */
  handled: number;
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

export interface Example {
  question: string;
  answer: string;
}

export interface PatternClass {
  members: readonly Example[];
  /** What the pattern says (signature.ts): a prediction is right when the model's answer agrees. */
  signature: readonly number[];
  /** A class that never answers (a rejected or rolled-back pattern): its predictions are not proven. */
  abstains?: boolean;
}

/**
 * Validates pattern classes, with `others` the learnable interactions no class holds. A held-out
 * prediction is right when the predicted pattern's answer says what the model answered (its
 * own class, or another whose signature the answer carries): an unassigned question whose answer
 * a pattern gives is a right answer, not a confusion.
 */
export function validatePatterns(groups: readonly PatternClass[], others: readonly Example[], opts: { target: number; testCoverage: number; seed?: number }): Validation {
  const none = groups.length;
  const examples = [...groups.flatMap((g, label) => g.members.map((e) => ({ ...e, text: e.question, label }))), ...others.map((e) => ({ ...e, text: e.question, label: none }))];
  const matcher = fitMatcher(examples, groups.length + 1, {
    target: opts.target,
    seed: opts.seed ?? 7,
    abstains: (label) => label === none || groups[label]!.abstains === true,
    correct: (index, label) => label === examples[index]!.label || (label !== none && agrees(groups[label]!.signature, examples[index]!.answer)),
  });
  const reports = groups.map((_, label): PatternReport => {
    const mine = matcher.holdout.filter((h) => h.truth === label);
    const answered = mine.filter((h) => h.answered);
    const correct = answered.filter((h) => h.correct).length;
    const confusions: Record<string, number> = {};
    for (const h of answered) {
      if (h.correct) continue;
      const key = h.label === none ? "none" : String(h.label);
      confusions[key] = (confusions[key] ?? 0) + 1;
    }
    const coverage = mine.length ? correct / mine.length : 0;
    // Handled right: answered right, or left to the model; a wrong answer is the failure.
    const handled = mine.length ? (mine.length - (answered.length - correct)) / mine.length : 0;
    return {
      // And it must answer some: one the matcher never gives is not worth a person's look.
      valid: matcher.threshold !== null && correct > 0 && handled >= opts.testCoverage,
      target: opts.target,
      threshold: matcher.threshold,
      errorBound: matcher.calibration.errorBound,
      heldOut: mine.length,
      answered: answered.length,
      correct,
      coverage: Math.round(coverage * 10_000) / 10_000,
      handled: Math.round(handled * 10_000) / 10_000,
      requiredCoverage: opts.testCoverage,
      confusions,
    };
  });
  return { matcher, reports };
}
