import type { Clock } from "../core/clock";
import { createModelClient } from "../llm/client";
import { loadPriceTable, type PriceTable } from "../llm/prices";
import { budgetPolicy } from "../cost/budget-ledger";
import { agentObject } from "../state/objects";
import { exactTier, rememberAnswer, ruleTier, similarTier } from "../cost/cache-tiers";
import { similarityBackend } from "../cost/similarity";
import { callBudget } from "../cost/call-budget";
import { pendingMessage } from "../trust/approvals";
import { type IntelligentDeps, intelligentTier } from "./intelligent";
import type { PipelineDeps } from "./process";

let priceCache: { source: string; table: PriceTable } | undefined;

/** The deployment's price table, parsed once per isolate per MODEL_PRICES value. */
export function prices(env: Pick<Env, "MODEL_PRICES">): PriceTable {
  const source = env.MODEL_PRICES ?? "";
  if (priceCache?.source !== source) priceCache = { source, table: loadPriceTable(source) };
  return priceCache.table;
}

/** Wires the pipeline to the worker's bindings for one request or queue batch. */
export function buildPipeline(
  env: Env,
  clock: Clock,
  defer: (p: Promise<unknown>) => void,
  hooks: { onStep?: IntelligentDeps["onStep"] } = {},
): PipelineDeps {
  const deps: PipelineDeps = {
    agents: env.AGENT_STATE,
    conversations: env.CONVERSATION,
    learningQueue: env.LEARNING_QUEUE,
    clock,
    newId: () => crypto.randomUUID(),
    defer,
    tiers: {},
    encryptionKeys: env.ENCRYPTION_KEYS,
  };
  const similarity = similarityBackend(env, (agentId) => agentObject(env, agentId));
  deps.tiers.rule = ruleTier(env.CACHE);
  deps.tiers.exact = exactTier(env.CACHE);
  deps.tiers.similar = similarTier(similarity);
  deps.afterAnswer = (ctx, answered) => rememberAnswer({ kv: env.CACHE, similarity }, ctx, answered);
  deps.tiers.intelligent = intelligentTier({
    client: createModelClient(env),
    prices: prices(env),
    workspace: env.WORKSPACE,
    onStep: hooks.onStep,
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
    budget: ({ message, agent }, price) =>
      callBudget(
        agentObject(env, message.agentId),
        price,
        budgetPolicy(agent.record.config).perRequestMicros,
        () => clock.now(),
      ),
  });
  return deps;
}
