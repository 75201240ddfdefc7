import { DurableObject } from "cloudflare:workers";
import { markUndeliverable } from "../audit/alert-channel";
import type { AlertMessage } from "../core/messages";
import { type Clock, systemClock } from "../core/clock";
import { Auditor, type PendingAuditEvent } from "../audit/auditor";
import type { ChainHead } from "../audit/chain";
import { approvalContext, sealWith } from "../privacy/encryption";
import type { UnusualFinding } from "../audit/unusual";
import { flushOutbox, Outbox } from "../audit/outbox";
import type { Alert, Outcome } from "../core/types";
import { BudgetLedger, type BudgetView, type ReserveResult } from "../cost/budget-ledger";
import { BudgetStore } from "../cost/budget-store";
import { ApprovalStore } from "../trust/approval-store";
import { ApprovalDesk, type ApprovalRequest } from "../trust/approval-desk";
import type { Approval, DecisionResult } from "../trust/approvals";
import { type TrustCommand, TrustLedger, type TrustView } from "../trust/ledger";
import { TrustStore } from "../trust/store";
import { type AgentRecord, type AgentSnapshot, type AgentView, type SecretRef, secretValue } from "../core/agent";
import { AgentBook, type ConfigureInput } from "./agent-book";
import { AlertBooks } from "./alert-books";
import { ClaimStore } from "./claim-store";
import { RateStore } from "./rate-store";
import { type Rejection, RejectionLog } from "./rejections";
import { type AbandonDelivery, type CloseDelivery, DeliveryDesk, NOTE_TTL_MS, type PostedProgress, type SmsKeyword } from "./delivery-desk";
import { type DeskParts, type FinishInput, type FinishReply, finishMessage, type OpenDeliveryInput, type OpenedQueued, openQueued, type ReserveInput, type ReserveReply, reserveCall, viewOf } from "./message-desk";
import { DEFAULT_CLAIM_POLICY } from "../core/claims";
import { agentDb } from "../db/shards";

export type { OutcomeInput, TrustCommand, TrustView } from "../trust/ledger";

export type { ConfigureInput } from "./agent-book";

/** What a deletion keeps: the audit trail's pending events and chain head, and SMS opt-outs. */
const KEPT_ON_DELETE = new Set(["outbox", "audit_chain", "sms_opt_outs"]);

/**
 * One per agent: the single-threaded owner of the agent's config, secrets, trust level,
 * outcomes, approvals and delivery claims, so concurrent requests cannot answer a message twice
 * or lose an outcome. Audit events and alerts go to an outbox in the same transaction as the
 * change they describe, and the alarm moves them to D1. A thin shell: the bookkeeping lives in
 * the stores and `TrustLedger`, the decisions in pure functions.
 */
