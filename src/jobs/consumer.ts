/**
 * The `jobs` queue's consumer: one page of one periodic job per message (`messages.ts`).
 *
 * A page is remembered in its shard's `job_pages` once done, after the pages it leads to are
 * enqueued: a redelivered message whose page is there is acknowledged without doing anything
 * again, and one whose page is not (the consumer stopped midway) does it again, which every job
 * tolerates (rollups are rewritten, an hour's unusual activity alerts once, retention deletes
 * what is still there). A failing page is retried with backoff and ends in the dead-letter queue.
 */
import { ARCHIVE_AGENTS_PER_PAGE, ARCHIVE_EVENTS_PER_PAGE, archiveAuditEvents, applyRetention } from "../audit/archive";
import { findUnusualActivity } from "../audit/unusual";
import type { Clock } from "../core/clock";
import type { Logger } from "../core/logger";
import { metered, newMeter } from "../db/metered";
import { type Shard, shards } from "../db/shards";
import { runDetection } from "../learn/run";
import { patternStore } from "../pipeline/services";
import { HOUR_MS, rollUp } from "../rollups/write";
import { agentObject } from "../state/objects";
import { archiveDeps } from "./scheduled";
import {
  AGENTS_PER_PAGE,
  DEAD_LETTER_ROWS_PER_PAGE,
  JOB_PAGE_MEMORY_MS,
  type JobMessage,
  jobMessageSchema,
  pageKey,
  periodOf,
} from "./messages";
import { applyAttachmentRetention, applyDeadLetterRetention } from "./retention";

/** What one page did (counts for the log line) and the pages it leads to. */
interface PageResult {
  done: Record<string, number>;
  follow: JobMessage[];
}

export interface JobDeps {
  clock: Clock;
  logger: Logger;
}

/**
 * Does each message's page. Malformed messages and messages for a shard this worker does not
 * list are acknowledged and logged: retrying cannot fix them.
 */
export async function consumeJobs(batch: MessageBatch<unknown>, env: Env, deps: JobDeps): Promise<void> {
  for (const msg of batch.messages) {
    const parsed = jobMessageSchema.safeParse(msg.body);
    const shard = parsed.success ? shards(env).byName(parsed.data.shard) : undefined;
    if (!parsed.success || !shard) {
      deps.logger.error("job_message_invalid", { id: msg.id, ...(parsed.success ? { shard: parsed.data.shard } : { issues: parsed.error.issues.length }) });
      msg.ack();
      continue;
    }
    const job = parsed.data;
    try {
      if (await pageDone(shard.db, job)) {
        msg.ack();
        continue;
      }
      // The page's D1 cost, from D1's own metadata, is logged with what it did.
      const meter = newMeter();
      const started = deps.clock.now();
      let sent = 0;
      const enqueue = async (messages: JobMessage[]) => {
        // A queue's sendBatch takes at most 100 messages.
        for (let i = 0; i < messages.length; i += 100) await env.JOBS_QUEUE.sendBatch(messages.slice(i, i + 100).map((body) => ({ body })));
        sent += messages.length;
      };
      const result = await runPage(env, { ...shard, db: metered(shard.db, meter) }, job, { ...deps, enqueue });
      await enqueue(result.follow);
      Object.assign(result.done, meter, { next: sent, ms: deps.clock.now() - started });
      await markDone(shard.db, job, deps.clock.now());
      deps.logger.info(`job.${job.job}`, { shard: shard.name, page: job.page, ...result.done });
      msg.ack();
    } catch (err) {
      deps.logger.error(`job.${job.job}_failed`, { shard: shard.name, page: job.page, attempts: msg.attempts, error: String(err) });
      msg.retry({ delaySeconds: Math.min(300, 10 * 2 ** msg.attempts) });
    }
  }
}

async function pageDone(db: D1Database, job: JobMessage): Promise<boolean> {
  const row = await db.prepare("SELECT 1 AS done FROM job_pages WHERE job = ? AND period = ? AND page = ?").bind(job.job, periodOf(job), pageKey(job)).first();
  return row !== null;
}

async function markDone(db: D1Database, job: JobMessage, now: number): Promise<void> {
  await db.prepare("INSERT OR IGNORE INTO job_pages (job, period, page, done_at) VALUES (?, ?, ?, ?)").bind(job.job, periodOf(job), pageKey(job), now).run();
}

/** What a page may enqueue before its work is done (the pages that must not wait on it). */
type Enqueue = (messages: JobMessage[]) => Promise<void>;

