import type { Hono } from "hono";
import { createApp } from "./app";
import { handleEmail } from "./channels/email/handler";
import type { Clock } from "./core/clock";
import type { Logger } from "./core/logger";
import type { AppEnv } from "./http/context";
import { consumeJobs } from "./jobs/consumer";
import { runScheduled } from "./jobs/scheduled";
import { consumeAlerts } from "./queues/alerts";
import { consumeDeadLetters, consumeLearning } from "./queues/consumer";
import { consumeWork } from "./queues/work";

/** Queue names as wrangler.toml declares them. */
export const QUEUES = { work: "foreman-work", learning: "foreman-learning", alerts: "foreman-alerts", deadLetter: "foreman-dlq", jobs: "foreman-jobs" } as const;

/** A worker's handlers, with the app its `fetch` serves. */
export interface WorkerHandlers {
  fetch(request: Request, env: Env, ctx?: ExecutionContext): Response | Promise<Response>;
  queue(batch: MessageBatch, env: Env, ctx: ExecutionContext): Promise<void>;
  scheduled(controller: ScheduledController, env: Env, ctx?: ExecutionContext): Promise<void>;
  email(message: ForwardableEmailMessage, env: Env, ctx?: ExecutionContext): Promise<void>;
  /** Webhooks, the admin API and the dashboard. */
  app: Hono<AppEnv>;
}

/**
 * The worker's entry points: `fetch` (the app), the queue consumers, the crons and inbound
 * email. `ready` runs before every invocation but a cron's and `everyCron` before each cron run
 * (the library applies the agents declared in code there; the plain worker has none).
 *
 * @example
 * export default createWorker({ clock: systemClock, logger: jsonLogger() });
 */
export function createWorker(opts: { clock: Clock; logger: Logger; ready?: (env: Env) => Promise<void>; everyCron?: (env: Env) => Promise<void> }): WorkerHandlers {
  const { clock, logger } = opts;
  const ready = opts.ready ?? (async () => {});
  const app = createApp({ clock, logger, ...(opts.ready ? { ready: opts.ready } : {}) });
  return {
    app,
    fetch: (request, env, ctx) => app.fetch(request, env, ctx),

    async queue(batch, env, ctx) {
      await ready(env);
      switch (batch.queue) {
        case QUEUES.work:
          return consumeWork(batch, env, clock, ctx);
        case QUEUES.alerts:
          return consumeAlerts(batch, env, { clock, logger: logger.with({ queue: batch.queue }) });
        case QUEUES.learning:
          return consumeLearning(batch, env, logger.with({ queue: batch.queue }));
        case QUEUES.jobs:
          return consumeJobs(batch, env, { clock, logger: logger.with({ queue: batch.queue }) });
        case QUEUES.deadLetter:
          return consumeDeadLetters(batch, env, logger.with({ queue: batch.queue }));
        default:
          // An unknown queue's messages are retried (and end in the dead-letter queue), never dropped.
          logger.error("queue_without_consumer", { queue: batch.queue, messages: batch.messages.length });
          batch.retryAll();
      }
    },

    // Neither handler runs the message pipeline (email is queued for the work consumer), so they
    // take the clock and logger directly rather than a full set of services.
    async email(message, env) {
      await ready(env);
      await handleEmail(message, { env, queue: env.WORK_QUEUE, clock, logger: logger.with({ handler: "email" }) });
    },

    async scheduled(controller, env) {
      if (opts.everyCron) await opts.everyCron(env);
      await runScheduled(controller.cron, env, controller.scheduledTime, logger.with({ cron: controller.cron }));
    },
  };
}
