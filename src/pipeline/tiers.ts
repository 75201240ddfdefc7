import type { AgentConfig } from "../config";
import type { Micros } from "../core/money";
import type { NormalizedMessage, Tier, ToolDenial } from "../core/types";
import type { ToolCallRecord, Turn } from "../llm/tool-loop";
import type { UrgencyVerdict } from "../channels/urgency";
import type { PendingEntry } from "../cost/cache-tiers";
import type { AgentSnapshot } from "../state/agent-record";

/** A tier's answer, or null to pass the message to the next tier. */
export interface TierAnswer {
  tier: Tier;
  text: string;
  costMicros: Micros;
  /** Model, tokens and tool activity when the model was called. */
  model?: string;
  usage?: { input: number; output: number; cacheWrite: number; cacheRead: number };
  steps?: number;
  toolCalls?: number;
  /** Each tool call of the answer, arguments raw (mask before keeping). */
  calls?: ToolCallRecord[];
  denials: ToolDenial[];
  /** Tool calls waiting for a person's approval. */
  escalations?: string[];
  /** Whether the answer failed its purpose (model cut off, tool loop exhausted). */
  failed: boolean;
  /** False when the outcome says nothing about the agent (the budget ran out): no trust outcome is recorded. */
  countsForTrust?: boolean;
  /** Whether a tool with side effects ran; such answers are never cached. */
  sideEffects?: boolean;
  /** Whether the answer is complete and made with every tool working, so it may be reused. */
  reusable?: boolean;
}

export interface TierContext {
  message: NormalizedMessage;
  agent: AgentSnapshot;
  interactionId: string;
  /** Earlier turns of the conversation given to the model (none when `maintainContext` is off). */
  history: Turn[];
  /** A condensed account of the conversation's turns older than `history`; empty when there are none. */
  digest?: string;
  /** How urgent the message reads, when `detectUrgency` is on and it is not normal. */
  urgency?: UrgencyVerdict;
  /** A similarity-cache entry this message met before it was confirmed; the answer is compared with it. */
  pending?: PendingEntry;
}

/** One step of the fallback chain. */
export interface TierHandler {
  answer(ctx: TierContext): Promise<TierAnswer | null>;
}

export type TierName = AgentConfig["optimization"]["fallback"][number];

/** `cache` in the seed's chain stands for the three cache tiers, cheapest first. */
export function expandFallback(fallback: readonly TierName[]): TierName[] {
  return fallback.flatMap((t) => (t === "cache" ? (["rule", "exact", "similar"] as const) : [t]));
}
