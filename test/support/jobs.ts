import { env } from "cloudflare:workers";
import type { Clock } from "../../src/core/clock";
import { silentLogger } from "../../src/core/logger";
import { consumeJobs } from "../../src/jobs/consumer";
import type { JobMessage } from "../../src/jobs/messages";
import { scheduledJobs } from "../../src/jobs/scheduled";
import { shards } from "../../src/db/shards";

/** One consumer invocation of a job page, as `runJobs` saw it. */
export interface Invocation {
  message: JobMessage;
  /** What the page logged it did (`agents`, `rolledUp`, `raised`, …). */
  done: Record<string, number>;
  /** The pages it enqueued. */
  follow: JobMessage[];
  /** The size of each sendBatch call it made. */
  batches: number[];
  outcome: "ack" | "retry" | "none";
}

/**
 * Runs job pages through the real consumer, one message per invocation as the `jobs` queue
 * delivers them (`max_batch_size = 1`), following every page a page enqueues until none is left.
 * The queue binding is replaced by one that collects what is sent, so a test sees each
 * invocation; the rest of the environment is the worker's own.
 */
export async function runJobs(
  first: readonly JobMessage[],
  opts: { now?: number; attempts?: number; limit?: number; /** false: run only the pages given, not those they enqueue. */ follow?: boolean } = {},
): Promise<Invocation[]> {
  const pending = [...first];
  const seen: Invocation[] = [];
  const clock: Clock = { now: () => opts.now ?? Date.now() };
  while (pending.length > 0) {
    if (seen.length >= (opts.limit ?? 10_000)) throw new Error(`runJobs: more than ${opts.limit ?? 10_000} invocations`);
    const message = pending.shift()!;
    const sent: JobMessage[] = [];
    const batches: number[] = [];
    const jobsQueue = {
      send: async (body: JobMessage) => void sent.push(body),
      sendBatch: async (batch: Array<{ body: JobMessage }>) => {
        // As the real queue: at most 100 messages a call.
        if (batch.length > 100) throw new Error(`sendBatch of ${batch.length} messages: the limit is 100`);
        batches.push(batch.length);
        sent.push(...batch.map((m) => m.body));
      },
    };
    const done: Record<string, number> = {};
    const logger = {
      ...silentLogger,
      info: (event: string, fields?: Record<string, unknown>) => {
        if (event === `job.${message.job}`) for (const [k, v] of Object.entries(fields ?? {})) if (typeof v === "number") done[k] = v;
      },
      with: () => logger,
    };
    let outcome: Invocation["outcome"] = "none";
    const delivered = {
      id: crypto.randomUUID(),
      timestamp: new Date(),
      attempts: opts.attempts ?? 1,
      body: message,
      ack: () => void (outcome = "ack"),
      retry: () => void (outcome = "retry"),
    };
    const batch = { queue: "foreman-jobs", messages: [delivered], ackAll: delivered.ack, retryAll: delivered.retry } as unknown as MessageBatch<unknown>;
    await consumeJobs(batch, { ...env, JOBS_QUEUE: jobsQueue as unknown as Queue }, { clock, logger: logger as typeof silentLogger });
    seen.push({ message, done, follow: sent, batches, outcome });
    if (opts.follow !== false) pending.push(...sent);
  }
  return seen;
}

/** The first pages a cron starts over this worker's shards. */
export function cronJobs(cron: string, at: number): JobMessage[] {
  return scheduledJobs(cron, shards(env).all.map((s) => s.name), at)!;
}
