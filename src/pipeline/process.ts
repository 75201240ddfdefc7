import { APIError } from "@anthropic-ai/sdk";
import type { AgentView } from "../core/agent";
import type { ClaimAttempt, ClaimRefusal } from "../core/claims";
import type { Clock } from "../core/clock";
import { sha256Hex } from "../core/crypto";
import { AppError } from "../core/errors";
import type { Logger } from "../core/logger";
import type { LearningMessage } from "../core/messages";
import { ClaimRefusedError } from "../core/protocol";
import { expandFallback, type TierAnswer, type TierContext, type TierHandler, type TierName } from "../core/tier";
import type { Answer, NormalizedMessage, Outcome } from "../core/types";
import { providerOutage } from "../llm/client";
import { partialResultOf } from "../llm/tool-loop";
import { isSealed, loadKeyring, open, sealWith } from "../privacy/encryption";
import type { AgentState } from "../state/agent-state";
import type { Conversation, ConversationContext } from "../state/conversation";
import { agentObject, conversationObject } from "../state/objects";
import { messageAccount } from "./account";
import { conversationHash, type InteractionFacts, interactionEvents, sendInteraction } from "./interaction";
import { shareableAnswer } from "../cost/cache-tiers";
import { detectUrgency } from "./urgency";

/** Said when every tier in the chain passed. */
export const NO_TIER_REPLY = "Sorry, I can't answer that right now. A person will follow up.";

export interface PipelineDeps {
  agents: DurableObjectNamespace<AgentState>;
  conversations: DurableObjectNamespace<Conversation>;
  learningQueue: Queue<LearningMessage>;
  /** Every tier the deployment has; the agent's `fallback` chain picks and orders them. */
  tiers: Partial<Record<TierName, TierHandler>>;
  clock: Clock;
  logger: Logger;
  newId(): string;
  /** Work that may finish after the answer is sent. */
  defer(promise: Promise<unknown>): void;
  /** The ENCRYPTION_KEYS secret, for answers kept for replays when encryption is on. */
  encryptionKeys?: string;
}

/**
 * Answers one message: walks the fallback chain until a tier answers, then ends it in one
 * round trip to the agent's object (`finish`: the answer kept for replays, the outcome, the
 * audit events), appends the turns for context, and sends the interaction to the learning
 * queue. A repeat of an answered delivery replays its stored answer; a failure gives the
 * delivery back so a retry can answer.
 */
export async function processMessage(deps: PipelineDeps, message: NormalizedMessage, agent: AgentView): Promise<Answer> {
  const answer = await answerMessage(deps, message, agent, "all");
  if (!answer) throw new Error("unreachable: a full chain always answers");
  return answer;
}

/** Tiers that answer without the model: fast enough to answer inside a provider's webhook. */
const CHEAP_TIERS: readonly TierName[] = ["rule", "exact", "similar", "pattern"];

/**
 * Answers a message only if a tier without the model can (rules, caches, learned patterns);
 * otherwise returns null having claimed nothing, so the message can go through the full chain
 * later (from a queue) under the same delivery id. A duplicate replays its stored answer.
 */
export async function processIfCheap(deps: PipelineDeps, message: NormalizedMessage, agent: AgentView): Promise<Answer | null> {
  return answerMessage(deps, message, agent, "cheap");
}

type TierSet = "all" | "cheap" | "model";

async function answerMessage(deps: PipelineDeps, message: NormalizedMessage, agent: AgentView, tiers: TierSet): Promise<Answer | null> {
  const urgency = agent.record.config.messageHandling.detectUrgency
    ? detectUrgency({ text: message.text, channel: message.channel, subject: message.subject, priorityHeader: message.priority })
    : null;
  // A critical message (fraud, theft, safety, an outage) gets a fresh answer, never a stored one.
  if (urgency?.urgency === "critical") {
    if (tiers === "cheap") return null;
    tiers = "model";
  }
  const stub = agentObject({ AGENT_STATE: deps.agents }, message.agentId);
  const claim: ClaimAttempt = {
    deliveryId: message.deliveryId,
    fingerprint: await sha256Hex(`${message.channel}\u0000${message.conversationKey}\u0000${message.text}`),
    owner: deps.newId(),
    senderKey: await senderKeyOf(message),
  };
  const { maintainContext, contextTurns } = agent.record.config.messageHandling;
  const conversation = maintainContext ? conversationObject(deps.conversations, message) : null;
  // One message of a conversation is answered at a time, in order of arrival: a follow-up sent
  // while the previous answer is being made waits for it, and then sees it.
  const context = conversation ? await conversation.begin(message.deliveryId, TURN_WAIT_MS, contextTurns) : { digest: "", turns: [] };
  if (!context) {
    throw new AppError("conversation_busy", "an earlier message of this conversation is still being answered; try again shortly", {
      retryAfter: 5,
    });
  }
  const turn: Turn = { stub, claim, tiers, conversation, context, urgency: urgency ?? null, keepTurn: false, ended: false };
  try {
    return await answerInTurn(deps, message, agent, turn);
  } finally {
    // The turn is this delivery's; another attempt at the same delivery may be holding it.
    if (!turn.ended && !turn.keepTurn) await conversation?.endTurn(message.deliveryId).catch(() => {});
  }
}

