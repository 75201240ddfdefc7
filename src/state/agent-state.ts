import { DurableObject } from "cloudflare:workers";
import type { AgentConfig } from "../config";
import { deliverAlert } from "../audit/alert-channel";
import { flushOutbox, Outbox } from "../audit/outbox";
import type { Outcome, ToolDenial } from "../core/types";
import { globsForLevel, newGlobs, tierKeyAt } from "../trust/permissions";
import { trustPolicy } from "../trust/policy";
import { ApprovalStore } from "../trust/approval-store";
import { type Approval, APPROVAL_TTL_MS, type DecisionResult, decideApproval, statusAt } from "../trust/approvals";
import { clampLevel, computeMetrics, evaluateTrust, type TrustEvaluation } from "../trust/rules";
import { type StoredTrust, type TrustChange, TrustStore } from "../trust/store";
import {
  type AgentRecord,
  type AgentSecrets,
  type AgentSnapshot,
  applySecretsPatch,
  nextRecord,
  type SecretsPatch,
} from "./agent-record";
import { type ClaimDecision, type ClaimRow, completeClaim, DEFAULT_CLAIM_POLICY, decideClaim } from "./claims";

export interface ConfigureInput {
  agentId: string;
  config: AgentConfig;
  systemPrompt: string;
  model: string;
  secrets?: SecretsPatch;
  now: number;
}

export interface OutcomeInput {
  interactionId: string;
  outcome: Outcome;
  denials: ToolDenial[];
  now: number;
  requestId?: string;
}

export type TrustCommand =
  | { action: "set"; level: number; reason: string }
  | { action: "freeze"; reason: string }
  | { action: "unfreeze"; reason: string };

/** What `GET /v1/agents/:id/trust` shows. */
export interface TrustView {
  level: number;
  frozen: boolean;
  frozenReason: string | null;
  tier: string | null;
  allowedTools: readonly string[];
  deny: readonly string[];
  ask: readonly string[];
  window: ReturnType<typeof computeMetrics> & { sinceChange: number };
  lastChangeAt: number | null;
  lastEvaluatedAt: number | null;
  recentChanges: TrustChange[];
}

/**
 * One per agent: the single-threaded owner of the agent's config, secrets, trust level,
 * outcomes and delivery claims, so concurrent requests cannot answer a message twice or lose
 * an outcome. Audit events and alerts are written to an outbox in the same transaction as the
 * change they describe and flushed to D1 by the alarm. A thin shell: decisions live in
 * `claims.ts`, `agent-record.ts` and `src/trust/`.
 */
