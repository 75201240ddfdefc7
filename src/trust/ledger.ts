import type { AuditSink, PendingAuditEvent } from "../core/audit";
import type { Outcome, ToolDenial } from "../core/types";
import type { AgentRecord } from "../core/agent";
import { globsForLevel, newGlobs, tierKeyAt } from "./permissions";
import { trustPolicy } from "./policy";
import { clampLevel, computeMetrics, evaluateTrust, type TrustEvaluation } from "./rules";
import type { FeedbackSource, StoredTrust, TrustChange, TrustStore } from "./store";

export interface OutcomeInput {
  interactionId: string;
  outcome: Outcome;
  denials: ToolDenial[];
  /** False for an answer the agent did not make itself (a rule, a cache, a pattern): not measured. */
  counts?: boolean;
  now: number;
  requestId?: string;
  /** Audit events of the interaction, recorded in the same transaction as its outcome. */
  events?: PendingAuditEvent[];
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
 * An agent's trust bookkeeping inside its Durable Object: outcomes in, rules evaluated, level
 * changes applied with their audit events and escalation alerts. The caller holds the
 * transaction; decisions come from `rules.ts` and `permissions.ts`.
 */
export class TrustLedger {
  #store: TrustStore;
  #auditor: AuditSink;

  constructor(store: TrustStore, auditor: AuditSink) {
    this.#store = store;
    this.#auditor = auditor;
  }

  /** Starts a new agent at its initial level; an existing agent keeps its level. */
  init(initial: number): void {
    if (this.#store.state()) return;
    this.#store.save({ level: clampLevel(initial), frozen: false, frozenReason: null, lastChangeAt: null, lastEvaluatedAt: null, windowStartSeq: 0 });
  }

  level(): number {
    return this.#store.state()?.level ?? 0;
  }

  /** Records an outcome and its denials (each audited), then lets the rules decide. */
  record(record: AgentRecord, input: OutcomeInput): TrustEvaluation {
    this.#store.record(input.interactionId, input.outcome, input.now, input.counts ?? true);
    for (const d of input.denials) {
      this.#store.addDenial(input.interactionId, d, input.now);
      this.#auditor.event(record, {
        at: input.now,
        actor: "agent",
        action: "tool.denied",
        resource: d.tool,
        decision: "denied",
        details: { interactionId: input.interactionId, level: d.level, reason: d.reason },
        ...(input.requestId ? { requestId: input.requestId } : {}),
      });
    }
    return this.#evaluate(record, input.now);
  }