export class AgentState extends DurableObject<Env> {
  /** Where the object's own times come from (alarms, alert delivery); a test subclass may move it. */
  protected clock: Clock = systemClock;
  #sql: SqlStorage;
  #book: AgentBook;
  #outbox: Outbox;
  #auditor: Auditor;
  #trust: TrustLedger;
  #claims: ClaimStore;
  #rates: RateStore;
  #approvals: ApprovalStore;
  #budget: BudgetLedger;
  #desk: DeskParts;
  #alerts: AlertBooks;
  #approvalDesk: ApprovalDesk;
  #deliveries: DeliveryDesk;
  /** Refused webhooks, audited at most 60 a minute. */
  #rejections = new RejectionLog();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#outbox = new Outbox(ctx.storage);
    this.#auditor = new Auditor(this.#outbox);
    this.#book = new AgentBook(this.#sql, this.#auditor);
    this.#trust = new TrustLedger(new TrustStore(this.#sql), this.#auditor);
    this.#claims = new ClaimStore(this.#sql);
    this.#rates = new RateStore(this.#sql);
    this.#approvals = new ApprovalStore(this.#sql);
    this.#budget = new BudgetLedger(new BudgetStore(this.#sql), this.#auditor);
    this.#alerts = new AlertBooks(this.#sql, this.#auditor);
    this.#deliveries = new DeliveryDesk(this.#sql, this.#claims, this.#auditor);
    this.#approvalDesk = new ApprovalDesk(this.#approvals, this.#auditor, () => this.#trust.level());
    this.#desk = {
      claims: this.#claims,
      rates: this.#rates,
      budget: this.#budget,
      trust: this.#trust,
      record: (events, record) => {
        for (const e of events) this.#auditor.event(record, e.event, e.level);
      },
      flagUrgent: (record, flag, now) => this.#alerts.flagUrgent(record, flag, now),
    };
    // The local similarity index moved to its own object (VectorIndexObject); its entries here were a cache.
    this.#sql.exec("DROP TABLE IF EXISTS vectors");
    const legacyLevel = this.#book.takeLegacyTrustLevel();
    if (legacyLevel !== undefined) this.#trust.init(legacyLevel);
  }

  /** Creates or replaces the agent. Trust starts at `trust.initial` and survives replacements. */
  async configure(input: ConfigureInput): Promise<{ record: AgentRecord; created: boolean; unchanged?: true }> {
    let result: { record: AgentRecord; created: boolean; unchanged?: true };
    try {
      result = this.ctx.storage.transactionSync(() => {
        const configured = this.#book.configure(input);
        if (configured.unchanged) return configured;
        this.#trust.init(input.config.trust.initial);
        return configured;
      });
    } catch (err) {
      this.#book.invalidate();
      throw err;
    }
    if (this.#outbox.size() > 0) await this.#wakeAt(this.clock.now());
    return result;
  }

  /** The agent, its secrets and trust level; null when no agent was ever configured here. */
  snapshot(): AgentSnapshot | null {
    const record = this.#book.record();
    if (!record) return null;
    return { record, secrets: this.#book.secrets(), trustLevel: this.#trust.level() };
  }

  /**
   * A message's first round trip: the agent's view (no secrets) and, when a channel's signature
   * check needs one, that one secret. Null when no agent was ever configured here.
   */
  admit(input: { secret?: SecretRef } = {}): { view: AgentView; secret?: string } | null {
    const record = this.#book.record();
    if (!record) return null;
    const view = viewOf(record, this.#trust, this.#book.patterns());
    if (!input.secret) return { view };
    const secret = secretValue(this.#book.secrets(), input.secret);
    return secret === undefined ? { view } : { view, secret };
  }

  /** Reserves a model call (and, for an answer's first call, claims its delivery); brings the trust level. */
  async reserveCall(input: ReserveInput): Promise<ReserveReply> {
    return this.#changing((record) => reserveCall(this.#desk, record, input));
  }

  /** Ends a message: its answer kept for replays, settlements, outcome, audit events and urgency, at once. */
  async finish(input: FinishInput): Promise<FinishReply> {
    const { reply, expiresAt } = await this.#changing((record) => finishMessage(this.#desk, record, input));
    if (expiresAt !== undefined) await this.#wakeAt(expiresAt);
    return reply;
  }

  /**
   * Audits a webhook refused for its signature (at most 60 a minute per agent; the rest are
   * counted in the next audited one).
   */
  async recordRejected(input: Rejection): Promise<void> {
    const event = this.#rejections.event(input);
    if (event) await this.#changing((record) => this.#auditor.event(record, event));
  }

  /**
   * Unusual activity found in an hour: one `unusual_activity` alert per hour however often the
   * cron reports it (raised only when `audit.analytics.alerts` lists it). True when raised.
   */
  async raiseUnusualActivity(input: { hour: number; findings: UnusualFinding[]; now: number }): Promise<boolean> {
    if (input.findings.length === 0) return false;
    return this.#changing((record) => this.#alerts.raiseUnusual(record, input));
  }

  /** Where this agent's audit chain ends in D1: the last flushed event's seq and hash. */
  chainHead(): ChainHead {
    return this.#outbox.head();
  }

  /** The trust level as it is now (a rule or an operator may have moved it mid-answer). */
  trustLevelNow(): number {
    return this.#trust.level();
  }

  /** Records a webhook delivery (`slack-event:…`, `sms-status:…`, `email:…`) as seen; false for a retry. */
  async receive(key: string, now: number): Promise<boolean> {
    const fresh = this.#deliveries.receive(key, now);
    if (fresh) await this.#wakeAt(now + DEFAULT_CLAIM_POLICY.rememberMs);
    return fresh;
  }

  /** Forgets a receipt whose message could not be queued, so the provider's retry gets through. */
  forget(key: string): void {
    this.#deliveries.forget(key);
  }

  /** An inbound SMS in one round trip: its receipt, STOP/START, and whether the sender opted out. */
  smsInbound(input: { receipt: string; from: string; keyword: SmsKeyword; now: number }): { fresh: boolean; optedOut: boolean } {
    return this.ctx.storage.transactionSync(() => this.#deliveries.smsInbound(input));
  }

  /** Whether a number sent STOP (checked again at the moment of sending). */
  smsOptedOut(number: string): boolean {
    return this.#deliveries.optedOut(number);
  }

  /**
   * A queued answer's first round trip: the agent's view, the credentials its channel delivers
   * with, the claim on sending it and whether the rate limits are full now. Null when the agent
   * is gone.
   */
  async openDelivery(input: OpenDeliveryInput & { secrets: SecretRef[] }): Promise<(OpenedQueued & { view: AgentView; secrets: Array<string | null>; progress?: PostedProgress }) | null> {
    const record = this.#book.record();
    if (!record) return null;
    const stored = this.#book.secrets();
    const opened = await this.#changing((r) => openQueued(this.#desk, this.#deliveries, r, input));
    const progress = this.#deliveries.progressOf(input.deliveryId);
    return { ...opened, view: viewOf(record, this.#trust, this.#book.patterns()), secrets: input.secrets.map((ref) => secretValue(stored, ref) ?? null), ...(progress ? { progress } : {}) };
  }

  /** Gives a failed sending back for the queue's retry, noting its placeholder; `hold` on the delivery's first outage. */
  async abandonDelivery(input: AbandonDelivery): Promise<{ hold: boolean }> {
    const held = this.ctx.storage.transactionSync(() => this.#deliveries.abandonDelivery(input));
    await this.#wakeAt(input.now + NOTE_TTL_MS);
    return held;
  }

  /** A queued answer was sent (or deliberately not): kept as sent, its posted messages linked, audited. */
  async closeDelivery(input: CloseDelivery): Promise<void> {
    const expiresAt = await this.#changing((record) => this.#deliveries.closeDelivery(record, input));
    await this.#wakeAt(expiresAt);
  }

  /**
   * A reaction to a posted message as feedback, once per reaction event: the interaction it was
   * recorded on, or null when the message is not one of this agent's answers or the event was seen.
   */
  async reactionFeedback(input: { linkKey: string; receipt: string; outcome: Outcome; note: string; actor: string; now: number }): Promise<string | null> {
    return this.#changing((record) => {
      const interactionId = this.#deliveries.linkedInteraction(input.linkKey, input.now);
      if (!interactionId || !this.#deliveries.receive(input.receipt, input.now)) return null;
      const found = this.#trust.feedback(record, { interactionId, outcome: input.outcome, note: input.note, actor: input.actor, from: "customer", now: input.now });
      return found ? interactionId : null;
    });
  }

  /** Audit events made outside this object (an answered message), each at its level. */
  async recordEvents(events: PendingAuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.#changing((record) => this.#desk.record(events, record));
  }

  /**
   * Deletes the agent (`DELETE /v1/agents/:agentId`): audits `agent.deleted`, then empties every
   * table but the audit outbox and chain head (the trail goes on, unbroken, and a new agent under
   * this id continues it) and the SMS opt-outs (a customer's STOP outlives the agent). False when
   * there is no agent.
   */
  async destroy(input: { actor: string; now: number }): Promise<boolean> {
    const record = this.#book.record();
    if (!record) return false;
    try {
      this.ctx.storage.transactionSync(() => {
        this.#auditor.event(record, { at: input.now, actor: input.actor, action: "agent.deleted", resource: record.agentId, decision: "changed", details: { version: record.version } });
        // Every table, so state a later version adds is deleted too; SQLite's and the runtime's own are left alone.
        const tables = this.#sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((t) => t.name);
        for (const name of tables) {
          if (!KEPT_ON_DELETE.has(name) && !name.startsWith("sqlite_") && !name.startsWith("_cf_")) this.#sql.exec(`DELETE FROM "${name}"`);
        }
        this.#book.retire(record.version);
      });
    } finally {
      this.#book.invalidate();
    }
    await this.#wakeAt(this.clock.now());
    return true;
  }

  /**
   * Pattern learning changed what serves: the snapshot's new version (kept only if newer than the
   * one in place), the transitions' audit events and, for a rollback, an alert, in one transaction.
   */
  async patternsChanged(input: { version: number; events: PendingAuditEvent[]; alert?: Omit<Alert, "id" | "agentId"> }): Promise<void> {
    try {
      await this.#changing((record) => {
        this.#book.setPatterns(input.version);
        this.#desk.record(input.events, record);
        if (input.alert) this.#auditor.alert(record, input.alert);
      });
    } catch (err) {
      this.#book.invalidate();
      throw err;
    }
  }

  /** An operator's feedback replaces an interaction's outcome; `found` is false when this agent has no such interaction. */
  async feedback(input: { interactionId: string; outcome: Outcome; note: string | null; actor: string; now: number }): Promise<{ found: boolean; level: number }> {
    return this.#changing((record) => ({ found: this.#trust.feedback(record, { ...input, from: "operator" }), level: this.#trust.level() }));
  }

  /** An operator sets, freezes or unfreezes the level. */
  async command(command: TrustCommand, actor: string, now: number): Promise<TrustView> {
    return this.#changing((record) => {
      this.#trust.command(record, command, actor, now);
      return this.#trust.view(record, now);
    });
  }

  /** The level, its tier and tools, the current window's metrics and the latest changes. */
  trustView(now: number): TrustView {
    return this.#trust.view(this.#requireRecord(), now);
  }

  /** Trust level over time, rule firings and outcomes per day, for the dashboard. */
  trustAnalytics(from: number, to: number) {
    return this.#trust.analytics(this.#requireRecord(), from, to);
  }

  /** Outcome totals and the latest denials. */
  outcomeSummary() {
    return this.#trust.summary();
  }

  /** Reserves the worst case of a model call under the daily cap; denied when it does not fit. */
  async reserve(amount: number, now: number): Promise<ReserveResult> {
    return this.#changing((record) => this.#budget.reserve(record, amount, now));
  }

  /** Settles a reservation to the call's real cost. */
  async settle(reservationId: string, actual: number, now: number): Promise<void> {
    await this.#changing((record) => this.#budget.settle(record, reservationId, actual, now));
  }

  /** Releases a reservation whose call cost nothing (it failed before the model answered). */
  releaseReservation(reservationId: string): void {
    this.#budget.release(reservationId);
  }

  /** Today's budget: spent, reserved, remaining. */
  budget(now: number): BudgetView {
    return this.#budget.view(this.#requireRecord(), now);
  }

  /** Files a request to run an `ask` tool; a person decides through the admin API. */
  async requestApproval(input: ApprovalRequest): Promise<Approval> {
    const id = `apr_${crypto.randomUUID()}`;
    // The tool's arguments are kept until a person decides: sealed when the agent encrypts.
    const json = JSON.stringify(input.toolInput ?? null);
    const inputJson = this.#requireRecord().config.audit.compliance.encryption ? await sealWith(this.env.ENCRYPTION_KEYS, json, approvalContext(id)) : json;
    return this.#changing((record) => this.#approvalDesk.request(record, id, inputJson, input));
  }

  /** Approval requests, newest first, with expiry applied; optionally one status only. */
  approvals(now: number, status?: Approval["status"]): Approval[] {
    return this.#approvalDesk.list(now, status);
  }

  /** A person approves or rejects; only a pending, unexpired request changes, and only once. */
  async decide(id: string, decision: "approve" | "reject", by: string, note: string | null, now: number): Promise<DecisionResult | null> {
    return this.#changing((record) => this.#approvalDesk.decide(record, { id, decision, by, note, now }));
  }

  /** Records what an approved call returned. */
  async completeApproval(id: string, result: { content: string; isError: boolean }, now: number): Promise<Approval | null> {
    return this.#changing((record) => this.#approvalDesk.complete(record, id, result, now));
  }

  /**
   * Flushes the outbox to D1, hands the alerts it wrote to the `alerts` queue, 100 a call (which delivers
   * them), and forgets expired claims.
   */
  override async alarm(): Promise<void> {
    // Every entry is this agent's: the first names its shard.
    const waiting = this.#outbox.peek(1)[0]?.body.agentId;
    const db = waiting === undefined ? null : await agentDb(this.env, waiting);
    const alerts = db ? await flushOutbox(this.#outbox, db) : [];
    for (let i = 0; db && i < alerts.length; i += 100) {
      const part = alerts.slice(i, i + 100);
      try {
        await this.env.ALERT_QUEUE.sendBatch(part.map((a) => ({ body: { type: "alert", agentId: a.agentId, alertId: a.id } satisfies AlertMessage })));
      } catch (err) {
        await markUndeliverable(db, part, `alert queue unavailable: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const now = this.clock.now();
    this.#deliveries.pruneLinks(now);
    this.#rates.prune(now);
    const nextExpiry = this.#claims.prune(now);
    // Entries added while this alarm ran must not wait for the next claim expiry.
    const next = this.#outbox.size() > 0 ? now : nextExpiry;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  /**
   * Runs a change in one transaction with the audit events it writes, then wakes the alarm so
   * the outbox reaches D1 right away; the caller never waits for D1.
   */
  async #changing<T>(change: (record: AgentRecord) => T): Promise<T> {
    const result = this.ctx.storage.transactionSync(() => change(this.#requireRecord()));
    if (this.#outbox.size() > 0) await this.#wakeAt(this.clock.now());
    return result;
  }

  async #wakeAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  #requireRecord(): AgentRecord {
    const record = this.#book.record();
    if (!record) throw new Error("agent is not configured");
    return record;
  }
}
