import type { Clock } from "../core/clock";
import type { Logger } from "../core/logger";
import type { LearningMessage } from "../core/messages";
import { budgetPolicy } from "../cost/budget-ledger";
import { exactTier, ruleTier, similarTier } from "../cost/cache-tiers";
import { callBudget } from "../cost/call-budget";
import { loadPriceTable, type PriceTable } from "../cost/prices";
import { createModelClient } from "../llm/client";
import type { PatternStore } from "../learn/lifecycle";
import { patternTier } from "../learn/tier";
import { outboundAccess } from "../state/agent-secrets";
import { agentObject } from "../state/objects";
import { pendingMessage } from "../trust/approvals";
import { similarityBackend } from "../vectors/similarity";
import { type IntelligentDeps, intelligentTier } from "./intelligent";
import type { PipelineDeps } from "./process";
import { agentDb, type ShardBindings } from "../db/shards";

let priceCache: { source: string; table: PriceTable } | undefined;

/** The deployment's price table, parsed once per isolate per MODEL_PRICES value. */
export function prices(env: Pick<Env, "MODEL_PRICES">): PriceTable {
  const source = env.MODEL_PRICES ?? "";
  if (priceCache?.source !== source) priceCache = { source, table: loadPriceTable(source) };
  return priceCache.table;
}

/** What a request, a queue batch, an email or a cron run works with, built once for it. */
export interface Services {
  env: Env;
  clock: Clock;
  logger: Logger;
  /** Work that may finish after the response (the invocation's `waitUntil`). */
  defer(promise: Promise<unknown>): void;
  /** The message pipeline; `onStep` reports each model step (Slack's progress message). */
  pipeline(hooks?: { onStep?: IntelligentDeps["onStep"] }): PipelineDeps;
}

/**
 * The one service factory: every entry point that answers messages (the Hono middleware, the
 * work queue's consumer) builds its services here, from the bindings it was given.
 */
export function createServices(env: Env, opts: { clock: Clock; logger: Logger; defer(promise: Promise<unknown>): void }): Services {
  let base: PipelineDeps | undefined;
  const services: Services = {
    env,
    clock: opts.clock,
    logger: opts.logger,
    defer: opts.defer,
    pipeline(hooks = {}) {
      base ??= buildPipeline(env, opts.clock, opts.defer, opts.logger);
      if (!hooks.onStep) return base;
      return { ...base, tiers: { ...base.tiers, intelligent: modelTier(env, opts.clock, opts.logger, hooks.onStep) } };
    },
  };
  return services;
}

/** Wires the pipeline to the worker's bindings. */
function buildPipeline(env: Env, clock: Clock, defer: (p: Promise<unknown>) => void, logger: Logger): PipelineDeps {
  const similarity = similarityBackend(env);
  if (!similarity) logger.warn("similarity_cache_off", { reason: "a binding the EMBEDDINGS/VECTOR_INDEX choice needs is not bound" });
  const bound: Partial<Env> = env;
  const learningQueue = bound.LEARNING_QUEUE ?? noQueue<LearningMessage>(logger, "LEARNING_QUEUE");
  return {
    agents: env.AGENT_STATE,
    conversations: env.CONVERSATION,
    learningQueue,
    clock,
    logger,
    newId: () => crypto.randomUUID(),
    defer,
    encryptionKeys: env.ENCRYPTION_KEYS,
    tiers: {
      rule: ruleTier(env.CACHE, logger),
      exact: exactTier(env.CACHE, logger),
      ...(similarity ? { similar: similarTier(similarity, logger) } : {}),
      pattern: patternTier({ kv: env.CACHE, queue: learningQueue, logger }),
      intelligent: modelTier(env, clock, logger),
    },
  };
}

/** Where an agent's pattern changes are kept and announced: D1, the snapshot in KV, the agent's object. */
export async function patternStore(env: ShardBindings & Pick<Env, "CACHE" | "AGENT_STATE">, agentId: string): Promise<PatternStore> {
  return { db: await agentDb(env, agentId), kv: env.CACHE, changed: (input) => agentObject(env, agentId).patternsChanged(input) };
}

/** A queue binding that is not bound: messages are dropped with a log line, never an error in the answer. */
function noQueue<T>(logger: Logger, binding: string): Queue<T> {
  const drop = async () => {
    logger.warn("queue_binding_absent", { binding });
  };
  return { send: drop, sendBatch: drop } as unknown as Queue<T>;
}

function modelTier(env: Env, clock: Clock, logger: Logger, onStep?: IntelligentDeps["onStep"]) {
  return intelligentTier({
    client: createModelClient(env),
    prices: prices(env),
    workspace: env.WORKSPACE,
    logger,
    onStep,
    requestApproval: async ({ message, interactionId }, tool, toolInput) => {
      const approval = await agentObject(env, message.agentId).requestApproval({
        interactionId,
        tool,
        toolInput,
        channel: message.channel,
        conversationKey: message.conversationKey,
        now: clock.now(),
      });
      return pendingMessage(approval);
    },
    currentLevel: async ({ message }) => agentObject(env, message.agentId).trustLevelNow(),
    budget: ({ account, agent }, price) => callBudget(account, price, budgetPolicy(agent.record.config).perRequestMicros),
    mcpAccess: (agentId) => outboundAccess(agentId, env),
  });
}
