import { applyRetention, type ArchiveDeps, archiveAuditEvents } from "../audit/archive";
import type { Clock } from "../core/clock";
import { agentObject } from "../state/objects";

/**
 * The cron job (every 5 minutes): archives closed days of audit events to R2, then applies
 * retention. Each step logs and swallows its own failure, so one cannot stop the other; both
 * pick up where they stopped on the next run.
 */
export async function runScheduled(env: Env, clock: Clock): Promise<void> {
  const now = clock.now();
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
