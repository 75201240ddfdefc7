import { createApp } from "./app";
import { systemClock } from "./core/clock";
import { consumeDeadLetters, consumeLearning } from "./queues/consumer";
import { consumeWork } from "./queues/work";
import { handleEmail } from "./channels/email/handler";
import { runScheduled } from "./jobs/scheduled";

export { AgentState } from "./state/agent-state";
export { Conversation } from "./state/conversation";
export { VectorIndexObject } from "./vectors/object";

const app = createApp();

/** Queue names as wrangler.toml declares them. */
export const QUEUES = { work: "foreman-work", learning: "foreman-learning", deadLetter: "foreman-dlq" } as const;

export default {
  fetch: app.fetch,

  async queue(batch, env, ctx) {
    switch (batch.queue) {
      case QUEUES.work:
        return consumeWork(batch, env, systemClock, ctx);
      case QUEUES.learning:
        return consumeLearning(batch, env);
      case QUEUES.deadLetter:
        return consumeDeadLetters(batch, env);
      default:
        // An unknown queue's messages are retried (and end in the dead-letter queue), never dropped.
        console.error(JSON.stringify({ event: "queue_without_consumer", queue: batch.queue, messages: batch.messages.length }));
        batch.retryAll();
    }
  },

  async email(message, env, ctx) {
    await handleEmail(message, { env, queue: env.WORK_QUEUE, clock: systemClock });
  },

  async scheduled(_controller, env) {
    await runScheduled(env, systemClock);
  },
} satisfies ExportedHandler<Env>;
