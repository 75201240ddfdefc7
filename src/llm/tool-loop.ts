import type Anthropic from "@anthropic-ai/sdk";
import { APIError } from "@anthropic-ai/sdk";
import { inputTokenBound } from "../cost/budget";
import { BudgetDeniedError, type CallBudget, type CallSlot, type Denied } from "../cost/call-budget";
import type { Micros } from "../core/money";
import type { ToolCallRecord, ToolDenial, Turn } from "../core/types";
import type { PermissionDecision } from "../trust/permissions";
import { addUsage, costMicros, type ModelPrice, tokenUsage, type TokenUsage, ZERO_USAGE } from "../cost/prices";
import type { ToolContext, ToolDefinition } from "./tools";

export type { ToolCallRecord, Turn } from "../core/types";

export interface ToolLoopInput {
  client: Anthropic;
  model: string;
  maxTokens: number;
  system: string;
  /** Sent after the system prompt, outside its cache breakpoint: changes with every turn (the conversation digest). */
  systemContext?: string;
  /** Earlier turns of this conversation, oldest first. */
  history: readonly Turn[];
  userText: string;
  /** Every tool the agent has; only the permitted ones are offered to the model. */
  tools: readonly ToolDefinition[];
  /** The trust level's permissions at the start of the answer: decides which tools are offered. */
  permit(tool: string): PermissionDecision;
  /**
   * The permissions at a given level, asked before each tool step with the level as it is then:
   * an operator or a rule may have lowered it while the model was answering. Without it every
   * call is checked with `permit`.
   */
  permitAt?(level: number, tool: string): PermissionDecision;
  /** The level now, for the check before a tool step when no budget reservation brought it. */
  currentLevel?(): Promise<number>;
  /** The level `permit` enforces, recorded with each denial. */
  trustLevel: number;
  maxSteps: number;
  toolContext: ToolContext;
  price: ModelPrice;
  /** Sent as `metadata.user_id`: an opaque id of the agent, never customer data. */
  userId: string;
  /**
   * Files a request for a person to approve an `ask` tool call; returns what the model is told.
   * Without it, `ask` calls are refused like any other.
   */
  requestApproval?(tool: string, toolInput: unknown): Promise<string>;
  /** Reserves each model call under the agent's budgets; without it calls are not limited. */
  budget?: CallBudget;
  /** Called after each model call, for progress reporting. */
  onStep?(step: number, toolNames: string[]): void | Promise<void>;
}


export interface ToolLoopResult {
  text: string;
  /** The model's last stop reason, `max_steps` when the loop was cut off, `budget` when money ran out. */
  stopReason: string;
  /** Model calls made. */
  steps: number;
  usage: TokenUsage;
  costMicros: Micros;
  toolCalls: ToolCallRecord[];
  denials: ToolDenial[];
  /** `ask` tool calls handed to a person for approval. */
  escalations: string[];
  /** Whether a tool that changes something outside the conversation ran. */
  sideEffects: boolean;
}

type ContentBlock = Anthropic.ContentBlock;
type ToolResultBlock = Anthropic.ToolResultBlockParam;

function textOf(content: readonly ContentBlock[]): string {
  return content
    .flatMap((b) => (b.type === "text" ? [b.text] : []))
    .join("\n")
    .trim();
}

/** The API requires a conversation to open with a user turn and alternate. */
function toMessages(history: readonly Turn[], userText: string): Anthropic.MessageParam[] {
  const messages: Anthropic.MessageParam[] = [];
  for (const turn of history) {
    const last = messages.at(-1);
    if (!last && turn.role === "assistant") continue;
    if (last && last.role === turn.role) {
      last.content = `${last.content as string}\n\n${turn.text}`;
    } else {
      messages.push({ role: turn.role, content: turn.text });
    }
  }
  if (messages.at(-1)?.role === "user") messages.pop();
  messages.push({ role: "user", content: userText });
  return messages;
}

const partials = new WeakMap<object, ToolLoopResult>();

/** What a loop that threw had done before it failed (its denials must still be recorded). */
export function partialResultOf(err: unknown): ToolLoopResult | undefined {
  return typeof err === "object" && err !== null ? partials.get(err) : undefined;
}

/**
 * Runs Claude with tools until it answers or `maxSteps` model calls are spent. The system
 * prompt and tool definitions carry `cache_control`, so repeated calls read them from the
 * prompt cache. Every tool call passes `permit` first; a refused call is not run and the model
 * gets an error tool_result that says why.
 */
export async function runToolLoop(input: ToolLoopInput): Promise<ToolLoopResult> {
  // Tools a person may approve are offered too: the model can only request what it knows.
  const offered = input.tools.filter((t) => {
    const decision = input.permit(t.name);
    return decision.allowed || (decision.ask === true && input.requestApproval !== undefined);
  });
  const byName = new Map(input.tools.map((t) => [t.name, t]));
  const apiTools: Anthropic.Tool[] = offered.map((t, i) => ({
    name: t.name,
    description: t.description,
    input_schema: t.inputSchema,
    ...(i === offered.length - 1 ? { cache_control: { type: "ephemeral" as const } } : {}),
  }));
  const system: Anthropic.TextBlockParam[] = [
    ...(input.system ? [{ type: "text" as const, text: input.system, cache_control: { type: "ephemeral" as const } }] : []),
    ...(input.systemContext ? [{ type: "text" as const, text: input.systemContext }] : []),
  ];
  const messages = toMessages(input.history, input.userText);

  const result: ToolLoopResult = {
    text: "",
    stopReason: "",
    steps: 0,
    usage: ZERO_USAGE,
    costMicros: 0,
    toolCalls: [],
    denials: [],
    escalations: [],
    sideEffects: false,
  };
  try {
    return await loop(input, { byName, apiTools, system, messages }, result);
  } catch (err) {
    if (typeof err === "object" && err !== null) partials.set(err, result);
    throw err;
  }
}

