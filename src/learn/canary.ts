/**
 * Deciding a rollout from evidence. A pattern in canary (or active, or shadow) collects samples:
 * for each request it matched that the model answered instead, whether the model's answer agreed
 * with the pattern's (`shadow`); each answer it gave (`served`); and negative feedback on those
 * (`feedback`). Two of Wald's sequential probability ratio tests read them, each H0 p = p0
 * against H1 p = 3·p0 with α = β = 0.05:
 *
 *  - disagreement, over the compared answers, with p0 = 1 − `confidenceThreshold`: is the
 *    pattern as precise in production as it was proven to be?
 *  - complaints, over the answers it gave, with p0 = `successCriteria.errorRate`: do customers
 *    call its answers wrong more often than the criteria allow?
 *
 * Either test reaching ln((1−β)/α) rolls the pattern back with an alert (canary, shadow and
 * active alike: an active pattern keeps a shadow sample). The disagreement test reaching
 * ln(β/(1−α)) promotes a canary to active. At a 0.97 target that takes about 46 agreeing
 * samples, more than one request type of a small business may see in weeks, so a canary is
 * also promoted when the agent's canaries together cross that bound while it has `minSamples`
 * compared answers of its own and no more disagreement than its share (its own ratio at most 0).
 * `SAMPLE_CAP` samples without a decision mark a canary inconclusive, left to a person.
 *
 * Samples count once per interaction and kind: a canary's from its detection (a pattern waiting
 * for approval is already compared in shadow), the others' from their last status change.
 */
import type { PendingAuditEvent } from "../core/audit";
import { changeStatus, type PatternStore } from "./lifecycle";

export const ALPHA = 0.05;
export const BETA = 0.05;
/** Trials after which an undecided canary waits for a person. */
export const SAMPLE_CAP = 1_500;
/**
 * A canary's own compared answers before the pooled test may promote it, when `minSamples` is
 * not set: ten, all agreeing (its own ratio must be at most 0). 20 held canaries of the
 * banking77 replay back by 3,000 messages, their cohort already proven.
 */
export const DEFAULT_MIN_SAMPLES = 10;

export type Verdict = "promote" | "rollback" | "continue";

/** The log-likelihood ratio of `errors` in `trials` for p1 against p0. */
export function logLikelihoodRatio(trials: number, errors: number, p0: number): number {
  const p1 = alternative(p0);
  return errors * Math.log(p1 / p0) + (trials - errors) * Math.log((1 - p1) / (1 - p0));
}

/** H1's error rate for a criterion p0: three times it, and always above it (at most halfway to 1). */
export function alternative(p0: number): number {
  return Math.min(3 * p0, (1 + p0) / 2);
}

export const UPPER = Math.log((1 - BETA) / ALPHA);
export const LOWER = Math.log(BETA / (1 - ALPHA));

/** Wald's test on one pattern's evidence. */
export function sprt(trials: number, errors: number, p0: number): Verdict {
  const llr = logLikelihoodRatio(trials, errors, Math.max(p0, 1e-4));
  if (llr >= UPPER) return "rollback";
  if (llr <= LOWER) return "promote";
  return "continue";
}

export interface Sample {
  agentId: string;
  interactionId: string;
  patternId: string;
  kind: "shadow" | "served" | "feedback";
  error: boolean;
  at: number;
}

