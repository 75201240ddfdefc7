import { applyRetention, type ArchiveDeps, archiveAuditEvents } from "../audit/archive";
import { findUnusualActivity, HOUR_MS } from "../audit/unusual";
import type { Clock } from "../core/clock";
import { agentObject } from "../state/objects";

/**
 * The cron job (every 5 minutes): once an hour looks for unusual activity, then archives closed
 * days of audit events to R2 and applies retention. Each step logs and swallows its own failure, so one cannot stop the other; both
 * pick up where they stopped on the next run.
 */
export async function runScheduled(env: Env, clock: Clock): Promise<void> {
  const now = clock.now();
  // The second run after an hour ends (about :05) judges that hour: the learning queue has had
  // minutes to write its last interactions.
  if (now % HOUR_MS >= CRON_PERIOD_MS && now % HOUR_MS < 2 * CRON_PERIOD_MS) {
    try {
      await alertUnusualActivity(env, now);
    } catch (err) {
      console.error(JSON.stringify({ event: "unusual_activity_failed", error: String(err) }));
    }
  }
  const deps = archiveDeps(env);
  try {
    const written = await archiveAuditEvents(deps, now);
    if (written.length > 0) console.log(JSON.stringify({ event: "audit_archived", objects: written.length }));
  } catch (err) {
    console.error(JSON.stringify({ event: "audit_archive_failed", error: String(err) }));
  }
  try {
    const retention = await applyRetention(deps, now);
    if (retention.d1EventsDeleted + retention.objectsDeleted > 0) console.log(JSON.stringify({ event: "audit_retention", ...retention }));
  } catch (err) {
    console.error(JSON.stringify({ event: "audit_retention_failed", error: String(err) }));
  }
}

/** The cron period: every 5 minutes (wrangler.toml `crons`). */
const CRON_PERIOD_MS = 5 * 60_000;

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