/** How long a message waits for an earlier one of its conversation before giving up (and being retried). */
export const TURN_WAIT_MS = 60_000;

interface Turn {
  stub: ReturnType<typeof agentObject>;
  claim: ClaimAttempt;
  tiers: TierSet;
  conversation: ReturnType<typeof conversationObject> | null;
  context: ConversationContext;
  urgency: ReturnType<typeof detectUrgency> | null;
  /** Set when another attempt at this delivery holds the conversation's turn. */
  keepTurn: boolean;
  /** Set once the conversation's turn was handed on with the stored answer. */
  ended: boolean;
}

async function answerInTurn(deps: PipelineDeps, message: NormalizedMessage, agent: AgentView, turn: Turn): Promise<Answer | null> {
  const { stub, claim, conversation, context, urgency } = turn;
  const interactionId = deps.newId();
  const account = messageAccount(stub, claim, deps.clock);
  const ctx: TierContext = { message, agent, interactionId, history: context.turns, digest: context.digest, account, ...(urgency ? { urgency } : {}) };
  let answered: TierAnswer;
  try {
    const chained = await runChain(deps.tiers, turn.tiers, agent, ctx);
    // Nothing was claimed on the way: the cheap tiers never reserve.
    if (!chained && turn.tiers === "cheap") return null;
    answered = chained ?? { tier: "fallback", text: NO_TIER_REPLY, costMicros: 0, denials: [], failed: true };
  } catch (err) {
    if (err instanceof ClaimRefusedError) return refused(deps, message, turn, err.refusal);
    // Tool calls refused before the failure are still recorded (and audited); the claim is given back.
    // A provider outage says nothing of the agent: it records no outcome, so it cannot move trust.
    const denials = partialResultOf(err)?.denials ?? [];
    const outage = providerOutage(err);
    await stub.finish({ now: deps.clock.now(), claim, ...account.drain(), ...(outage ? {} : { outcome: { interactionId, outcome: "error" as const, denials } }) });
    throw toAppError(err);
  }

  const answer: Answer = { interactionId, text: answered.text, tier: answered.tier, costMicros: answered.costMicros, trustLevel: agent.trustLevel };
  const now = deps.clock.now();
  const outcome = outcomeOf(answered);
  const { config } = agent.record;
  const facts: InteractionFacts = { interactionId, outcome, now, urgency: urgency?.urgency ?? "normal", conversation: await conversationHash(message) };
  const [response, events] = await Promise.all([storedAnswer(deps, message, answer, config.audit.compliance.encryption), interactionEvents(message, answered, facts)]);
  const finishing = stub.finish({
    now,
    claim,
    response,
    ...account.drain(),
    // Every answer keeps its outcome for feedback; only the model's measure the agent's trust.
    ...(answered.countsForTrust === false ? {} : { outcome: { interactionId, outcome, denials: answered.denials, counts: answered.tier === "intelligent" } }),
    events,
    ...(urgency && urgency.urgency !== "normal"
      ? { urgent: { interactionId, channel: message.channel, conversation: facts.conversation, urgency: urgency.urgency, cues: urgency.cues } }
      : {}),
  });
  // The turns are appended after the answer is sent: the append ends this message's turn, so
  // a follow-up of the conversation waits for it and still sees this answer.
  const appendTurns = () => {
    if (!conversation) return;
    turn.ended = true;
    const turns = [
      { role: "user" as const, text: message.text },
      { role: "assistant" as const, text: answer.text },
    ];
    deps.defer(
      conversation.append(turns, now, message.deliveryId, { encrypt: config.audit.compliance.encryption }).catch(async (err: unknown) => {
        deps.logger.error("conversation_append_failed", { interactionId, error: String(err) });
        await conversation.endTurn(message.deliveryId).catch(() => {});
      }),
    );
  };
  // A reservation already holds the claim, so finishing cannot lose it: the turns go at once. An
  // answer no model made takes its claim in `finish`, and its turns are kept only if it won.
  if (account.claimed) {
    appendTurns();
    await finishing;
  } else {
    const reply = await finishing;
    if (reply.kind !== "done") return refused(deps, message, turn, reply);
    appendTurns();
  }
  const learnable = config.learning.enabled && shareableAnswer(ctx, answered);
  // The object's id lets an admin find the turns from the conversation's hash (its name would not: it holds the key).
  const conversationObject = conversation ? conversation.id.toString() : null;
  deps.defer(sendInteraction(deps, message, answered, { ...facts, position: context.turns.length, learnable, conversationObject }));
  for (const [name, tier] of Object.entries(deps.tiers)) {
    if (!tier.afterAnswer) continue;
    deps.defer(tier.afterAnswer(ctx, answered).catch((err: unknown) => deps.logger.error("after_answer_failed", { tier: name, interactionId, error: String(err) })));
  }
  deps.logger.info("message.answered", {
    agentId: message.agentId,
    channel: message.channel,
    tier: answer.tier,
    outcome,
    costMicros: answer.costMicros,
    latencyMs: Math.max(0, Math.round(deps.clock.now() - message.receivedAt)),
    interactionId,
  });
  return answer;
}

