/**
 * `createForeman({ agents })`: Foreman inside a worker. It returns the worker's handlers
 * (`fetch`, `queue`, `scheduled`, `email`, so `export default foreman` is a whole worker), the
 * Hono app to mount in an app of one's own, `handle()` for one's own channels, and applies the
 * agents declared in code on an isolate's first invocation and on every cron run.
 */
import type { Hono } from "hono";
import { createApp } from "../app";
import { handleEmail } from "../channels/email/handler";
import { ConfigError, type ConfigIssue } from "../config";
import { type Clock, systemClock } from "../core/clock";
import { jsonLogger, type Logger } from "../core/logger";
import type { AppEnv } from "../http/context";
import { runScheduled } from "../jobs/scheduled";
import { consumeAlerts } from "../queues/alerts";
import { consumeDeadLetters, consumeLearning } from "../queues/consumer";
import { consumeWork } from "../queues/work";
import type { ClaudeAgent } from "./claude-agent";
import { type HandledAnswer, type HandleMessage, handleMessage } from "./handle";
import { type ReconcileReport, reconcileAgents } from "./reconcile";

/** Queue names as wrangler.toml declares them. */
export const QUEUES = { work: "foreman-work", learning: "foreman-learning", alerts: "foreman-alerts", deadLetter: "foreman-dlq" } as const;

/** A failed first reconciliation is tried again on a later request, at most this often. */
const RETRY_AFTER_MS = 60_000;

export interface ForemanOptions {
  /** The agents declared in code; each is applied to its records and managed by the code. */
  agents?: readonly ClaudeAgent[];
  /** Where logs go; JSON lines on the console by default. */
  logger?: Logger;
  /** The time source; tests move it by hand. */
  clock?: Clock;
}

/** The worker's handlers, the app to mount, and the programmatic entry points. */
export interface Foreman {
  fetch(request: Request, env: Env, ctx?: ExecutionContext): Response | Promise<Response>;
  queue(batch: MessageBatch, env: Env, ctx: ExecutionContext): Promise<void>;
  scheduled(controller: ScheduledController, env: Env, ctx?: ExecutionContext): Promise<void>;
  email(message: ForwardableEmailMessage, env: Env, ctx?: ExecutionContext): Promise<void>;
  /** Webhooks, the admin API and the dashboard, to mount: `app.route("/foreman", foreman.app)`. */
  app: Hono<AppEnv>;
  /** The agents declared in code, by id. */
  agents: ReadonlyMap<string, ClaudeAgent>;
  /** Answers one message from a channel of the caller's own, as the HTTP channel would. */
  handle(env: Env, ctx: ExecutionContext, agentId: string, message: HandleMessage): Promise<HandledAnswer>;
  /** Applies the agents declared in code now, and says what changed. */
  reconcile(env: Env): Promise<ReconcileReport>;
}

/**
 * Foreman for a worker: its handlers, an app to mount, and the agents it manages.
 *
 * @example
 * const shop = new ClaudeAgent({ id: "shop", systemPrompt: "You help Acme's customers.", secretBindings: { http: "SHOP_HTTP_SECRET" } });
 * const foreman = createForeman({ agents: [shop] });
 * export default foreman; // or: app.route("/foreman", foreman.app)
 * export { AgentState, Conversation, VectorIndexObject } from "foreman-agents";
 */
export function createForeman(options: ForemanOptions = {}): Foreman {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? jsonLogger();
  const agents = agentsById(options.agents ?? []);
  const declared = [...agents.values()];
  const reconcile = (env: Env) => reconcileAgents(env, declared, { clock, logger: logger.with({ task: "reconcile" }) });

  // Once per isolate: the first invocation applies the code's agents before it is served, later
  // ones wait for that. A failure (D1 unreachable) is logged and tried again a minute later; the
  // agents already applied keep answering meanwhile.
  let applied: Promise<void> | undefined;
  let failedAt: number | undefined;
  const ready = async (env: Env): Promise<void> => {
    if (declared.length === 0) return;
    if (failedAt !== undefined && clock.now() - failedAt >= RETRY_AFTER_MS) applied = undefined;
    applied ??= reconcile(env).then(
      () => {
        failedAt = undefined;
      },
      (err: unknown) => {
        failedAt = clock.now();
        logger.error("code_agents_not_applied", { error: String(err) });
      },
    );
    await applied;
  };

  const app = createApp({ clock, logger, ready });
  const handlers: Pick<Foreman, "fetch" | "queue" | "scheduled" | "email"> = {
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
      // Every cron run applies the code's agents, so a code-managed agent missing from the code
      // is reported even by an isolate that serves no requests.
      await reconcile(env).catch((err: unknown) => logger.error("code_agents_not_applied", { error: String(err) }));
      await runScheduled(controller.cron, env, clock, logger.with({ cron: controller.cron }));
    },
  };
  return {
    ...handlers,
    app,
    agents,
    handle: (env, ctx, agentId, message) => handleMessage(env, ctx, { clock, logger, ready }, agentId, message),
    reconcile,
  };
}

/** The agents by id; two with one id would overwrite each other's records, so that is refused. */
function agentsById(agents: readonly ClaudeAgent[]): ReadonlyMap<string, ClaudeAgent> {
  const byId = new Map<string, ClaudeAgent>();
  const issues: ConfigIssue[] = [];
  agents.forEach((agent, i) => {
    const first = agents.findIndex((a) => a.id === agent.id);
    if (first < i) issues.push({ path: `agents.${i}.id`, message: `"${agent.id}" is already the id of agents.${first}: each agent needs its own id` });
    else byId.set(agent.id, agent);
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return byId;
}