/** The page's work, as of the run's time (`job.at`, the cron's): a page that waited in the queue does what its run would have. */
export async function runPage(env: Env, shard: Shard, job: JobMessage, deps: JobDeps & { enqueue: Enqueue }): Promise<PageResult> {
  const next = (page: string): JobMessage => ({ ...job, page, step: page === job.page ? job.step + 1 : 0 });
  switch (job.job) {
    case "hourly":
      return hourlyPage(env, shard, job, deps);
    case "detect":
      return { done: await detect(env, shard.db, job.page, job.at, deps.logger), follow: [] };
    case "archive": {
      const page = { after: job.page, limit: ARCHIVE_AGENTS_PER_PAGE, maxEvents: ARCHIVE_EVENTS_PER_PAGE };
      const { digests, next: after, agents } = await archiveAuditEvents({ ...archiveDeps(env, shard.db), logger: deps.logger }, job.at, page);
      const events = digests.reduce((n, d) => n + d.count, 0);
      return { done: { agents, objects: digests.length, events }, follow: after !== null ? [next(after)] : [] };
    }
    case "audit_retention": {
      const { next: after, ...done } = await applyRetention({ ...archiveDeps(env, shard.db), logger: deps.logger }, job.at, { after: job.page, limit: AGENTS_PER_PAGE });
      return { done: { ...done }, follow: after ? [next(after)] : [] };
    }
    case "dead_letter_retention": {
      const { more, ...done } = await applyDeadLetterRetention(shard.db, job.at, DEAD_LETTER_ROWS_PER_PAGE);
      return { done, follow: more ? [next(job.page)] : [] };
    }
    case "attachment_retention": {
      const dbs = shards(env).all.map((s) => s.db);
      return { done: await applyAttachmentRetention({ dbs, bucket: env.WORKSPACE, kv: env.CACHE }, job.at), follow: [] };
    }
  }
}

/**
 * One page of the hourly job: the next `AGENTS_PER_PAGE` agents of the shard by id have the hour
 * that ended rolled up, are judged for unusual activity on their rollups, and each one with new
 * learnable interactions in the hour before the cron time gets a `detect` message of its own. The
 * next page and the detections are enqueued first, before the page's own work: a page that fails
 * every retry costs its own agents the hour (the next hour's rollups catch up), never the rest of
 * the shard. The first page also forgets done pages older than `JOB_PAGE_MEMORY_MS`.
 */
async function hourlyPage(env: Env, shard: Shard, job: JobMessage, deps: JobDeps & { enqueue: Enqueue }): Promise<PageResult> {
  const { db } = shard;
  const now = deps.clock.now();
  const { results } = await db.prepare("SELECT id FROM agents WHERE id > ? ORDER BY id LIMIT ?").bind(job.page, AGENTS_PER_PAGE).all<{ id: string }>();
  const ids = results.map((r) => r.id);
  // New learnable interactions in the hour before the cron time (a seek per agent on its index).
  const { results: learnable } = await db
    .prepare(
      "SELECT x.value AS agentId FROM json_each(?1) x WHERE EXISTS (SELECT 1 FROM interactions i WHERE i.agent_id = x.value AND i.learnable = 1 AND i.created_at >= ?2 AND i.created_at < ?3)",
    )
    .bind(JSON.stringify(ids), job.at - HOUR_MS, job.at)
    .all<{ agentId: string }>();
  const ahead: JobMessage[] = learnable.map((r) => ({ ...job, job: "detect", page: r.agentId, step: 0 }));
  if (ids.length === AGENTS_PER_PAGE) ahead.push({ ...job, page: ids.at(-1)!, step: 0 });
  await deps.enqueue(ahead);
  const rolled = await rollUp(db, ids, job.at);
  let raised = 0;
  let failed = 0;
  for (const { agentId, hour, findings } of await findUnusualActivity(db, job.at, ids)) {
    // One agent's object failing (deleted since the page was read) does not hold up the others;
    // a redelivered page raises the rest, and the hour's alert once.
    try {
      if (await agentObject(env, agentId).raiseUnusualActivity({ hour, findings, now })) raised += 1;
    } catch (err) {
      failed += 1;
      deps.logger.warn("unusual_activity_not_raised", { agentId, error: String(err) });
    }
  }
  let forgotten = 0;
  if (job.page === "") {
    const pruned = await db.prepare("DELETE FROM job_pages WHERE done_at < ?").bind(now - JOB_PAGE_MEMORY_MS).run();
    forgotten = pruned.meta.changes ?? 0;
  }
  return { done: { agents: ids.length, rolledUp: rolled.agents, hours: rolled.hours, raised, notRaised: failed, detections: learnable.length, forgotten }, follow: [] };
}

/**
 * Pattern detection (the code of `POST …/learn/run`) for one agent with `learning.enabled` and
 * `optimization.patterns.autoDetect` on. Audited as `learning.detected` by `system:learning`.
 */
async function detect(env: Env, db: D1Database, agentId: string, at: number, logger: Logger): Promise<Record<string, number>> {
  const admitted = await agentObject(env, agentId).admit();
  const config = admitted?.view.record.config;
  if (!config?.learning.enabled || !config.optimization.patterns.autoDetect) return { agents: 0 };
  const report = await runDetection({ ...(await patternStore(env, agentId)), db }, agentId, config, at, "system:learning");
  logger.info("pattern_detection", { agentId, ...summary(report) });
  return { agents: 1 };
}

function summary(report: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (report && typeof report === "object") for (const [k, v] of Object.entries(report)) if (typeof v === "number") out[k] = v;
  return out;
}
