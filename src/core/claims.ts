/**
 * Delivery-id claims: the dedupe that makes a provider's retry, or a client's repeated id,
 * answer once. Pure decisions; the AgentState object stores the rows.
 */

export interface ClaimRow {
  deliveryId: string;
  state: "pending" | "done";
  /** The stored answer (JSON) once done. */
  response: string | null;
  claimedAt: number;
  /** After this time the row is forgotten and the id could be answered again. */
  expiresAt: number;
  /** Identifies the message behind the id (a hash of its conversation and text). */
  fingerprint?: string;
  /** The attempt holding a pending claim; only it may complete or release the claim. */
  owner?: string;
}

export interface ClaimPolicy {
  /** How long a finished delivery is remembered (covers every provider's retry schedule). */
  rememberMs: number;
  /** How long a pending claim holds before a retry may take it over (a crashed attempt). */
  leaseMs: number;
}

/**
 * A day covers Slack's (5 min) and Twilio's retries with room. The lease outlasts a whole tool
 * loop (steps of up to a minute with retries), so a slow answer is not run twice.
 */
export const DEFAULT_CLAIM_POLICY: ClaimPolicy = { rememberMs: 24 * 3600_000, leaseMs: 10 * 60_000 };

/** Why a claim was not granted. */
export type ClaimRefusal =
  | { kind: "duplicate"; response: string }
  | { kind: "in_flight"; retryAfterMs: number }
  /** The id was already used for a different message: replaying its answer would leak it. */
  | { kind: "conflict" }
  /** The sender's or the agent's rate limit is full; `notify`: the first refusal of the window. */
  | { kind: "rate_limited"; scope: "sender" | "agent"; retryAfterMs: number; notify: boolean };

export type ClaimDecision = { kind: "claimed"; row: ClaimRow } | ClaimRefusal;

/** One attempt at answering a delivery: the id, what message it is, and who is trying. */
export interface ClaimAttempt {
  deliveryId: string;
  /** A hash of the message's channel, conversation and text. */
  fingerprint?: string;
  /** This attempt; only it may complete or release what it claims. */
  owner?: string;
  /** A hash of the channel and sender, counted against the rate limits when the claim is taken. */
  senderKey?: string;
}

/**
 * What to do with a delivery id given the row stored for it (if any).
 *
 * @example
 * decideClaim("msg-1", undefined, Date.now(), DEFAULT_CLAIM_POLICY).kind; // "claimed"
 */
export function decideClaim(
  deliveryId: string,
  existing: ClaimRow | undefined,
  now: number,
  policy: ClaimPolicy,
  attempt: { fingerprint?: string; owner?: string } = {},
): ClaimDecision {
  if (existing && existing.expiresAt > now) {
    if (existing.fingerprint && attempt.fingerprint && existing.fingerprint !== attempt.fingerprint) return { kind: "conflict" };
    if (existing.state === "done" && existing.response !== null) return { kind: "duplicate", response: existing.response };
    if (existing.state === "pending") return { kind: "in_flight", retryAfterMs: Math.max(0, existing.expiresAt - now) };
  }
  return {
    kind: "claimed",
    row: {
      deliveryId,
      state: "pending",
      response: null,
      claimedAt: now,
      expiresAt: now + policy.leaseMs,
      ...(attempt.fingerprint ? { fingerprint: attempt.fingerprint } : {}),
      ...(attempt.owner ? { owner: attempt.owner } : {}),
    },
  };
}

/** Whether an attempt may complete or release a claim: only the attempt that holds it. */
export function ownsClaim(row: ClaimRow, owner: string | undefined): boolean {
  return row.state === "pending" && (row.owner === undefined || row.owner === owner);
}

/** The row of a finished delivery. */
export function completeClaim(row: ClaimRow, response: string, now: number, policy: ClaimPolicy): ClaimRow {
  return { ...row, state: "done", response, expiresAt: now + policy.rememberMs };
}