/** Records samples (a redelivered one is ignored); returns the patterns that got new evidence. */
export async function recordSamples(db: D1Database, samples: readonly Sample[]): Promise<Set<string>> {
  if (samples.length === 0) return new Set();
  const results = await db.batch(
    samples.map((s) =>
      db
        .prepare("INSERT OR IGNORE INTO pattern_samples (interaction_id, kind, pattern_id, agent_id, error, at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(s.interactionId, s.kind, s.patternId, s.agentId, s.error ? 1 : 0, s.at),
    ),
  );
  return new Set(samples.filter((s, i) => s.kind !== "served" && (results[i]!.meta.changes ?? 0) > 0).map((s) => s.patternId));
}

/**
 * Which tier answered an interaction and, for the pattern tier, which pattern; null while the
 * interaction is not stored yet. (`patternId` is null too while the pattern's sample is on its way.)
 */
export async function servedBy(db: D1Database, agentId: string, interactionId: string): Promise<{ tier: string; patternId: string | null } | null> {
  const row = await db
    .prepare(
      "SELECT i.tier AS tier, s.pattern_id AS pattern_id FROM interactions i LEFT JOIN pattern_samples s ON s.interaction_id = i.id AND s.kind = 'served' AND s.agent_id = i.agent_id WHERE i.id = ? AND i.agent_id = ?",
    )
    .bind(interactionId, agentId)
    .first<{ tier: string; pattern_id: string | null }>();
  return row ? { tier: row.tier, patternId: row.pattern_id } : null;
}

interface Evidence {
  id: string;
  status: string;
  reason: string | null;
  /** Model answers compared with the pattern's, and how many disagreed. */
  shadow: number;
  disagreed: number;
  /** Answers the pattern gave, and how many drew negative feedback. */
  served: number;
  disliked: number;
}

/**
 * Evidence of every pattern of the agent in rollout: a canary's since it was first detected
 * (comparisons made while it waited for approval count), the others' since their last change
 * (an active pattern's drift is a new test from its promotion).
 */
async function evidence(db: D1Database, agentId: string): Promise<Evidence[]> {
  const { results } = await db
    .prepare(
      `SELECT p.id AS id, p.status AS status, p.reason AS reason,
              COALESCE(SUM(s.kind = 'shadow'), 0) AS shadow,
              COALESCE(SUM(s.kind = 'shadow' AND s.error = 1), 0) AS disagreed,
              COALESCE(SUM(s.kind = 'served'), 0) AS served,
              COALESCE(SUM(s.kind = 'feedback'), 0) AS disliked
         FROM patterns p LEFT JOIN pattern_samples s
           ON s.pattern_id = p.id
          AND s.at >= CASE WHEN p.status = 'canary' THEN p.detected_at ELSE COALESCE(p.changed_at, 0) END
        WHERE p.agent_id = ? AND p.status IN ('canary', 'shadow', 'active')
        GROUP BY p.id`,
    )
    .bind(agentId)
    .all<Evidence>();
  return results;
}

export interface Criteria {
  /** `successCriteria.errorRate`: the share of a pattern's answers customers may call wrong. */
  errorRate: number;
  /** `learning.patterns.confidenceThreshold`: the precision the pattern was proven to. */
  confidenceThreshold: number;
  minSamples?: number;
}

/**
 * Decides the rollout of `patternIds` (of one agent) from their evidence: rollbacks with an
 * alert, promotions, and inconclusive canaries marked once. Returns what it did.
 */
export async function decide(store: PatternStore, agentId: string, patternIds: ReadonlySet<string>, criteria: Criteria, now: number): Promise<Array<{ patternId: string; verdict: Verdict | "inconclusive" }>> {
  const all = await evidence(store.db, agentId);
  const proven = Math.max(1 - criteria.confidenceThreshold, 1e-4);
  const complaints = Math.max(criteria.errorRate, 1e-4);
  const pooled = all.filter((e) => e.status === "canary").reduce((s, e) => s + logLikelihoodRatio(e.shadow, e.disagreed, proven), 0);
  const minSamples = criteria.minSamples ?? DEFAULT_MIN_SAMPLES;
  const done: Array<{ patternId: string; verdict: Verdict | "inconclusive" }> = [];
  for (const e of all) {
    if (!patternIds.has(e.id)) continue;
    const own = logLikelihoodRatio(e.shadow, e.disagreed, proven);
    const shadowVerdict = sprt(e.shadow, e.disagreed, proven);
    const feedbackVerdict = sprt(e.served, e.disliked, complaints);
    let verdict: Verdict = shadowVerdict === "rollback" || feedbackVerdict === "rollback" ? "rollback" : shadowVerdict;
    if (verdict === "continue" && e.status === "canary" && pooled <= LOWER && e.shadow >= minSamples && own <= 0) verdict = "promote";
    const details = {
      compared: e.shadow,
      disagreed: e.disagreed,
      served: e.served,
      negativeFeedback: e.disliked,
      confidenceThreshold: criteria.confidenceThreshold,
      errorRate: criteria.errorRate,
      llr: Math.round(own * 1000) / 1000,
      pooledLlr: Math.round(pooled * 1000) / 1000,
    };
    if (verdict === "rollback") {
      const why =
        feedbackVerdict === "rollback"
          ? `${e.disliked} of its ${e.served} answers drew negative feedback: above the ${criteria.errorRate} error rate`
          : `${e.disagreed} of ${e.shadow} model answers disagreed with it: below the ${criteria.confidenceThreshold} precision it was proven to`;
      await changeStatus(store, agentId, e.id, e.status as "canary", "rolled_back", {
        by: "canary",
        reason: why,
        now,
        action: "pattern.rolled_back",
        details,
        alert: {
          at: now,
          type: "pattern_rolled_back",
          message: `A learned pattern (${e.id}) was rolled back: ${why}. The model answers those requests again.`,
          details: { patternId: e.id, ...details },
        },
      });
      done.push({ patternId: e.id, verdict });
    } else if (verdict === "promote" && e.status === "canary") {
      await changeStatus(store, agentId, e.id, "canary", "active", { by: "canary", reason: "the sequential test accepted it", now, action: "pattern.promoted", details });
      done.push({ patternId: e.id, verdict });
    } else if (e.status === "canary" && e.shadow + e.served >= SAMPLE_CAP && e.reason !== "inconclusive") {
      await store.db.prepare("UPDATE patterns SET reason = 'inconclusive' WHERE id = ? AND agent_id = ? AND status = 'canary'").bind(e.id, agentId).run();
      const event: PendingAuditEvent = { level: "minimal", event: { at: now, actor: "canary", action: "pattern.inconclusive", resource: e.id, decision: "recorded", details } };
      await store.changed({ version: 0, events: [event] });
      done.push({ patternId: e.id, verdict: "inconclusive" });
    }
  }
  return done;
}
