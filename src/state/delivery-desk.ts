/**
 * The agent object's part for the channels' own bookkeeping, named for what each record is:
 *  - receipts: a provider's webhook delivery seen once (a Slack `event_id`, a Twilio
 *    `MessageSid`, an email's Message-ID), so a provider's retry is acknowledged and dropped;
 *  - deliveries: a queued answer sent once (`delivered:<delivery id>`), so a redelivered queue
 *    message does not post twice;
 *  - links (`message_links`): a posted message → the interaction it answers (a Slack reaction
 *    becomes feedback), kept as long as a provider lets a reaction come;
 *  - SMS opt-outs (`sms_opt_outs`): STOP until START;
 *  - delivery notes (`delivery_notes`): what a queued answer's failed attempts leave for the next
 *    one, the progress placeholder they posted (reused, not posted again) and whether the
 *    customer was told the answer is coming (told once).
 * Receipts and deliveries are claims (the claims table, one expiry sweep); links, opt-outs and
 * notes have tables of their own.
 */
import type { AgentRecord } from "../core/agent";
import type { AuditSink, PendingAuditEvent } from "../core/audit";
import { type ClaimDecision, completeClaim, DEFAULT_CLAIM_POLICY, decideClaim, ownsClaim } from "../core/claims";
import type { ClaimStore } from "./claim-store";

/** What an SMS keyword does before the agent sees the message. */
export type SmsKeyword = "stop" | "start" | "help" | null;

export interface CloseDelivery {
  deliveryId: string;
  /** Posted messages and the interaction each answers. */
  links: Array<{ key: string; interactionId: string }>;
  /** `message.delivered` / `message.not_delivered`. */
  event: PendingAuditEvent;
  now: number;
}

/** A progress placeholder a delivery posted (Slack: its channel and ts), updated rather than posted again. */
export interface PostedProgress {
  channel: string;
  ts: string;
}

export interface AbandonDelivery {
  deliveryId: string;
  /** The placeholder this attempt posted or reused, for the next attempt. */
  progress?: PostedProgress;
  /** The attempt failed because the model API was down (not the agent's fault, retried later). */
  outage?: boolean;
  now: number;
}

export class DeliveryDesk {
  #sql: SqlStorage;
  #claims: ClaimStore;
  #auditor: AuditSink;

  constructor(sql: SqlStorage, claims: ClaimStore, auditor: AuditSink) {
    this.#sql = sql;
    this.#claims = claims;
    this.#auditor = auditor;
    sql.exec("CREATE TABLE IF NOT EXISTS sms_opt_outs (number TEXT PRIMARY KEY, at INTEGER NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS message_links (key TEXT PRIMARY KEY, interaction_id TEXT NOT NULL, expires_at INTEGER NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS delivery_notes (delivery_id TEXT PRIMARY KEY, progress TEXT, held_at INTEGER, expires_at INTEGER NOT NULL)");
  }

