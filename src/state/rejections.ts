import type { AuditEvent } from "../core/types";

/** At most this many refused webhooks are audited a minute per agent; the rest are counted in the next one. */
const AUDITED_PER_MINUTE = 60;

/** A webhook refused for its signature, as the channel reports it. */
export interface Rejection {
  channel: string;
  reason: string;
  requestId?: string;
  clientRequestId?: string;
  now: number;
}

/** Refused webhooks of one agent, so that a flood of them cannot flood its audit trail. */
export class RejectionLog {
  #minute = 0;
  #count = 0;

  /** The `webhook.rejected` event to audit, or null when this minute's share is spent. */
  event(input: Rejection): Omit<AuditEvent, "id" | "agentId"> | null {
    const minute = Math.floor(input.now / 60_000);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#count = 0;
    }
    this.#count += 1;
    if (this.#count > AUDITED_PER_MINUTE) return null;
    return {
      at: input.now,
      actor: `unverified:${input.channel}`,
      action: "webhook.rejected",
      resource: input.channel,
      decision: "denied",
      details: {
        reason: input.reason,
        rejectedThisMinute: this.#count,
        // The caller's own id, kept apart: the event's request id is always ours.
        ...(input.clientRequestId ? { clientRequestId: input.clientRequestId } : {}),
      },
      ...(input.requestId ? { requestId: input.requestId } : {}),
    };
  }
}
