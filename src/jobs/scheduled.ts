import { applyRetention, type ArchiveDeps, archiveAuditEvents } from "../audit/archive";
import { findUnusualActivity } from "../audit/unusual";
import type { Clock } from "../core/clock";
import type { Logger } from "../core/logger";
import { runDetection } from "../learn/run";
import { patternStore } from "../pipeline/services";
import { agentObject } from "../state/objects";
import { applyAttachmentRetention, applyDeadLetterRetention } from "./retention";

/** The crons of wrangler.toml `[triggers]`, each with the jobs it runs. */
export const CRONS = {
  /** Every 5 minutes: archive closed days of audit events to R2, then apply retention. */
  archive: "*/5 * * * *",
  /**
   * Hourly at :05: unusual activity in the hour that just ended (the learning queue has had
   * minutes to write its last interactions), then pattern detection for agents that learned
   * something new in it, then the retention of dead letters and email attachments (`retention.ts`).
   */
  hourly: "5 * * * *",
} as const;

/**
 * The `scheduled` handler: runs the jobs of the cron that fired. Each job logs and swallows its
 * own failure, so one cannot stop another; each picks up where it stopped on its next run.
 */
export async function runScheduled(cron: string, env: Env, clock: Clock, logger: Logger): Promise<void> {
  const now = clock.now();
  switch (cron) {
    case CRONS.hourly:
      await job(logger, "unusual_activity", async () => ({ raised: await alertUnusualActivity(env, now) }));
      await job(logger, "pattern_detection", async () => detectPatterns(env, now, logger));
      await job(logger, "dead_letter_retention", async () => applyDeadLetterRetention(env.DB, now));
      await job(logger, "attachment_retention", async () => applyAttachmentRetention({ db: env.DB, bucket: env.WORKSPACE, kv: env.CACHE }, now));
      return;
    case CRONS.archive: {
      const deps = { ...archiveDeps(env), logger };
      await job(logger, "audit_archive", async () => ({ objects: (await archiveAuditEvents(deps, now)).length }));
      await job(logger, "audit_retention", async () => ({ ...(await applyRetention(deps, now)) }));
      return;
    }
    default:
      logger.error("cron_without_jobs", { cron });
  }
}

async function job(logger: Logger, name: string, run: () => Promise<Record<string, number>>): Promise<void> {
  try {
    const done = await run();
    if (Object.values(done).some((n) => n > 0)) logger.info(`job.${name}`, done);
  } catch (err) {
    logger.error(`job.${name}_failed`, { error: String(err) });
  }
}

/** Raises an `unusual_activity` alert for each agent whose last hour was far above its baseline. */
export async function alertUnusualActivity(env: Env, now: number): Promise<number> {
  let raised = 0;
  for (const { agentId, hour, findings } of await findUnusualActivity(env.DB, now)) {
    if (await agentObject(env, agentId).raiseUnusualActivity({ hour, findings, now })) raised += 1;
  }
  return raised;
}

/** Agents one hourly run detects patterns for at most; the rest wait for the next hour. */
export const MAX_DETECTIONS_PER_RUN = 25;

/**
 * Detection (the code of `POST …/learn/run`) for each agent with new learnable interactions in
 * the last hour, `learning.enabled` and `optimization.patterns.autoDetect` on; the agents with
 * the most new interactions first, at most `MAX_DETECTIONS_PER_RUN`. Audited as
 * `learning.detected` by `system:learning`.
 */
export async function detectPatterns(env: Env, now: number, logger: Logger): Promise<Record<string, number>> {
  const { results } = await env.DB.prepare(
    "SELECT agent_id, COUNT(*) AS n FROM interactions WHERE learnable = 1 AND created_at >= ? AND created_at < ? GROUP BY agent_id ORDER BY n DESC LIMIT ?",
  )
    .bind(now - 3_600_000, now, MAX_DETECTIONS_PER_RUN + 1)
    .all<{ agent_id: string; n: number }>();
  let ran = 0;
  for (const { agent_id: agentId } of results.slice(0, MAX_DETECTIONS_PER_RUN)) {
    const admitted = await agentObject(env, agentId).admit();
    const config = admitted?.view.record.config;
    if (!config?.learning.enabled || !config.optimization.patterns.autoDetect) continue;
    try {
      await runDetection(await patternStore(env, agentId), agentId, config, now, "system:learning");
      ran += 1;
    } catch (err) {
      logger.error("pattern_detection_failed", { agentId, error: String(err) });
    }
  }
  return { agents: ran, deferred: Math.max(0, results.length - MAX_DETECTIONS_PER_RUN) };
}

export function archiveDeps(env: Env): ArchiveDeps {
  return {
    db: env.DB,
    bucket: env.AUDIT_BUCKET,
    audit: (agentId, events, now) =>
      agentObject(env, agentId).recordEvents(
        events.map((e) => ({ level: "minimal", event: { at: now, actor: "system:retention", action: e.action, resource: e.resource, decision: "changed", details: e.details } })),
      ),
  };
}