  /**
   * Feedback on an interaction (see `TrustStore.feedback` for whose counts how); false when the
   * agent has no such interaction.
   */
  feedback(record: AgentRecord, input: { interactionId: string; outcome: Outcome; note: string | null; actor: string; from: FeedbackSource; now: number }): boolean {
    const result = this.#store.feedback(input.interactionId, input.outcome, input.note, input.from);
    if (!result) return false;
    this.#auditor.event(record, {
      at: input.now,
      actor: input.actor,
      action: "trust.feedback",
      resource: input.interactionId,
      decision: "recorded",
      details: { outcome: input.outcome, note: input.note, from: input.from, applied: result.applied },
    });
    if (result.applied) this.#evaluate(record, input.now);
    return true;
  }

  /** An operator sets, freezes or unfreezes the level. */
  command(record: AgentRecord, command: TrustCommand, actor: string, now: number): void {
    const state = this.#state();
    if (command.action === "set") {
      this.#change(record, state, { at: now, from: state.level, to: clampLevel(command.level), kind: "set", rule: null, metrics: null, reason: command.reason, actor });
      return;
    }
    const frozen = command.action === "freeze";
    this.#store.save({ ...state, frozen, frozenReason: frozen ? command.reason : null });
    this.#store.addChange({ at: now, from: state.level, to: state.level, kind: command.action, rule: null, metrics: null, reason: command.reason, actor });
    this.#auditor.event(record, {
      at: now,
      actor,
      action: `trust.${command.action}`,
      resource: "trust",
      decision: "changed",
      details: { level: state.level, reason: command.reason },
    });
  }

  /** The level, its tier and tools, the current window's metrics and the latest changes. */
  view(record: AgentRecord, now: number): TrustView {
    const state = this.#state();
    const { trust } = record.config;
    return {
      level: state.level,
      frozen: state.frozen,
      frozenReason: state.frozenReason,
      tier: tierKeyAt(state.level, trust.permissions),
      allowedTools: globsForLevel(state.level, trust.permissions),
      deny: trust.deny,
      ask: trust.ask,
      window: { ...computeMetrics(this.#window(record, state, now)), sinceChange: this.#store.sinceChange(state) },
      lastChangeAt: state.lastChangeAt,
      lastEvaluatedAt: state.lastEvaluatedAt,
      recentChanges: this.#store.changes(0, Number.MAX_SAFE_INTEGER, 20).reverse(),
    };
  }

  /** Trust level over time, rule firings, overrides and outcomes per day, for the dashboard. */
  analytics(record: AgentRecord, from: number, to: number) {
    const changes = this.#store.changes(from, to, 10_000);
    const levelAtFrom = this.#store.changes(0, from - 1, 1)[0]?.to ?? record.config.trust.initial;
    return {
      levels: [{ at: from, level: levelAtFrom }, ...changes.filter((c) => c.from !== c.to).map((c) => ({ at: c.at, level: c.to }))],
      firings: changes.filter((c) => c.kind === "rule").map((c) => ({ at: c.at, from: c.from, to: c.to, rule: c.rule, metrics: c.metrics })),
      overrides: changes.filter((c) => c.kind !== "rule").map((c) => ({ at: c.at, kind: c.kind, from: c.from, to: c.to, reason: c.reason, actor: c.actor })),
      outcomesByDay: this.#store.outcomesByDay(from, to),
    };
  }

  /** Whether an interaction's outcome is recorded (each attempt at a message has its own interaction). */
  hasOutcome(interactionId: string): boolean {
    return this.#store.hasOutcome(interactionId);
  }

  /** Outcome totals and the latest denials. */
  summary() {
    return { counts: this.#store.counts(), recentDenials: this.#store.recentDenials(50) };
  }

  #state(): StoredTrust {
    const state = this.#store.state();
    if (!state) throw new Error("agent is not configured");
    return state;
  }

  #window(record: AgentRecord, state: StoredTrust, now: number): Outcome[] {
    const policy = trustPolicy(record.config.trust);
    return this.#store.window(state, policy.windowOutcomes, policy.windowMs === null ? null : now - policy.windowMs);
  }

  #evaluate(record: AgentRecord, now: number): TrustEvaluation {
    const state = this.#state();
    const evaluation = evaluateTrust(state, this.#store.sinceChange(state), this.#window(record, state, now), trustPolicy(record.config.trust), now);
    if (evaluation.kind === "changed") {
      this.#change(record, state, { at: now, from: evaluation.from, to: evaluation.to, kind: "rule", rule: evaluation.rule, metrics: evaluation.metrics, reason: null, actor: "system" });
    } else if (evaluation.kind === "held") {
      this.#store.save({ ...state, lastEvaluatedAt: now });
    }
    return evaluation;
  }

  /** Applies a level change: a fresh measurement starts, and a rise into more tools raises an alert. */
  #change(record: AgentRecord, state: StoredTrust, change: TrustChange): void {
    this.#store.save({
      ...state,
      level: change.to,
      lastChangeAt: change.at,
      lastEvaluatedAt: change.kind === "rule" ? change.at : state.lastEvaluatedAt,
      windowStartSeq: this.#store.lastSeq(),
    });
    this.#store.addChange(change);
    const { permissions } = record.config.trust;
    const tier = tierKeyAt(change.to, permissions);
    this.#auditor.event(record, {
      at: change.at,
      actor: change.actor,
      action: "trust.changed",
      resource: "trust",
      decision: "changed",
      details: { from: change.from, to: change.to, kind: change.kind, rule: change.rule, metrics: change.metrics, reason: change.reason, tier },
    });
    const granted = newGlobs(change.from, change.to, permissions);
    if (granted.length === 0) return;
    this.#auditor.alert(record, {
      at: change.at,
      type: "permission_escalation",
      message: `trust level rose from ${change.from} to ${change.to} (${change.kind === "rule" ? "rule" : `by ${change.actor}`}); newly allowed: ${granted.join(", ")}`,
      details: { from: change.from, to: change.to, granted, tier, rule: change.rule, reason: change.reason },
    });
  }
}
