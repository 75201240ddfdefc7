import type { ArchiveDeps } from "../audit/archive";
import type { Logger } from "../core/logger";
import { shards } from "../db/shards";
import { agentObject } from "../state/objects";
import { firstPage, type JobMessage, type JobName } from "./messages";

/** The crons of wrangler.toml `[triggers]`, each with the jobs it starts. */
export const CRONS = {
  /**
   * Hourly at :05 (the learning queue has had minutes to write the hour's last interactions):
   * rollups of the hour that ended, unusual activity judged on them, pattern detection for the
   * agents that learned something new in it; the audit archive of closed days and audit
   * retention; the retention of dead letters and attachments.
   */
  hourly: "5 * * * *",
} as const;

/** The jobs each cron starts in every shard; `attachment_retention` runs once (R2 is one bucket). */
const PER_SHARD: Record<keyof typeof CRONS, JobName[]> = {
  hourly: ["hourly", "archive", "audit_retention", "dead_letter_retention"],
};

/**
 * The `scheduled` handler: enqueues the first page of each job of the cron that fired at `at` (its
 * scheduled time, which names the run), once per D1 shard, on the `jobs` queue; the queue's consumer does the work (`consumer.ts`). An invocation
 * reads nothing and sends `jobs × shards` messages, whatever the number of agents.
 */
export async function runScheduled(cron: string, env: Env, at: number, logger: Logger): Promise<void> {
  const messages = scheduledJobs(cron, shards(env).all.map((s) => s.name), at);
  if (messages === null) {
    logger.error("cron_without_jobs", { cron });
    return;
  }
  // A queue's sendBatch takes at most 100 messages.
  for (let i = 0; i < messages.length; i += 100) await env.JOBS_QUEUE.sendBatch(messages.slice(i, i + 100).map((body) => ({ body })));
  logger.info("jobs_enqueued", { cron, messages: messages.length });
}

/** The first pages a cron starts for the given shards; null for a cron without jobs. */
export function scheduledJobs(cron: string, shardNames: readonly string[], at: number): JobMessage[] | null {
  const name = (Object.keys(CRONS) as Array<keyof typeof CRONS>).find((k) => CRONS[k] === cron);
  if (!name) return null;
  const messages = shardNames.flatMap((shard) => PER_SHARD[name].map((job) => firstPage(job, shard, at)));
  messages.push(firstPage("attachment_retention", shardNames[0]!, at));
  return messages;
}

/** What the audit archive and retention need, for one shard. */
export function archiveDeps(env: Env, db: D1Database): ArchiveDeps {
  return {
    db,
    bucket: env.AUDIT_BUCKET,
    audit: (agentId, events, now) =>
      agentObject(env, agentId).recordEvents(
        events.map((e) => ({ level: "minimal", event: { at: now, actor: "system:retention", action: e.action, resource: e.resource, decision: "changed", details: e.details } })),
      ),
  };
}
