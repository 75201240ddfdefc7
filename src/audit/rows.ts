import type { AuditEvent } from "../core/types";
import type { StoredAuditEvent } from "./chain";

/** D1 `audit_events` rows and the events they hold, for verification, search and the archive. */

export interface EventRow {
  id: string;
  agent_id: string;
  seq: number | null;
  at: number;
  actor: string;
  action: string;
  resource: string;
  decision: AuditEvent["decision"];
  details: string;
  cost_micros: number | null;
  request_id: string | null;
  prev_hash: string | null;
  hash: string | null;
}

export const EVENT_COLUMNS = "id, agent_id, seq, at, actor, action, resource, decision, details, cost_micros, request_id, prev_hash, hash";

export function toStored(row: EventRow & { seq: number }): StoredAuditEvent {
  return {
    id: row.id,
    agentId: row.agent_id,
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    decision: row.decision,
    details: parseDetails(row.details),
    // Absent when NULL, as in the event that was hashed.
    ...(row.cost_micros === null ? {} : { costMicros: row.cost_micros }),
    ...(row.request_id === null ? {} : { requestId: row.request_id }),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}


/** Details as stored; text that no longer parses (tampering) stays text, so an audit hash fails. */
export function parseDetails(raw: string): Record<string, unknown> {
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return raw as unknown as Record<string, unknown>;
  }
}