  /** Records a webhook delivery as seen; false when it was seen before (a retry). */
  receive(key: string, now: number): boolean {
    const decision = decideClaim(key, this.#claims.get(key), now, DEFAULT_CLAIM_POLICY);
    if (decision.kind !== "claimed") return false;
    this.#claims.put(completeClaim(decision.row, "{}", now, DEFAULT_CLAIM_POLICY));
    return true;
  }

  /** Forgets a receipt whose message could not be queued, so the provider's retry gets through. */
  forget(key: string): void {
    this.#claims.remove(key);
  }

  /** An inbound SMS: its receipt, then STOP/START applied, and whether the sender opted out. */
  smsInbound(input: { receipt: string; from: string; keyword: SmsKeyword; now: number }): { fresh: boolean; optedOut: boolean } {
    if (!this.receive(input.receipt, input.now)) return { fresh: false, optedOut: this.optedOut(input.from) };
    if (input.keyword === "stop") this.#sql.exec("INSERT OR REPLACE INTO sms_opt_outs (number, at) VALUES (?, ?)", input.from, input.now);
    if (input.keyword === "start") this.#sql.exec("DELETE FROM sms_opt_outs WHERE number = ?", input.from);
    return { fresh: true, optedOut: this.optedOut(input.from) };
  }

  optedOut(number: string): boolean {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sms_opt_outs WHERE number = ?", number).one().n > 0;
  }

  /** Claims the sending of a queued answer; only `claimed` may send. */
  openDelivery(deliveryId: string, now: number): ClaimDecision {
    const key = deliveredKey(deliveryId);
    const decision = decideClaim(key, this.#claims.get(key), now, DEFAULT_CLAIM_POLICY);
    if (decision.kind === "claimed") this.#claims.put(decision.row);
    return decision;
  }

  /**
   * Gives the sending back after a failure, so the queue's retry sends, and notes what the next
   * attempt needs: the placeholder to reuse and, on the delivery's first outage, `hold: true`
   * (the caller tells the customer the answer is coming; the note is kept first, so a failure
   * to tell them is never followed by a second notice).
   */
  abandonDelivery(input: AbandonDelivery): { hold: boolean } {
    const key = deliveredKey(input.deliveryId);
    const row = this.#claims.get(key);
    if (row && ownsClaim(row, undefined)) this.#claims.remove(key);
    const before = this.#note(input.deliveryId);
    const hold = input.outage === true && before?.held_at == null;
    const progress = input.progress ? JSON.stringify(input.progress) : (before?.progress ?? null);
    const heldAt = hold ? input.now : (before?.held_at ?? null);
    this.#sql.exec(
      "INSERT OR REPLACE INTO delivery_notes (delivery_id, progress, held_at, expires_at) VALUES (?, ?, ?, ?)",
      input.deliveryId,
      progress,
      heldAt,
      input.now + NOTE_TTL_MS,
    );
    return { hold };
  }

  /** The placeholder an earlier attempt at this delivery posted, if any. */
  progressOf(deliveryId: string): PostedProgress | undefined {
    const progress = this.#note(deliveryId)?.progress;
    return progress ? (JSON.parse(progress) as PostedProgress) : undefined;
  }

  #note(deliveryId: string): { progress: string | null; held_at: number | null } | undefined {
    return this.#sql.exec<{ progress: string | null; held_at: number | null }>("SELECT progress, held_at FROM delivery_notes WHERE delivery_id = ?", deliveryId).toArray()[0];
  }

  /** The answer was sent (or deliberately not): the delivery kept, its links and its audit event. Returns the latest expiry written. */
  closeDelivery(record: AgentRecord, input: CloseDelivery): number {
    const key = deliveredKey(input.deliveryId);
    const row = this.#claims.get(key);
    let expiresAt = input.now + DEFAULT_CLAIM_POLICY.rememberMs;
    if (row && row.state === "pending") {
      const done = completeClaim(row, "{}", input.now, DEFAULT_CLAIM_POLICY);
      this.#claims.put(done);
      expiresAt = done.expiresAt;
    }
    this.#sql.exec("DELETE FROM delivery_notes WHERE delivery_id = ?", input.deliveryId);
    for (const link of input.links) {
      this.#sql.exec("INSERT OR IGNORE INTO message_links (key, interaction_id, expires_at) VALUES (?, ?, ?)", link.key, link.interactionId, input.now + LINK_TTL_MS);
    }
    this.#auditor.event(record, input.event.event, input.event.level);
    return expiresAt;
  }

  /** The interaction a posted message answers, or null. */
  linkedInteraction(key: string, now: number): string | null {
    const link = this.#sql.exec<{ interaction_id: string }>("SELECT interaction_id FROM message_links WHERE key = ? AND expires_at > ?", key, now).toArray()[0];
    if (link) return link.interaction_id;
    // Links made before they had a table of their own were kept as claims.
    const row = this.#claims.get(key);
    return row && row.state === "done" && row.expiresAt > now ? row.response : null;
  }

  /** Forgets expired links and delivery notes. */
  pruneLinks(now: number): void {
    this.#sql.exec("DELETE FROM message_links WHERE expires_at <= ?", now);
    this.#sql.exec("DELETE FROM delivery_notes WHERE expires_at <= ?", now);
  }
}

/**
 * How long a failed delivery's note is kept: longer than the queue's retries (about 10 minutes)
 * and the dead letters' replayable window, so a replay reuses the placeholder too.
 */
export const NOTE_TTL_MS = 7 * 24 * 3600_000;

/** How long a posted answer's reaction still counts as feedback. */
export const LINK_TTL_MS = 7 * 24 * 3600_000;

function deliveredKey(deliveryId: string): string {
  return `delivered:${deliveryId}`;
}