/**
 * Bytes of tool results assumed per call when the next model call is reserved before the tools
 * run; a larger result grows the reservation before the call.
 */
const TOOL_RESULT_ALLOWANCE = 4_096;

async function loop(
  input: ToolLoopInput,
  prepared: { byName: ReadonlyMap<string, ToolDefinition>; apiTools: Anthropic.Tool[]; system: Anthropic.TextBlockParam[]; messages: Anthropic.MessageParam[] },
  result: ToolLoopResult,
): Promise<ToolLoopResult> {
  const { byName, apiTools, system, messages } = prepared;
  const params = () => ({
    model: input.model,
    max_tokens: input.maxTokens,
    messages,
    ...(system.length ? { system } : {}),
    ...(apiTools.length ? { tools: apiTools } : {}),
    metadata: { user_id: input.userId },
  });
  const bound = () => inputTokenBound(JSON.stringify(params()));
  let slot: CallSlot | Denied | null = input.budget ? await input.budget.reserve(bound(), input.maxTokens) : null;
  while (true) {
    if (slot && "denied" in slot) {
      // Before any call the answer is the budget reply; mid-loop the answer ends with what it has.
      if (result.steps === 0) throw new BudgetDeniedError(slot.denied);
      result.stopReason = "budget";
      return result;
    }
    let response: Anthropic.Message;
    try {
      response = await input.client.messages.create({ ...params(), max_tokens: slot?.maxTokens ?? input.maxTokens });
    } catch (err) {
      // The API does not bill a request it answered with an error; a timeout or lost
      // connection may have been billed, so its worst case is charged.
      if (err instanceof APIError && err.status !== undefined) slot?.release();
      else slot?.settle(slot.reservedMicros);
      throw err;
    }
    result.steps += 1;
    const usage = tokenUsage(response.usage);
    result.usage = addUsage(result.usage, usage);
    const cost = costMicros(usage, input.price);
    result.costMicros += cost;
    slot?.settle(cost);
    result.stopReason = response.stop_reason ?? "end_turn";
    const text = textOf(response.content);
    if (text) result.text = text;

    const calls = response.content.filter((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
    await input.onStep?.(result.steps, calls.map((c) => c.name));
    const wantsMore = response.stop_reason === "tool_use" || response.stop_reason === "pause_turn";
    if (!wantsMore) return result;
    if (result.steps >= input.maxSteps) {
      result.stopReason = "max_steps";
      return result;
    }

    messages.push({ role: "assistant", content: response.content as Anthropic.ContentBlockParam[] });
    if (calls.length === 0) {
      // pause_turn: send the turn back so the model resumes.
      slot = input.budget ? await input.budget.reserve(bound(), input.maxTokens) : null;
      continue;
    }
    // A tool step. The next call is reserved before the tools run, and the same round trip
    // brings the trust level as it is now, which every call of the step is checked against.
    let next: CallSlot | Denied | null = input.budget ? await input.budget.reserve(bound() + TOOL_RESULT_ALLOWANCE * calls.length, input.maxTokens) : null;
    const level = next?.level ?? (input.currentLevel ? await input.currentLevel() : undefined);
    const permitNow = (tool: string) => (level !== undefined && input.permitAt ? input.permitAt(level, tool) : input.permit(tool));
    const results: ToolResultBlock[] = [];
    for (const call of calls) results.push(await runCall(call, input, permitNow, byName, result));
    messages.push({ role: "user", content: results });
    if (input.budget && next) {
      // The estimate may be too small (a large tool result), or too large for what is left.
      next = "denied" in next ? await input.budget.reserve(bound(), input.maxTokens) : await input.budget.cover(next, bound(), input.maxTokens);
    }
    slot = next;
  }
}

async function runCall(
  call: Anthropic.ToolUseBlock,
  input: ToolLoopInput,
  permitNow: (tool: string) => PermissionDecision,
  byName: ReadonlyMap<string, ToolDefinition>,
  result: ToolLoopResult,
): Promise<ToolResultBlock> {
  const reply = (content: string, isError: boolean): ToolResultBlock => ({
    type: "tool_result",
    tool_use_id: call.id,
    content,
    is_error: isError,
  });
  const decision = permitNow(call.name);
  if (!decision.allowed && decision.ask && input.requestApproval) {
    result.escalations.push(call.name);
    result.toolCalls.push({ tool: call.name, allowed: false, isError: false, input: call.input });
    return reply(await input.requestApproval(call.name, call.input), false);
  }
  if (!decision.allowed) {
    result.denials.push({ tool: call.name, level: input.trustLevel, reason: decision.reason });
    result.toolCalls.push({ tool: call.name, allowed: false, isError: true, input: call.input });
    return reply(`permission denied: ${decision.reason}`, true);
  }
  const tool = byName.get(call.name);
  if (!tool) {
    result.toolCalls.push({ tool: call.name, allowed: true, isError: true, input: call.input });
    return reply(`unknown tool "${call.name}"`, true);
  }
  try {
    const out = await tool.run(call.input, input.toolContext);
    if (tool.sideEffect && !out.isError) result.sideEffects = true;
    result.toolCalls.push({ tool: call.name, allowed: true, isError: out.isError, input: call.input });
    return reply(out.content, out.isError);
  } catch (err) {
    // A failed write may still have happened; assume it did.
    if (tool.sideEffect) result.sideEffects = true;
    result.toolCalls.push({ tool: call.name, allowed: true, isError: true, input: call.input });
    return reply(`tool failed: ${err instanceof Error ? err.message : String(err)}`, true);
  }
}
