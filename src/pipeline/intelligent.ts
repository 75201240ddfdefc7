import type Anthropic from "@anthropic-ai/sdk";
import type { AgentConfig } from "../config";
import type { SecretLookup } from "../core/agent";
import type { Logger } from "../core/logger";
import { BudgetDeniedError, type CallBudget } from "../cost/call-budget";
import { openAgentTools } from "../llm/agent-tools";
import { type ModelPrice, type PriceTable, priceFor } from "../cost/prices";
import { runToolLoop } from "../llm/tool-loop";
import { checkTool } from "../trust/permissions";
import type { TierAnswer, TierContext, TierHandler } from "../core/tier";

/** Said when the model produced no text (only tool calls, or it was cut off). */
export const NO_TEXT_REPLY = "Sorry, I could not finish answering that. A person will follow up.";

export interface IntelligentDeps {
  client: Anthropic;
  prices: PriceTable;
  workspace: R2Bucket;
  logger?: Logger;
  onStep?(ctx: TierContext, step: number, tools: string[]): void | Promise<void>;
  /** Files an approval request for an `ask` tool; returns what the model is told. */
  requestApproval?(ctx: TierContext, tool: string, toolInput: unknown): Promise<string>;
  /** The agent's trust level now, read before each tool step when no budget reservation brings it. */
  currentLevel?(ctx: TierContext): Promise<number>;
  /** The budget that guards this answer's model calls (its reservations bring the level too). */
  budget?(ctx: TierContext, price: ModelPrice): CallBudget;
  /** How MCP servers reach the agent's secrets, and whether they may be on private addresses. */
  mcpAccess?(agentId: string): { secret: SecretLookup; allowPrivateUrls: boolean };
}

/** Asks for brevity where the channel is short: SMS with `short_responses`. */
function channelHint(ctx: TierContext): string {
  if (ctx.message.channel !== "sms") return "";
  const sms = ctx.agent.record.config.channels.find((c) => c.type === "sms");
  if (sms?.type !== "sms" || !sms.features.includes("short_responses")) return "";
  return "\n\nThis conversation is by SMS: answer in plain text, in one to three short sentences, without Markdown.";
}

/**
 * What the model is told beyond the cached system prompt: the digest of older turns, and how
 * urgent the message reads (a critical one should be acknowledged and handed to a person).
 */
function systemContext(ctx: TierContext): string | undefined {
  const parts: string[] = [];
  if (ctx.digest) parts.push(`Earlier in this conversation (condensed):\n${ctx.digest}`);
  if (ctx.urgency?.urgency === "critical") {
    const alerted = ctx.agent.record.config.messageHandling.urgencyAlert !== "off";
    parts.push(
      `This message reads as critical (fraud, theft, safety or an outage). Acknowledge it first and say what the customer can do right now${alerted ? "; a person has been alerted and will follow up" : ""}.`,
    );
  } else if (ctx.urgency?.urgency === "high") {
    parts.push("This message reads as urgent. Acknowledge the urgency and answer the most pressing point first.");
  }
  return parts.length > 0 ? parts.join("\n\n") : undefined;
}

/** Characters up to which a message counts as simple when `optimization.routing` sets no `maxChars`. */
export const DEFAULT_SIMPLE_MAX_CHARS = 160;

/** The model for a message: the routing's cheaper model for short messages, else the agent's. */
export function chooseModel(agentModel: string, config: AgentConfig, text: string): string {
  const routing = config.optimization.routing;
  if (!routing) return agentModel;
  return text.length <= (routing.maxChars ?? DEFAULT_SIMPLE_MAX_CHARS) ? routing.simpleModel : agentModel;
}

/**
 * The intelligent tier: Claude with the agent's tools, each call checked against the trust
 * level's permissions before it runs.
 */
export function intelligentTier(deps: IntelligentDeps): TierHandler {
  return {
    async answer(ctx): Promise<TierAnswer> {
      const { record, trustLevel } = ctx.agent;
      const { config } = record;
      const policyAt = (level: number) => ({ level, permissions: config.trust.permissions, deny: config.trust.deny, ask: config.trust.ask });
      const model = chooseModel(record.model, config, ctx.message.text);
      const price = priceFor(model, deps.prices).price;
      const agentTools = await openAgentTools(record, deps.logger, deps.mcpAccess?.(record.agentId));
      const result = await runToolLoop({
        client: deps.client,
        model,
        maxTokens: config.maxTokens,
        system: record.systemPrompt + channelHint(ctx),
        systemContext: systemContext(ctx),
        history: ctx.history,
        userText: ctx.message.text,
        tools: agentTools.tools,
        permit: (tool) => checkTool(tool, policyAt(trustLevel)),
        permitAt: (level, tool) => checkTool(tool, policyAt(level)),
        ...(deps.currentLevel ? { currentLevel: () => deps.currentLevel!(ctx) } : {}),
        requestApproval: deps.requestApproval ? (tool, toolInput) => deps.requestApproval!(ctx, tool, toolInput) : undefined,
        trustLevel,
        maxSteps: config.tools.maxSteps,
        toolContext: { agentId: record.agentId, workspace: deps.workspace, conversation: { channel: ctx.message.channel, key: ctx.message.conversationKey } },
        price,
        userId: record.agentId,
        budget: deps.budget?.(ctx, price),
        onStep: deps.onStep ? (step, tools) => deps.onStep?.(ctx, step, tools) : undefined,
      })
        .catch((err: unknown) => {
          if (err instanceof BudgetDeniedError) return err;
          throw err;
        })
        .finally(() => agentTools.close());
      if (result instanceof BudgetDeniedError) {
        // Final for this message: a polite reply, not an error a client or queue would retry.
        return {
          tier: "fallback",
          text: config.optimization.budget.exhaustedReply,
          costMicros: 0,
          denials: [],
          failed: false,
          countsForTrust: false,
          sideEffects: false,
        };
      }
      return {
        tier: "intelligent",
        text: result.text || (result.stopReason === "budget" ? config.optimization.budget.exhaustedReply : NO_TEXT_REPLY),
        costMicros: result.costMicros,
        model,
        usage: {
          input: result.usage.input,
          output: result.usage.output,
          cacheWrite: result.usage.cacheWrite5m + result.usage.cacheWrite1h,
          cacheRead: result.usage.cacheRead,
        },
        steps: result.steps,
        toolCalls: result.toolCalls.length,
        calls: result.toolCalls,
        denials: result.denials,
        escalations: result.escalations,
        failed: result.stopReason === "max_steps" || result.text === "",
        // Running out of per-request budget says nothing about the agent's behaviour.
        ...(result.stopReason === "budget" ? { failed: true, countsForTrust: false } : {}),
        sideEffects: result.sideEffects,
        // A cut-off or refused answer, or one made while a tool failed, must not be served to others.
        reusable:
          result.stopReason === "end_turn" && agentTools.errors.length === 0 && result.toolCalls.every((c) => !c.isError),
      };
    },
  };
}
