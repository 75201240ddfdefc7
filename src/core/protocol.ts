/**
 * The round trips a message makes to its agent's object, as types every folder can share:
 * the reservation of a model call (which carries the delivery claim and earlier settlements)
 * and the account through which one message's tiers reach it.
 */
import type { ClaimAttempt, ClaimRefusal } from "./claims";
import type { Micros } from "./money";

/** A reservation's real cost, reported to the agent's object with its next round trip. */
export interface Settlement {
  reservationId: string;
  actualMicros: Micros;
}

/** What a reservation asks of the agent's object, in one round trip. */
export interface ReserveInput {
  amount: Micros;
  now: number;
  /** The message's delivery claim, taken with its first reservation. */
  claim?: ClaimAttempt;
  /** Earlier calls' real costs, and reservations given back. */
  settle?: Settlement[];
  release?: string[];
  /**
   * This model call of this attempt (`<owner>:<n>`): a reserveCall sent again after a reset hid
   * its reply gets the same reservation instead of a second one.
   */
  callId?: string;
}

export type ReserveReply =
  | { kind: "reserved"; reservationId: string; level: number }
  | { kind: "denied"; remaining: Micros; level: number }
  /** The claim was not granted: another attempt holds or answered the message. */
  | { kind: "unclaimed"; claim: ClaimRefusal };

/**
 * One message's account with its agent's object. Reserving goes there at once (the first
 * reservation also claims the delivery); settlements and releases wait for the next round trip.
 */
export interface MessageAccount {
  /** Throws `ClaimRefusedError` when another attempt holds or answered the message. */
  reserve(amount: Micros): Promise<{ ok: true; reservationId: string; level: number } | { ok: false; level: number }>;
  settle(reservationId: string, actualMicros: Micros): void;
  release(reservationId: string): void;
}

/** The message's delivery was claimed by another attempt while this one ran its first tiers. */
export class ClaimRefusedError extends Error {
  override readonly name = "ClaimRefusedError";
  readonly refusal: ClaimRefusal;

  constructor(refusal: ClaimRefusal) {
    super(`the delivery is ${refusal.kind}`);
    this.refusal = refusal;
  }
}
