/**
 * The message protocol of the agent's object: at most three round trips per answer.
 *
 *  - `admit`: the agent's view (record and trust level, no secrets) and, when a channel asks
 *    for it, the one secret its signature check needs. Reads only.
 *  - `reserveCall`: a model call's worst case under the daily cap, with the delivery claim taken in
 *    the same transaction by the first call of an answer, and earlier calls' settlements.
 *  - `finish`: the answer kept for replays, settlements, the trust outcome, the audit events and
 *    the urgency flag, in one transaction. An answer no model made (a rule, a cache) takes its
 *    claim here, so it needs no `reserve`.
 *
 * A claim is taken only once the message is verified and answered (or about to call the model),
 * so an unverified request can never hold a delivery id.
 */
import type { AgentRecord, AgentView } from "../core/agent";
import { parseDuration } from "../config";
import type { PendingAuditEvent } from "../core/audit";
import { type ClaimAttempt, type ClaimDecision, type ClaimRefusal, completeClaim, DEFAULT_CLAIM_POLICY, decideClaim, ownsClaim } from "../core/claims";
import type { Outcome, ToolDenial, Urgency } from "../core/types";
import type { BudgetLedger } from "../cost/budget-ledger";
import type { ReserveInput, ReserveReply, Settlement } from "../core/protocol";
import type { TrustLedger } from "../trust/ledger";
import type { ClaimStore } from "./claim-store";
import type { DeliveryDesk } from "./delivery-desk";
import type { RateLimits, RateOutcome, RateStore } from "./rate-store";

export type { ReserveInput, ReserveReply } from "../core/protocol";

/** An urgent message to flag with its answer (`message.urgent`, and the alert once an hour). */
export interface UrgentFlag {
  interactionId: string;
  channel: string;
  conversation: string;
  urgency: Urgency;
  cues: string[];
}

export interface FinishInput {
  now: number;
  claim: ClaimAttempt;
  /** The answer as kept for replays; absent when the attempt failed and gives its claim back. */
  response?: string;
  settle?: Settlement[];
  release?: string[];
  /** The outcome for the trust rules; absent when it says nothing of the agent (the budget reply). */
  outcome?: { interactionId: string; outcome: Outcome; denials: ToolDenial[]; counts?: boolean };
  events?: PendingAuditEvent[];
  urgent?: UrgentFlag;
}

/** `done`, or why this attempt's answer was not kept (another attempt holds or answered the message). */
export type FinishReply = { kind: "done" } | ClaimRefusal;

/** The parts of the agent's object the protocol works with. */
export interface DeskParts {
  claims: ClaimStore;
  rates: RateStore;
  budget: BudgetLedger;
  trust: TrustLedger;
  record(events: readonly PendingAuditEvent[], record: AgentRecord): void;
  flagUrgent(record: AgentRecord, flag: UrgentFlag, now: number): boolean;
}

export function viewOf(record: AgentRecord, trust: TrustLedger, patterns = 0): AgentView {
  return patterns > 0 ? { record, trustLevel: trust.level(), patterns } : { record, trustLevel: trust.level() };
}

function applySettlements(parts: DeskParts, record: AgentRecord, input: { settle?: Settlement[]; release?: string[]; now: number }): void {
  for (const s of input.settle ?? []) parts.budget.settle(record, s.reservationId, s.actualMicros, input.now);
  for (const id of input.release ?? []) parts.budget.release(id);
}

/** The agent's `messageHandling.rateLimits` as counts per window. */
export function rateLimitsOf(record: AgentRecord): RateLimits {
  const { perSender, perAgent } = record.config.messageHandling.rateLimits;
  return {
    perSender: { messages: perSender.messages, windowMs: parseDuration(perSender.window) },
    perAgent: { messages: perAgent.messages, windowMs: parseDuration(perAgent.window) },
  };
}

/**
 * A claim newly taken counts its message against the rate limits (a replay or a retry of a held
 * claim does not); the refusal when they are full.
 */
function overLimit(parts: DeskParts, record: AgentRecord, claim: ClaimAttempt, now: number): ClaimRefusal | null {
  if (!claim.senderKey) return null;
  const taken = parts.rates.take(claim.senderKey, rateLimitsOf(record), now);
  if (taken.ok) return null;
  if (taken.notify) parts.record([rateLimitedEvent(claim.senderKey, taken, now)], record);
  return { kind: "rate_limited", scope: taken.scope, retryAfterMs: taken.retryAfterMs, notify: taken.notify };
}

/** Audited once per window and sender (its first refused message), so a flood cannot flood the trail. */
export function rateLimitedEvent(senderKey: string, limited: { scope: "sender" | "agent"; retryAfterMs: number }, now: number): PendingAuditEvent {
  return {
    level: "minimal",
    event: {
      at: now,
      actor: "rate_limits",
      action: "message.rate_limited",
      resource: `sender:${senderKey}`,
      decision: "denied",
      details: { scope: limited.scope, retryAfterMs: limited.retryAfterMs },
    },
  };
}

