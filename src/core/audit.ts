import type { AgentRecord } from "./agent";
import type { Alert, AuditEvent } from "./types";

export const AUDIT_LEVELS = ["minimal", "standard", "detailed"] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

/** An event made outside the agent's object, recorded by it at the given level. */
export interface PendingAuditEvent {
  level: AuditLevel;
  event: Omit<AuditEvent, "id" | "agentId">;
}

/**
 * Where a part of the agent's object writes its audit events and alerts, inside the
 * transaction of the change they describe. The audit folder's `Auditor` is the implementation.
 */
export interface AuditSink {
  event(record: AgentRecord, event: Omit<AuditEvent, "id" | "agentId">, level?: AuditLevel): void;
  alert(record: AgentRecord, alert: Omit<Alert, "id" | "agentId">): void;
}
