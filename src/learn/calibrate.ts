/**
 * Proving a matcher's precision before it serves: the threshold on its probability is chosen on
 * out-of-fold predictions by fixed-sequence testing (Learn-then-Test): thresholds are tried from
 * strict to loose, and the loosest one kept is the last whose one-sided Clopper–Pearson upper
 * bound on the error rate of the answers it lets through stays at or below 1 − target. Testing
 * in a fixed order makes the whole procedure hold at level `alpha`, with no correction.
 */

/** log Γ(x) by Lanczos (g = 7, n = 9), accurate to about 15 digits for x > 0. */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const base = logGamma(n + 1);
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += Math.exp(base - logGamma(i + 1) - logGamma(n - i + 1) + i * logP + (n - i) * logQ);
  return Math.min(1, sum);
}

/**
 * The one-sided Clopper–Pearson upper bound on an error rate after `errors` in `n` trials: the
 * p at which seeing `errors` or fewer has probability `alpha`.
 *
 * @example
 * clopperPearsonUpper(0, 100, 0.05); // ≈ 0.0295 (the "rule of three": 3/n)
 */
export function clopperPearsonUpper(errors: number, n: number, alpha: number): number {
  if (n === 0) return 1;
  if (errors >= n) return 1;
  let lo = errors / n;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (binomialCdf(errors, n, mid) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** One held-out prediction: the matcher's probability and whether its class was right. */
export interface HeldOut {
  probability: number;
  correct: boolean;
}

export interface Calibration {
  /** The loosest proven threshold, or null when none is (the matcher must not serve). */
  threshold: number | null;
  /** At that threshold: answers let through, their errors, and the error bound. */
  answered: number;
  errors: number;
  errorBound: number;
  /** Share of the held-out predictions answered at that threshold. */
  coverage: number;
}

/**
 * The thresholds tried, from strict to loose: a fixed grid, chosen before seeing any data
 * (0.999, 0.995, then every hundredth from 0.99 to 0.5).
 */
export const THRESHOLD_GRID: readonly number[] = [0.999, 0.995, ...Array.from({ length: 50 }, (_, i) => Math.round((0.99 - i * 0.01) * 100) / 100)];

/**
 * Predictions a threshold must let through before it is tested: fewer could not pass even
 * without an error (the bound for 0 errors in n is 1 − α^(1/n)).
 */
export function minAnswered(target: number, alpha: number): number {
  return Math.ceil(Math.log(alpha) / Math.log(target));
}

/**
 * The threshold a matcher serves at to keep precision ≥ `target` with confidence 1 − `alpha`,
 * chosen on held-out predictions (never the training ones) by fixed-sequence testing over
 * `THRESHOLD_GRID`: stop at the first threshold whose bound fails, keep the one before it.
 *
 * Strict thresholds that let too few predictions through to pass at all (`minAnswered`) are
 * passed over without being tested. Which ones those are depends on the probabilities only,
 * never on whether the predictions were right, so the sequence is still fixed before any error
 * is seen and the guarantee holds; without this, a fine grid's strictest points would fail and
 * end the sequence before anything is proven.
 */
export function calibrate(heldOut: readonly HeldOut[], target: number, alpha = 0.05): Calibration {
  const sorted = [...heldOut].sort((a, b) => b.probability - a.probability);
  const enough = minAnswered(target, alpha);
  let best: Calibration = { threshold: null, answered: 0, errors: 0, errorBound: 1, coverage: 0 };
  let answered = 0;
  let errors = 0;
  for (const threshold of THRESHOLD_GRID) {
    while (answered < sorted.length && sorted[answered]!.probability >= threshold) {
      if (!sorted[answered]!.correct) errors += 1;
      answered += 1;
    }
    if (answered < enough) continue;
    const bound = clopperPearsonUpper(errors, answered, alpha);
    if (bound > 1 - target) break;
    best = { threshold, answered, errors, errorBound: bound, coverage: sorted.length ? answered / sorted.length : 0 };
  }
  return best;
}