/**
 * Whether this very attempt already holds the claim: a `reserveCall` sent again after a reset hid
 * its reply. Its claim stands (and is not counted against the rate limits twice).
 */
function heldBy(claims: ClaimStore, claim: ClaimAttempt, now: number): boolean {
  const row = claims.get(claim.deliveryId);
  return row !== undefined && row.state === "pending" && claim.owner !== undefined && row.owner === claim.owner && row.expiresAt > now;
}

/** Runs inside the object's transaction. */
export function reserveCall(parts: DeskParts, record: AgentRecord, input: ReserveInput): ReserveReply {
  applySettlements(parts, record, input);
  if (input.claim && !heldBy(parts.claims, input.claim, input.now)) {
    const decision = decideClaim(input.claim.deliveryId, parts.claims.get(input.claim.deliveryId), input.now, DEFAULT_CLAIM_POLICY, input.claim);
    if (decision.kind !== "claimed") return { kind: "unclaimed", claim: decision };
    const limited = overLimit(parts, record, input.claim, input.now);
    if (limited) return { kind: "unclaimed", claim: limited };
    parts.claims.put(decision.row);
  }
  const reserved = parts.budget.reserve(record, input.amount, input.now, input.callId);
  const level = parts.trust.level();
  return reserved.ok ? { kind: "reserved", reservationId: reserved.reservationId, level } : { kind: "denied", remaining: reserved.remaining, level };
}

/**
 * Runs inside the object's transaction. Returns the claim row's expiry when it stored an
 * answer (the object wakes then to forget it).
 */
export function finishMessage(parts: DeskParts, record: AgentRecord, input: FinishInput): { reply: FinishReply; expiresAt?: number } {
  const { claim, now } = input;
  const row = parts.claims.get(claim.deliveryId);
  // The same attempt's finish again (its reply was lost to a reset): it was stored, nothing is
  // applied twice. Each attempt has its own interaction id, so its outcome marks it too.
  const stored = input.response !== undefined && row?.state === "done" && claim.owner !== undefined && row.owner === claim.owner && row.expiresAt > now;
  if (stored || (input.outcome && parts.trust.hasOutcome(input.outcome.interactionId))) return { reply: { kind: "done" } };
  applySettlements(parts, record, input);
  let expiresAt: number | undefined;
  if (input.response !== undefined) {
    let held = row && ownsClaim(row, claim.owner) && row.expiresAt > now ? row : undefined;
    if (!held) {
      // An answer no model made: its claim is taken now, or it loses to the attempt that holds it.
      const decision = decideClaim(claim.deliveryId, row, now, DEFAULT_CLAIM_POLICY, claim);
      if (decision.kind !== "claimed") return { reply: decision };
      const limited = overLimit(parts, record, claim, now);
      if (limited) return { reply: limited };
      held = decision.row;
    }
    const done = completeClaim(held, input.response, now, DEFAULT_CLAIM_POLICY);
    parts.claims.put(done);
    expiresAt = done.expiresAt;
  } else if (row && ownsClaim(row, claim.owner)) {
    parts.claims.remove(claim.deliveryId);
  }
  parts.record(input.events ?? [], record);
  if (input.outcome) parts.trust.record(record, { ...input.outcome, now });
  if (input.urgent) parts.flagUrgent(record, input.urgent, now);
  return { reply: { kind: "done" }, ...(expiresAt !== undefined ? { expiresAt } : {}) };
}

/** What the work queue's `openDelivery` asks: the message, when, and its sender's rate key. */
export interface OpenDeliveryInput {
  deliveryId: string;
  now: number;
  senderKey?: string;
}

/** The claim on sending a queued answer and, when the rate limits are full now, why. */
export interface OpenedQueued {
  claim: ClaimDecision["kind"];
  limited?: Extract<RateOutcome, { ok: false }>;
}

/**
 * A queued message's delivery: the claim on sending it and, with `senderKey`, whether the rate
 * limits are full now (looked at, not counted: the pipeline's claim counts the message). Runs
 * inside the object's transaction.
 */
export function openQueued(parts: DeskParts, deliveries: DeliveryDesk, record: AgentRecord, input: OpenDeliveryInput): OpenedQueued {
  const claim = deliveries.openDelivery(input.deliveryId, input.now).kind;
  if (claim !== "claimed" || !input.senderKey) return { claim };
  const rate = parts.rates.peek(input.senderKey, rateLimitsOf(record), input.now);
  if (rate.ok) return { claim };
  if (rate.notify) parts.record([rateLimitedEvent(input.senderKey, rate, input.now)], record);
  return { claim, limited: rate };
}
