import { applyRetention, type ArchiveDeps, archiveAuditEvents } from "../audit/archive";
import { findUnusualActivity } from "../audit/unusual";
import type { Clock } from "../core/clock";
import type { Logger } from "../core/logger";
import { agentObject } from "../state/objects";

/** The crons of wrangler.toml `[triggers]`, each with the jobs it runs. */
export const CRONS = {
  /** Every 5 minutes: archive closed days of audit events to R2, then apply retention. */
  archive: "*/5 * * * *",
  /**
   * Hourly at :05: unusual activity in the hour that just ended (the learning queue has had
   * minutes to write its last interactions).
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
