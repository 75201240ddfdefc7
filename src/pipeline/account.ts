import type { ClaimAttempt } from "../core/claims";
import type { Clock } from "../core/clock";
import { ClaimRefusedError, type MessageAccount, type ReserveInput, type ReserveReply, type Settlement } from "../core/protocol";

/** The agent object's method an account reserves through. */
export interface ReserveRpc {
  reserveCall(input: ReserveInput): Promise<ReserveReply>;
}

/** A message's account, with what the pipeline's `finish` needs of it. */
export interface OpenAccount extends MessageAccount {
  /** Whether a reservation took the delivery claim (so `finish` cannot lose it). */
  readonly claimed: boolean;
  /** Settlements and releases not yet sent, for `finish`. */
  drain(): { settle: Settlement[]; release: string[] };
}

/**
 * One message's account with its agent's object. The first reservation carries the delivery
 * claim; settlements and releases ride on the next reservation or on `finish`, so a model call
 * costs one round trip.
 */
export function messageAccount(stub: ReserveRpc, claim: ClaimAttempt, clock: Clock): OpenAccount {
  let settle: Settlement[] = [];
  let release: string[] = [];
  let claimed = false;
  let calls = 0;
  const drain = () => {
    const out = { settle, release };
    settle = [];
    release = [];
    return out;
  };
  return {
    get claimed() {
      return claimed;
    },
    async reserve(amount) {
      const pending = drain();
      calls += 1;
      const reply = await stub.reserveCall({
        amount,
        now: clock.now(),
        ...(claim.owner ? { callId: `${claim.owner}:${calls}` } : {}),
        ...(claimed ? {} : { claim }),
        ...(pending.settle.length ? { settle: pending.settle } : {}),
        ...(pending.release.length ? { release: pending.release } : {}),
      });
      if (reply.kind === "unclaimed") throw new ClaimRefusedError(reply.claim);
      claimed = true;
      return reply.kind === "reserved" ? { ok: true, reservationId: reply.reservationId, level: reply.level } : { ok: false, level: reply.level };
    },
    settle(reservationId, actualMicros) {
      settle.push({ reservationId, actualMicros });
    },
    release(reservationId) {
      release.push(reservationId);
    },
    drain,
  };
}