export class AgentState extends DurableObject<Env> {
  #sql: SqlStorage;
  #trust: TrustStore;
  #outbox: Outbox;
  #approvals: ApprovalStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`
      CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS claims (
        delivery_id TEXT PRIMARY KEY, state TEXT NOT NULL, response TEXT,
        claimed_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS claims_expiry ON claims (expires_at);
      CREATE TABLE IF NOT EXISTS denials (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, interaction_id TEXT NOT NULL, tool TEXT NOT NULL,
        level REAL NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
    `);
    this.#trust = new TrustStore(this.#sql);
    this.#outbox = new Outbox(this.#sql);
    this.#approvals = new ApprovalStore(this.#sql);
  }

  /** Creates or replaces the agent. Trust starts at `trust.initial` and survives replacements. */
  configure(input: ConfigureInput): { record: AgentRecord; created: boolean } {
    return this.ctx.storage.transactionSync(() => {
      const previous = this.#get<AgentRecord>("agent");
      const record = nextRecord(previous, input, input.now);
      this.#put("agent", record);
      this.#put("secrets", applySecretsPatch(this.#get<AgentSecrets>("secrets") ?? {}, input.secrets));
      if (!this.#trust.state()) {
        this.#trust.save({
          level: clampLevel(input.config.trust.initial),
          frozen: false,
          frozenReason: null,
          lastChangeAt: null,
          lastEvaluatedAt: null,
          windowStartSeq: 0,
        });
      }
      return { record, created: previous === undefined };
    });
  }

  /** The agent, its secrets and trust level; null when no agent was ever configured here. */
  snapshot(): AgentSnapshot | null {
    const record = this.#get<AgentRecord>("agent");
    if (!record) return null;
    return { record, secrets: this.#get<AgentSecrets>("secrets") ?? {}, trustLevel: this.#trust.state()?.level ?? 0 };
  }

  /** Claims a delivery id; a duplicate gets the stored answer back. */
  claim(deliveryId: string, now: number): ClaimDecision {
    const decision = decideClaim(deliveryId, this.#claimRow(deliveryId), now, DEFAULT_CLAIM_POLICY);
    if (decision.kind === "claimed") this.#writeClaim(decision.row);
    return decision;
  }

  /** Stores the answer of a claimed delivery so repeats replay it. */
  async complete(deliveryId: string, response: string, now: number): Promise<void> {
    const row = this.#claimRow(deliveryId);
    if (!row) return;
    const done = completeClaim(row, response, now, DEFAULT_CLAIM_POLICY);
    this.#writeClaim(done);
    await this.#wakeAt(done.expiresAt);
  }

  /** Gives up a pending claim after a failure, so the provider's retry is answered. */
  release(deliveryId: string): void {
    this.#sql.exec("DELETE FROM claims WHERE delivery_id = ? AND state = 'pending'", deliveryId);
  }

  /**
   * Records how an interaction ended and each tool call the level refused (each an audit
   * event), then lets the trust rules decide whether the level moves.
   */
  async recordOutcome(input: OutcomeInput): Promise<TrustEvaluation> {
    const evaluation = this.ctx.storage.transactionSync(() => {
      const record = this.#requireRecord();
      this.#trust.record(input.interactionId, input.outcome, input.now);
      for (const d of input.denials) {
        this.#sql.exec(
          "INSERT INTO denials (interaction_id, tool, level, reason, at) VALUES (?, ?, ?, ?, ?)",
          input.interactionId,
          d.tool,
          d.level,
          d.reason,
          input.now,
        );
        this.#audit(record, input.now, "agent", "tool.denied", d.tool, "denied", {
          interactionId: input.interactionId,
          level: d.level,
          reason: d.reason,
        }, input.requestId);
      }
      return this.#evaluate(record, input.now);
    });
    await this.#flushSoon();
    return evaluation;
  }

  /** Feedback overrides an interaction's outcome; false when this agent has no such interaction. */
  async feedback(input: { interactionId: string; outcome: Outcome; note: string | null; actor: string; now: number }): Promise<{ found: boolean; level: number }> {
    const result = this.ctx.storage.transactionSync(() => {
      const record = this.#requireRecord();
      if (!this.#trust.feedback(input.interactionId, input.outcome, input.note)) return { found: false, level: this.#trustState().level };
      this.#audit(record, input.now, input.actor, "trust.feedback", input.interactionId, "recorded", {
        outcome: input.outcome,
        note: input.note,
      });
      this.#evaluate(record, input.now);
      return { found: true, level: this.#trustState().level };
    });
    await this.#flushSoon();
    return result;
  }

  /** An operator sets, freezes or unfreezes the level. */
  async command(command: TrustCommand, actor: string, now: number): Promise<TrustView> {
    this.ctx.storage.transactionSync(() => {
      const record = this.#requireRecord();
      const state = this.#trustState();
      if (command.action === "set") {
        this.#change(record, state, { at: now, from: state.level, to: clampLevel(command.level), kind: "set", rule: null, metrics: null, reason: command.reason, actor });
      } else {
        const frozen = command.action === "freeze";
        this.#trust.save({ ...state, frozen, frozenReason: frozen ? command.reason : null });
        this.#trust.addChange({ at: now, from: state.level, to: state.level, kind: command.action, rule: null, metrics: null, reason: command.reason, actor });
        this.#audit(record, now, actor, `trust.${command.action}`, "trust", "changed", { level: state.level, reason: command.reason });
      }
    });
    await this.#flushSoon();
    return this.trustView(now);
  }

  /** Files a request to run an `ask` tool; a person decides through the admin API. */
  async requestApproval(input: {
    interactionId: string;
    tool: string;
    toolInput: unknown;
    channel: string;
    conversationKey: string;
    now: number;
  }): Promise<Approval> {
    const approval = this.ctx.storage.transactionSync(() => {
      const record = this.#requireRecord();
      const approval: Approval = {
        id: `apr_${crypto.randomUUID()}`,
        agentId: record.agentId,
        interactionId: input.interactionId,
        tool: input.tool,
        inputJson: JSON.stringify(input.toolInput ?? null),
        channel: input.channel,
        conversationKey: input.conversationKey,
        requestedAt: input.now,
        expiresAt: input.now + APPROVAL_TTL_MS,
        status: "pending",
        decidedAt: null,
        decidedBy: null,
        note: null,
        result: null,
      };
      this.#approvals.save(approval);
      this.#audit(record, input.now, "agent", "approval.requested", input.tool, "recorded", {
        approvalId: approval.id,
        interactionId: input.interactionId,
        level: this.#trustState().level,
      });
      return approval;
    });
    await this.#flushSoon();
    return approval;
  }

  /** Approval requests, newest first, with expiry applied; optionally one status only. */
  approvals(now: number, status?: Approval["status"]): Approval[] {
    return this.#approvals
      .latest(200)
      .map((a) => ({ ...a, status: statusAt(a, now) }))
      .filter((a) => !status || a.status === status);
  }

  /** A person approves or rejects; only a pending, unexpired request changes, and only once. */
  async decide(id: string, decision: "approve" | "reject", by: string, note: string | null, now: number): Promise<DecisionResult | null> {
    const result = this.ctx.storage.transactionSync(() => {
      const record = this.#requireRecord();
      const approval = this.#approvals.get(id);
      if (!approval) return null;
      const result = decideApproval(approval, decision, by, note, now);
      if (result.ok) {
        this.#approvals.save(result.approval);
        this.#audit(record, now, by, `approval.${decision === "approve" ? "approved" : "rejected"}`, approval.tool, decision === "approve" ? "allowed" : "denied", {
          approvalId: id,
          note,
        });
      }
      return result;
    });
    await this.#flushSoon();
    return result;
  }

  /** Records what an approved call returned. */
  async completeApproval(id: string, result: { content: string; isError: boolean }, now: number): Promise<Approval | null> {
    const approval = this.ctx.storage.transactionSync(() => {
      const record = this.#requireRecord();
      const approval = this.#approvals.get(id);
      if (!approval || approval.status !== "approved") return null;
      const done: Approval = { ...approval, status: result.isError ? "failed" : "executed", result };
      this.#approvals.save(done);
      this.#audit(record, now, "agent", "tool.executed", approval.tool, "allowed", { approvalId: id, isError: result.isError });
      return done;
    });
    await this.#flushSoon();
    return approval;
  }

  /** The level, its tier and tools, the current window's metrics and the latest changes. */
  trustView(now: number): TrustView {
    const record = this.#requireRecord();
    const state = this.#trustState();
    const { trust } = record.config;
    const policy = trustPolicy(trust);
    const window = this.#trust.window(state, policy.windowOutcomes, policy.windowMs === null ? null : now - policy.windowMs);
    return {
      level: state.level,
      frozen: state.frozen,
      frozenReason: state.frozenReason,
      tier: tierKeyAt(state.level, trust.permissions),
      allowedTools: globsForLevel(state.level, trust.permissions),
      deny: trust.deny,
      ask: trust.ask,
      window: { ...computeMetrics(window), sinceChange: this.#trust.sinceChange(state) },
      lastChangeAt: state.lastChangeAt,
      lastEvaluatedAt: state.lastEvaluatedAt,
      recentChanges: this.#trust.changes(0, Number.MAX_SAFE_INTEGER, 20).reverse(),
    };
  }

  /** Trust level over time, rule firings and outcomes per day, for the dashboard. */
  trustAnalytics(from: number, to: number) {
    const record = this.#requireRecord();
    const changes = this.#trust.changes(from, to, 10_000);
    const levelAtFrom = this.#trust.changes(0, from - 1, 1)[0]?.to ?? record.config.trust.initial;
    return {
      levels: [{ at: from, level: levelAtFrom }, ...changes.filter((c) => c.from !== c.to).map((c) => ({ at: c.at, level: c.to }))],
      firings: changes.filter((c) => c.kind === "rule").map((c) => ({ at: c.at, from: c.from, to: c.to, rule: c.rule, metrics: c.metrics })),
      overrides: changes.filter((c) => c.kind !== "rule").map((c) => ({ at: c.at, kind: c.kind, from: c.from, to: c.to, reason: c.reason, actor: c.actor })),
      outcomesByDay: this.#trust.outcomesByDay(from, to),
    };
  }

  /** Outcome totals and the latest denials. */
  outcomeSummary(): { counts: Partial<Record<Outcome, number>>; recentDenials: Array<ToolDenial & { interactionId: string; at: number }> } {
    const recentDenials = this.#sql
      .exec<{ interaction_id: string; tool: string; level: number; reason: string; at: number }>(
        "SELECT interaction_id, tool, level, reason, at FROM denials ORDER BY seq DESC LIMIT 50",
      )
      .toArray()
      .map((r) => ({ interactionId: r.interaction_id, tool: r.tool, level: r.level, reason: r.reason, at: r.at }));
    return { counts: this.#trust.counts(), recentDenials };
  }

  /** Flushes the outbox to D1 (alerts then go to the alert channel) and forgets expired claims. */
  override async alarm(): Promise<void> {
    const alerts = await flushOutbox(this.#outbox, this.env.DB);
    const channel = this.#get<AgentRecord>("agent")?.config.audit.alertChannel;
    for (const alert of alerts) {
      const error = await deliverAlert(alert, channel);
      await this.env.DB.prepare("UPDATE alerts SET delivered_at = ?, delivery_error = ? WHERE id = ?")
        .bind(error ? null : Date.now(), error, alert.id)
        .run();
    }
    this.#sql.exec("DELETE FROM claims WHERE expires_at <= ?", Date.now());
    // Entries added while this alarm ran must not wait for the next claim expiry.
    const next =
      this.#outbox.size() > 0
        ? Date.now()
        : this.#sql.exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM claims WHERE state = 'done'").one().t;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  #evaluate(record: AgentRecord, now: number): TrustEvaluation {
    const state = this.#trustState();
    const policy = trustPolicy(record.config.trust);
    const window = this.#trust.window(state, policy.windowOutcomes, policy.windowMs === null ? null : now - policy.windowMs);
    const evaluation = evaluateTrust(state, this.#trust.sinceChange(state), window, policy, now);
    if (evaluation.kind === "changed") {
      this.#change(record, state, { at: now, from: evaluation.from, to: evaluation.to, kind: "rule", rule: evaluation.rule, metrics: evaluation.metrics, reason: null, actor: "system" });
    } else if (evaluation.kind === "held") {
      this.#trust.save({ ...state, lastEvaluatedAt: now });
    }
    return evaluation;
  }

  /** Applies a level change: a fresh measurement starts, and a rise into more tools raises an alert. */
  #change(record: AgentRecord, state: StoredTrust, change: TrustChange): void {
    this.#trust.save({
      ...state,
      level: change.to,
      lastChangeAt: change.at,
      lastEvaluatedAt: change.kind === "rule" ? change.at : state.lastEvaluatedAt,
      windowStartSeq: this.#trust.lastSeq(),
    });
    this.#trust.addChange(change);
    const { permissions } = record.config.trust;
    this.#audit(record, change.at, change.actor, "trust.changed", "trust", "changed", {
      from: change.from,
      to: change.to,
      kind: change.kind,
      rule: change.rule,
      metrics: change.metrics,
      reason: change.reason,
      tier: tierKeyAt(change.to, permissions),
    });
    const granted = newGlobs(change.from, change.to, permissions);
    if (granted.length > 0 && record.config.audit.analytics.alerts.includes("permission_escalation")) {
      this.#outbox.add({
        kind: "alert",
        body: {
          id: crypto.randomUUID(),
          agentId: record.agentId,
          at: change.at,
          type: "permission_escalation",
          message: `trust level rose from ${change.from} to ${change.to} (${change.kind === "rule" ? "rule" : `by ${change.actor}`}); newly allowed: ${granted.join(", ")}`,
          details: { from: change.from, to: change.to, granted, tier: tierKeyAt(change.to, permissions), rule: change.rule, reason: change.reason },
        },
      });
    }
  }

  #audit(
    record: AgentRecord,
    at: number,
    actor: string,
    action: string,
    resource: string,
    decision: "allowed" | "denied" | "changed" | "recorded",
    details: Record<string, unknown>,
    requestId?: string,
  ): void {
    if (!record.config.audit.enabled) return;
    this.#outbox.add({
      kind: "audit",
      body: { id: crypto.randomUUID(), agentId: record.agentId, at, actor, action, resource, decision, details, ...(requestId ? { requestId } : {}) },
    });
  }

  /** The outbox is flushed by the alarm, right away, so the caller's answer never waits for D1. */
  async #flushSoon(): Promise<void> {
    if (this.#outbox.size() > 0) await this.#wakeAt(Date.now());
  }

  async #wakeAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  #requireRecord(): AgentRecord {
    const record = this.#get<AgentRecord>("agent");
    if (!record) throw new Error("agent is not configured");
    return record;
  }

  #trustState(): StoredTrust {
    const state = this.#trust.state();
    if (!state) throw new Error("agent is not configured");
    return state;
  }

  #claimRow(deliveryId: string): ClaimRow | undefined {
    const row = this.#sql
      .exec<{ state: string; response: string | null; claimed_at: number; expires_at: number }>(
        "SELECT state, response, claimed_at, expires_at FROM claims WHERE delivery_id = ?",
        deliveryId,
      )
      .toArray()[0];
    if (!row) return undefined;
    return { deliveryId, state: row.state === "done" ? "done" : "pending", response: row.response, claimedAt: row.claimed_at, expiresAt: row.expires_at };
  }

  #writeClaim(row: ClaimRow): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO claims (delivery_id, state, response, claimed_at, expires_at) VALUES (?, ?, ?, ?, ?)",
      row.deliveryId,
      row.state,
      row.response,
      row.claimedAt,
      row.expiresAt,
    );
  }

  #get<T>(key: string): T | undefined {
    const row = this.#sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  #put(key: string, value: unknown): void {
    this.#sql.exec("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", key, JSON.stringify(value));
  }
}
