import type { AgentRecord } from "../core/agent";
import { AUDIT_LEVELS, type AuditLevel, type AuditSink } from "../core/audit";
import type { Alert, AuditEvent } from "../core/types";
import type { Outbox } from "./outbox";

export { AUDIT_LEVELS, type AuditLevel, type PendingAuditEvent } from "../core/audit";

/**
 * Writes an agent's audit events and alerts to its outbox, honouring its `audit` config.
 * Called inside the transaction of the change being recorded.
 */
export class Auditor implements AuditSink {
  #outbox: Outbox;

  constructor(outbox: Outbox) {
    this.#outbox = outbox;
  }

  /**
   * An audit event; nothing when `audit.enabled` is off, or when the event is finer than
   * `audit.level` (`minimal` keeps security and change events, `standard` adds one event per
   * answered message, `detailed` adds every tool call with its masked arguments).
   */
  event(record: AgentRecord, event: Omit<AuditEvent, "id" | "agentId">, level: AuditLevel = "minimal"): void {
    if (!record.config.audit.enabled) return;
    if (AUDIT_LEVELS.indexOf(level) > AUDIT_LEVELS.indexOf(record.config.audit.level)) return;
    this.#outbox.add({ kind: "audit", body: { id: crypto.randomUUID(), agentId: record.agentId, ...event } });
  }

  /**
   * An alert. `unusual_activity` and `permission_escalation` are raised only when listed in
   * `audit.analytics.alerts`; budget alerts follow the budget's own `alertThreshold` and are
   * always raised (the vision's example lists only the first two yet sets a threshold), and
   * `urgent_message` follows `messageHandling.urgencyAlert`.
   */
  alert(record: AgentRecord, alert: Omit<Alert, "id" | "agentId">): void {
    const type = alert.type;
    const switchable = type === "unusual_activity" || type === "permission_escalation";
    if (switchable && !record.config.audit.analytics.alerts.includes(type)) return;
    this.#outbox.add({ kind: "alert", body: { id: crypto.randomUUID(), agentId: record.agentId, ...alert } });
  }
}
