/**
 * `createForeman({ agents })`: Foreman inside a worker. It returns the worker's handlers
 * (`fetch`, `queue`, `scheduled`, `email`, so `export default foreman` is a whole worker), the
 * Hono app to mount in an app of one's own, `handle()` for one's own channels, and applies the
 * agents declared in code on an isolate's first invocation and on every cron run.
 */
import type { Hono } from "hono";
import { ConfigError, type ConfigIssue } from "../config";
import { type Clock, systemClock } from "../core/clock";
import { jsonLogger, type Logger } from "../core/logger";
import type { AppEnv } from "../http/context";
import { createWorker, type WorkerHandlers } from "../worker";
import type { ClaudeAgent } from "./claude-agent";
import { type HandledAnswer, type HandleMessage, handleMessage, type WaitUntil } from "./handle";
import { failureOf, type ReconcileReport, reconcileAgents } from "./reconcile";

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
export interface Foreman extends WorkerHandlers {
  /** Webhooks, the admin API and the dashboard, to mount: `app.route("/foreman", foreman.app)`. */
  app: Hono<AppEnv>;
  /** The agents declared in code, by id. */
  agents: ReadonlyMap<string, ClaudeAgent>;
  /** Answers one message from a channel of the caller's own, as the HTTP channel would. */
  handle(env: Env, ctx: WaitUntil, agentId: string, message: HandleMessage): Promise<HandledAnswer>;
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
  let lastReport: ReconcileReport | undefined;
  const reconcile = async (env: Env) => {
    lastReport = await reconcileAgents(env, declared, { clock, logger: logger.with({ task: "reconcile" }) });
    return lastReport;
  };

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

  const worker = createWorker({
    clock,
    logger,
    ready,
    // Every cron run applies the code's agents, so a code-managed agent missing from the code
    // is reported even by an isolate that serves no requests.
    everyCron: (env) =>
      reconcile(env).then(
        () => {},
        (err: unknown) => logger.error("code_agents_not_applied", { error: String(err) }),
      ),
  });
  return {
    ...worker,
    agents,
    handle: (env, ctx, agentId, message) => handleMessage(env, ctx, { clock, logger, ready, notApplied: (id) => failureOf(lastReport, id) }, agentId, message),
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
