/**
 * What an answered message leaves behind besides its answer: its audit events and its record on
 * the `learning` queue.
 */
import type { PendingAuditEvent } from "../core/audit";
import { sha256Hex } from "../core/crypto";
import { type InteractionRecord, MAX_LEARNABLE_CHARS } from "../core/messages";
import type { TierAnswer } from "../core/tier";
import type { NormalizedMessage, Outcome, Urgency } from "../core/types";
import { maskPiiFailClosed } from "../privacy/pii";
import type { PipelineDeps } from "./process";

/** What is known of an answered interaction besides the answer, for analytics and audit. */
export interface InteractionFacts {
  interactionId: string;
  outcome: Outcome;
  now: number;
  urgency: Urgency;
  /** The conversation's opaque id (`conversationHash`). */
  conversation: string;
}

/** Characters of masked tool arguments kept in an audit event. */
const MAX_AUDITED_INPUT = 2_000;

/**
 * The audit events of an answered message: `message.answered` (at `standard`: channel, tier,
 * outcome, model, tokens, cost, latency, urgency; no customer text) and one `tool.called` per
 * tool that ran (at `detailed`, arguments masked by the PII module, failing closed). Refused
 * and escalated calls are audited by the trust ledger itself.
 */
export async function interactionEvents(message: NormalizedMessage, answered: TierAnswer, at: InteractionFacts): Promise<PendingAuditEvent[]> {
  const actor = `customer:${message.channel}`;
  const events: PendingAuditEvent[] = [
    {
      level: "standard",
      event: {
        at: at.now,
        actor,
        action: "message.answered",
        resource: at.interactionId,
        decision: "recorded",
        details: {
          channel: message.channel,
          conversation: at.conversation,
          tier: answered.tier,
          outcome: at.outcome,
          model: answered.model ?? null,
          tokens: answered.usage ?? null,
          steps: answered.steps ?? 0,
          toolCalls: answered.toolCalls ?? 0,
          latencyMs: Math.max(0, Math.round(at.now - message.receivedAt)),
          urgency: at.urgency,
        },
        costMicros: answered.costMicros,
      },
    },
  ];
  for (const call of answered.calls ?? []) {
    if (!call.allowed) continue;
    const raw = JSON.stringify(call.input ?? null).slice(0, 16_000);
    const masked = (await maskPiiFailClosed(raw)).text;
    events.push({
      level: "detailed",
      event: {
        at: at.now,
        actor: "agent",
        action: "tool.called",
        resource: call.tool,
        decision: "allowed",
        details: { interactionId: at.interactionId, input: masked.slice(0, MAX_AUDITED_INPUT), isError: call.isError },
      },
    });
  }
  return events;
}

/** A conversation's opaque id in analytics and audit: no channel identifiers in the clear. */
export async function conversationHash(message: NormalizedMessage): Promise<string> {
  return (await sha256Hex(`${message.agentId}\u0000${message.channel}\u0000${message.conversationKey}`)).slice(0, 32);
}

/**
 * Sends the finished interaction to the `learning` queue. A learnable one (see
 * `InteractionRecord.learnable`) carries its question and answer, masked here, before they
 * leave the worker.
 */
export async function sendInteraction(
  deps: Pick<PipelineDeps, "learningQueue" | "logger">,
  message: NormalizedMessage,
  answered: TierAnswer,
  facts: InteractionFacts & { position: number; learnable: boolean; conversationObject: string | null },
): Promise<void> {
  const { interactionId, outcome, now, urgency } = facts;
  const interaction: InteractionRecord = {
    id: interactionId,
    agentId: message.agentId,
    channel: message.channel,
    deliveryId: message.deliveryId,
    conversationHash: facts.conversation,
    tier: answered.tier,
    model: answered.model ?? null,
    inputTokens: answered.usage?.input ?? 0,
    outputTokens: answered.usage?.output ?? 0,
    cacheWriteTokens: answered.usage?.cacheWrite ?? 0,
    cacheReadTokens: answered.usage?.cacheRead ?? 0,
    costMicros: answered.costMicros,
    steps: answered.steps ?? 0,
    toolCalls: answered.toolCalls ?? 0,
    deniedTools: answered.denials.map((d) => d.tool),
    outcome,
    createdAt: now,
    latencyMs: Math.max(0, Math.round(now - message.receivedAt)),
    urgency,
    position: facts.position,
    learnable: facts.learnable,
    question: facts.learnable ? await masked(message.text) : null,
    answer: facts.learnable ? await masked(answered.text) : null,
    conversationObject: facts.conversationObject,
  };
  try {
    await deps.learningQueue.send({ type: "interaction", interaction });
  } catch (err) {
    // The answer is already given; losing analytics must not fail it. Logged for the operator.
    deps.logger.error("learning_queue_send_failed", { interactionId, error: String(err) });
  }
}

/**
 * Feedback on an interaction goes to the learning queue too: negative feedback on an answer a
 * learned pattern gave counts against that pattern's rollout. Never fails the feedback itself.
 */
export async function sendFeedback(deps: Pick<PipelineDeps, "learningQueue" | "logger">, feedback: { agentId: string; interactionId: string; outcome: Outcome; at: number }): Promise<void> {
  try {
    await deps.learningQueue.send({ type: "feedback", feedback });
  } catch (err) {
    deps.logger.error("learning_queue_send_failed", { interactionId: feedback.interactionId, error: String(err) });
  }
}

/** Text as pattern learning keeps it: PII masked (failing closed), bounded. */
async function masked(text: string): Promise<string> {
  return (await maskPiiFailClosed(text)).text.slice(0, MAX_LEARNABLE_CHARS);
}
