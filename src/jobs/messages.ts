/**
 * The periodic jobs as queue messages. A cron only enqueues (`scheduled.ts`); the `jobs` queue's
 * consumer (`consumer.ts`) does the work, one bounded page per message, and enqueues the next
 * page itself. docs/scale.md has the bounds and what they cost at a million agents.
 */
import { z } from "zod";
import { floorHour } from "../rollups/write";

export const JOBS = ["hourly", "detect", "archive", "audit_retention", "dead_letter_retention", "attachment_retention"] as const;
export type JobName = (typeof JOBS)[number];

export const jobMessageSchema = z.object({
  type: z.literal("job"),
  job: z.enum(JOBS),
  /** The D1 shard (binding name) the job works in. */
  shard: z.string().min(1).max(64),
  /** The cron time the run was enqueued for (epoch ms): its hour or slot names the run. */
  at: z.number().int().nonnegative(),
  /** The page: "" for the first, the agent id a page of agents starts after, or `detect`'s one agent. */
  page: z.string().max(200),
  /** Pages that start at the same place (a page that stopped inside an agent) count up here. */
  step: z.number().int().nonnegative().default(0),
});
export type JobMessage = z.infer<typeof jobMessageSchema>;

/** Agents one page of a job covers at most (`hourly`, `audit_retention`). */
export const AGENTS_PER_PAGE = 100;
/** Rows one page of `dead_letter_retention` deletes or updates at most, per statement. */
export const DEAD_LETTER_ROWS_PER_PAGE = 1_000;
/** How long a done page is remembered against redelivery. */
export const JOB_PAGE_MEMORY_MS = 7 * 86_400_000;

/**
 * The run a message belongs to: its hour. Two cron firings in one hour (a retried cron) share
 * it, so their pages are done once.
 */
export function periodOf(message: Pick<JobMessage, "at">): number {
  return floorHour(message.at);
}

/** What names a page among its run's: its start, and its step when pages share a start. */
export function pageKey(message: Pick<JobMessage, "page" | "step">): string {
  return message.step > 0 ? `${message.page}#${message.step}` : message.page;
}

/** A first page. */
export function firstPage(job: JobName, shard: string, at: number): JobMessage {
  return { type: "job", job, shard, at, page: "", step: 0 };
}
