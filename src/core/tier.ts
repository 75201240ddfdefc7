/**
 * The tier contract: what a step of the fallback chain gets and gives. A leaf module, so the
 * pipeline and every tier (cost's caches, the model, learned patterns) meet here and not in
 * each other.
 */
import type { AgentConfig } from "../config";
import type { AgentView } from "./agent";
import type { Micros } from "./money";
import type { MessageAccount } from "./protocol";
import type { NormalizedMessage, Tier, ToolCallRecord, ToolDenial, Turn, UrgencyVerdict } from "./types";

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

/**
 * One message on its way through the chain. Read-only for tiers: a tier that needs to remember
 * something about the message between `answer` and `afterAnswer` keeps it in its own memo
 * keyed by this object.
 */
export interface TierContext {
  readonly message: NormalizedMessage;
  readonly agent: AgentView;
  readonly interactionId: string;
  /** Earlier turns of the conversation given to the model (none when `maintainContext` is off). */
  readonly history: readonly Turn[];
  /** A condensed account of the conversation's turns older than `history`; empty when there are none. */
  readonly digest?: string;
  /** How urgent the message reads, when `detectUrgency` is on and it is not normal. */
  readonly urgency?: UrgencyVerdict;
  /** The message's account with its agent's object, for tiers that spend (the model). */
  readonly account: MessageAccount;
}

/** One step of the fallback chain. */
export interface TierHandler {
  answer(ctx: TierContext): Promise<TierAnswer | null>;
  /** Runs in the background once the message is answered (by any tier), e.g. to store the answer. */
  afterAnswer?(ctx: TierContext, answered: TierAnswer): Promise<unknown>;
}

export type TierName = AgentConfig["optimization"]["fallback"][number];

/** `cache` in the seed's chain stands for the three cache tiers, cheapest first. */
export function expandFallback(fallback: readonly TierName[]): TierName[] {
  return fallback.flatMap((t) => (t === "cache" ? (["rule", "exact", "similar"] as const) : [t]));
}