/**
 * Another attempt holds or answered this delivery: a finished one's stored answer is replayed,
 * one still in flight is retried later, and an id reused for another message is refused.
 */
async function refused(deps: PipelineDeps, message: NormalizedMessage, turn: Turn, refusal: ClaimRefusal): Promise<Answer> {
  if (refusal.kind === "duplicate") {
    const ring = isSealed(refusal.response) ? await loadKeyring(deps.encryptionKeys) : null;
    return JSON.parse(await open(ring, refusal.response, replayContext(message))) as Answer;
  }
  if (refusal.kind === "rate_limited") throw rateLimited(refusal);
  if (refusal.kind === "conflict") {
    throw new AppError("conflict", `message id "${message.deliveryId}" was already used for a different message`);
  }
  turn.keepTurn = true;
  throw new AppError("duplicate_in_flight", `message "${message.deliveryId}" is already being answered`, {
    retryAfter: Math.max(1, Math.ceil(refusal.retryAfterMs / 1000)),
  });
}

/** Told once per window to a sender over the rate limits, on channels that answer later. */
export const RATE_LIMIT_NOTICE = "We're getting a lot of messages from you right now, so replies are paused for a few minutes. Please write again a little later.";

/** The rate limits' key for a message's sender: a hash of the channel and the sender, never the address. */
export async function senderKeyOf(message: Pick<NormalizedMessage, "channel" | "sender">): Promise<string> {
  return (await sha256Hex(`rate\u0000${message.channel}\u0000${message.sender}`)).slice(0, 32);
}

/** A message refused by the rate limits: 429 with Retry-After; `details.notify` on the window's first. */
export function rateLimited(refusal: { scope: "sender" | "agent"; retryAfterMs: number; notify: boolean }): AppError {
  const retryAfter = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  const whose = refusal.scope === "sender" ? "this sender sent too many messages" : "this agent is receiving too many messages";
  return new AppError("rate_limited", `${whose}; try again in ${retryAfter} s (messageHandling.rateLimits)`, {
    retryAfter,
    details: { scope: refusal.scope, notify: refusal.notify },
  });
}

/** Whether an error is a rate-limit refusal (from `rateLimited`). */
export function isRateLimited(err: unknown): err is AppError & { details: { scope: "sender" | "agent"; notify: boolean } } {
  return err instanceof AppError && err.code === "rate_limited";
}

/** An interaction's outcome for the trust rules: the worst thing that happened in it. */
export function outcomeOf(answered: Pick<TierAnswer, "failed" | "denials" | "escalations">): Outcome {
  if (answered.failed) return "error";
  if ((answered.escalations?.length ?? 0) > 0) return "escalated";
  if (answered.denials.length > 0) return "denied";
  return "success";
}

async function runChain(tiers: PipelineDeps["tiers"], set: TierSet, agent: AgentView, ctx: TierContext): Promise<TierAnswer | null> {
  for (const name of expandFallback(agent.record.config.optimization.fallback)) {
    if (set !== "all" && CHEAP_TIERS.includes(name) !== (set === "cheap")) continue;
    const handler = tiers[name];
    if (!handler) continue;
    const answer = await handler.answer(ctx);
    if (answer) return answer;
  }
  return null;
}

/**
 * Model failures the SDK gave up retrying (429, 5xx, 529, no connection) become a retryable 503,
 * waiting the provider's `retry-after` when it sent one. Other 4xx mean the request itself is
 * wrong (unknown model, bad key): retrying cannot help, so they are a 502 without Retry-After.
 */
function toAppError(err: unknown): unknown {
  if (!(err instanceof APIError)) return err;
  const outage = providerOutage(err);
  const status: number | undefined = err.status;
  if (outage) {
    return new AppError("model_unavailable", `the model API is unavailable (${status ?? "no response"}); try again later`, {
      cause: err,
      retryAfter: outage.retryAfter ?? 30,
    });
  }
  return new AppError("model_rejected", `the model API rejected the request (${status}); check the agent's model and key`, {
    cause: err,
  });
}

/** What a sealed replay answer is bound to: its agent and delivery. */
function replayContext(message: NormalizedMessage): string {
  return `replay:${message.agentId}\u0000${message.deliveryId}`;
}

/**
 * The answer as kept for replays of the same delivery (24 hours): sealed when the agent's
 * `audit.compliance.encryption` is on, since it is customer-facing text.
 */
async function storedAnswer(deps: PipelineDeps, message: NormalizedMessage, answer: Answer, encrypt: boolean): Promise<string> {
  const json = JSON.stringify(answer);
  if (!encrypt) return json;
  return sealWith(deps.encryptionKeys, json, replayContext(message));
}

