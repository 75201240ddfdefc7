import type Anthropic from "@anthropic-ai/sdk";
import { openAgentTools } from "../llm/agent-tools";
import { type PriceTable, priceFor } from "../llm/prices";
import { runToolLoop, type Turn } from "../llm/tool-loop";
import { checkTool } from "../trust/permissions";
import type { TierAnswer, TierContext, TierHandler } from "./tiers";

/** Said when the model produced no text (only tool calls, or it was cut off). */
export const NO_TEXT_REPLY = "Sorry, I could not finish answering that. A person will follow up.";

export interface IntelligentDeps {
  client: Anthropic;
  prices: PriceTable;
  workspace: R2Bucket;
  /** Recent turns of the message's conversation. */
  history(ctx: TierContext): Promise<Turn[]>;
  onStep?(ctx: TierContext, step: number, tools: string[]): void | Promise<void>;
  /** Files an approval request for an `ask` tool; returns what the model is told. */
  requestApproval?(ctx: TierContext, tool: string, toolInput: unknown): Promise<string>;
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
      const agentTools = await openAgentTools(record);
      const result = await runToolLoop({
        client: deps.client,
        model: record.model,
        maxTokens: config.maxTokens,
        system: record.systemPrompt,
        history: await deps.history(ctx),
        userText: ctx.message.text,
        tools: agentTools.tools,
        permit: (tool) =>
          checkTool(tool, { level: trustLevel, permissions: config.trust.permissions, deny: config.trust.deny, ask: config.trust.ask }),
        requestApproval: deps.requestApproval ? (tool, toolInput) => deps.requestApproval!(ctx, tool, toolInput) : undefined,
        trustLevel,
        maxSteps: config.tools.maxSteps,
        toolContext: { agentId: record.agentId, workspace: deps.workspace },
        price: priceFor(record.model, deps.prices).price,
        userId: record.agentId,
        onStep: deps.onStep ? (step, tools) => deps.onStep?.(ctx, step, tools) : undefined,
      }).finally(() => agentTools.close());
      return {
        tier: "intelligent",
        text: result.text || NO_TEXT_REPLY,
        costMicros: result.costMicros,
        model: record.model,
        usage: {
          input: result.usage.input,
          output: result.usage.output,
          cacheWrite: result.usage.cacheWrite5m + result.usage.cacheWrite1h,
          cacheRead: result.usage.cacheRead,
        },
        steps: result.steps,
        toolCalls: result.toolCalls.length,
        denials: result.denials,
        escalations: result.escalations,
        failed: result.stopReason === "max_steps" || result.text === "",
      };
    },
  };
}
