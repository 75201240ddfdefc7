import { createApp } from "./app";
import { systemClock } from "./core/clock";
import { jsonLogger } from "./core/logger";
import { consumeDeadLetters, consumeLearning } from "./queues/consumer";
import { consumeAlerts } from "./queues/alerts";
import { consumeWork } from "./queues/work";
import { handleEmail } from "./channels/email/handler";
import { runScheduled } from "./jobs/scheduled";

export { AgentState } from "./state/agent-state";
export { Conversation } from "./state/conversation";
export { VectorIndexObject } from "./vectors/object";

const logger = jsonLogger();
const app = createApp({ logger });

/** Queue names as wrangler.toml declares them. */
export const QUEUES = { work: "foreman-work", learning: "foreman-learning", alerts: "foreman-alerts", deadLetter: "foreman-dlq" } as const;

export default {
  fetch: app.fetch,

  async queue(batch, env, ctx) {
    switch (batch.queue) {
      case QUEUES.work:
        return consumeWork(batch, env, systemClock, ctx);
      case QUEUES.alerts:
        return consumeAlerts(batch, env, { clock: systemClock, logger: logger.with({ queue: batch.queue }) });
      case QUEUES.learning:
        return consumeLearning(batch, env, logger.with({ queue: batch.queue }));
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
    await handleEmail(message, { env, queue: env.WORK_QUEUE, clock: systemClock, logger: logger.with({ handler: "email" }) });
  },

  async scheduled(controller, env) {
    await runScheduled(controller.cron, env, systemClock, logger.with({ cron: controller.cron }));
  },
} satisfies ExportedHandler<Env>;
