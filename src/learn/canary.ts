/**
 * Deciding a rollout from evidence. A pattern in canary (or active, or shadow) collects samples:
 * for each request it matched that the model answered instead, whether the model's answer agreed
 * with the pattern's (`shadow`), and negative feedback on answers it gave (`feedback`). Wald's
 * sequential probability ratio test reads them as trials of an error rate, H0 p = p0 (the
 * config's `successCriteria.errorRate`) against H1 p = p1 = 3·p0, with α = β = 0.05:
 *
 *  - the log-likelihood ratio reaching ln((1−β)/α): the pattern errs too often; rolled back, with
 *    an alert (canary, shadow and active alike: an active pattern keeps a shadow sample);
 *  - reaching ln(β/(1−α)): the canary is promoted to active. With p0 = 1 % that takes about 145
 *    agreeing samples, more than one request type of a small business sees in weeks, so a canary
 *    is also promoted when the agent's canaries together reach that bound while this one has
 *    `minSamples` of its own and no more errors than its share (its own ratio at most 0);
 *  - `SAMPLE_CAP` trials without a decision: inconclusive, left to a person (approve or roll back).
 *
 * Samples count from the pattern's last status change, once per interaction and kind.
 */
import type { PendingAuditEvent } from "../core/audit";
import { changeStatus, type PatternStore } from "./lifecycle";

export const ALPHA = 0.05;
export const BETA = 0.05;
/** Trials after which an undecided canary waits for a person. */
export const SAMPLE_CAP = 1_500;
/** A canary's own trials before the pooled test may promote it, when `minSamples` is not set. */
export const DEFAULT_MIN_SAMPLES = 20;

export type Verdict = "promote" | "rollback" | "continue";

/** The log-likelihood ratio of `errors` in `trials` for p1 against p0. */
export function logLikelihoodRatio(trials: number, errors: number, p0: number): number {
  const p1 = alternative(p0);
  return errors * Math.log(p1 / p0) + (trials - errors) * Math.log((1 - p1) / (1 - p0));
}

/** H1's error rate for a success criterion: three times it, at most one half. */
export function alternative(p0: number): number {
  return Math.min(0.5, 3 * p0);
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

/** The pattern an interaction's answer came from, when a pattern gave it. */
export async function servedBy(db: D1Database, agentId: string, interactionId: string): Promise<string | null> {
  const row = await db
    .prepare("SELECT pattern_id FROM pattern_samples WHERE interaction_id = ? AND kind = 'served' AND agent_id = ?")
    .bind(interactionId, agentId)
    .first<{ pattern_id: string }>();
  return row?.pattern_id ?? null;
}

interface Evidence {
  id: string;
  status: string;
  trials: number;
  errors: number;
  reason: string | null;
}

/** Evidence since the last change of every pattern of the agent in rollout. */
async function evidence(db: D1Database, agentId: string): Promise<Evidence[]> {
  const { results } = await db
    .prepare(
      `SELECT p.id AS id, p.status AS status, p.reason AS reason,
              COUNT(s.interaction_id) AS trials, COALESCE(SUM(s.error), 0) AS errors
         FROM patterns p LEFT JOIN pattern_samples s
           ON s.pattern_id = p.id AND s.kind != 'served' AND s.at >= COALESCE(p.changed_at, 0)
        WHERE p.agent_id = ? AND p.status IN ('canary', 'shadow', 'active')
        GROUP BY p.id`,
    )
    .bind(agentId)
    .all<Evidence>();
  return results;
}

export interface Criteria {
  errorRate: number;
  minSamples?: number;
}

/**
 * Decides the rollout of `patternIds` (of one agent) from their evidence: rollbacks with an
 * alert, promotions, and inconclusive canaries marked once. Returns what it did.
 */
export async function decide(store: PatternStore, agentId: string, patternIds: ReadonlySet<string>, criteria: Criteria, now: number): Promise<Array<{ patternId: string; verdict: Verdict | "inconclusive" }>> {
  const all = await evidence(store.db, agentId);
  const p0 = criteria.errorRate;
  const pooled = all.filter((e) => e.status === "canary").reduce((s, e) => s + logLikelihoodRatio(e.trials, e.errors, Math.max(p0, 1e-4)), 0);
  const minSamples = criteria.minSamples ?? DEFAULT_MIN_SAMPLES;
  const done: Array<{ patternId: string; verdict: Verdict | "inconclusive" }> = [];
  for (const e of all) {
    if (!patternIds.has(e.id)) continue;
    let verdict = sprt(e.trials, e.errors, p0);
    const own = logLikelihoodRatio(e.trials, e.errors, Math.max(p0, 1e-4));
    if (verdict === "continue" && e.status === "canary" && pooled <= LOWER && e.trials >= minSamples && own <= 0) verdict = "promote";
    const details = { trials: e.trials, errors: e.errors, errorRate: p0, llr: Math.round(own * 1000) / 1000, pooledLlr: Math.round(pooled * 1000) / 1000 };
    if (verdict === "rollback") {
      await changeStatus(store, agentId, e.id, e.status as "canary", "rolled_back", {
        by: "canary",
        reason: `${e.errors} of ${e.trials} samples disagreed or drew negative feedback: above the ${p0} error rate`,
        now,
        action: "pattern.rolled_back",
        details,
        alert: {
          at: now,
          type: "pattern_rolled_back",
          message: `A learned pattern (${e.id}) was rolled back: ${e.errors} of ${e.trials} of its answers were wrong or disliked. The model answers those requests again.`,
          details: { patternId: e.id, ...details },
        },
      });
      done.push({ patternId: e.id, verdict });
    } else if (verdict === "promote" && e.status === "canary") {
      await changeStatus(store, agentId, e.id, "canary", "active", { by: "canary", reason: "the sequential test accepted its error rate", now, action: "pattern.promoted", details });
      done.push({ patternId: e.id, verdict });
    } else if (e.status === "canary" && e.trials >= SAMPLE_CAP && e.reason !== "inconclusive") {
      await store.db.prepare("UPDATE patterns SET reason = 'inconclusive' WHERE id = ? AND agent_id = ? AND status = 'canary'").bind(e.id, agentId).run();
      const event: PendingAuditEvent = { level: "minimal", event: { at: now, actor: "canary", action: "pattern.inconclusive", resource: e.id, decision: "recorded", details } };
      await store.changed({ version: 0, events: [event] });
      done.push({ patternId: e.id, verdict: "inconclusive" });
    }
  }
  return done;
}
