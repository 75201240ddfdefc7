import type { Alert, AuditEvent } from "../core/types";

type Entry = { kind: "audit"; body: AuditEvent } | { kind: "alert"; body: Alert };

/**
 * An agent's outbox of audit events and alerts, kept in its Durable Object's SQLite storage.
 * Entries are written in the same transaction as the change they describe, so an audited
 * change can never exist without its event; a flush moves them to D1 and deletes them only
 * after D1 accepted them.
 */
export class Outbox {
  #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body TEXT NOT NULL)");
  }

  add(entry: Entry): void {
    this.#sql.exec("INSERT INTO outbox (kind, body) VALUES (?, ?)", entry.kind, JSON.stringify(entry.body));
  }

  size(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
  }

  /** The oldest entries, at most `limit`. */
  peek(limit: number): Array<Entry & { seq: number }> {
    return this.#sql
      .exec<{ seq: number; kind: string; body: string }>("SELECT seq, kind, body FROM outbox ORDER BY seq LIMIT ?", limit)
      .toArray()
      .map((r) => ({ seq: r.seq, kind: r.kind === "alert" ? "alert" : "audit", body: JSON.parse(r.body) }) as Entry & { seq: number });
  }

  remove(upToSeq: number): void {
    this.#sql.exec("DELETE FROM outbox WHERE seq <= ?", upToSeq);
  }
}

/** Entries moved per flush; D1 batches stay well under their statement limits. */
const FLUSH_BATCH = 50;

/**
 * Moves outbox entries to D1 (`audit_events`, `alerts`), oldest first; inserts ignore ids
 * already stored, so a flush repeated after a crash duplicates nothing. Returns the alerts
 * written, for delivery to the alert channel. Throws if D1 fails: the entries stay.
 */
export async function flushOutbox(outbox: Outbox, db: D1Database): Promise<Alert[]> {
  const delivered: Alert[] = [];
  for (let entries = outbox.peek(FLUSH_BATCH); entries.length > 0; entries = outbox.peek(FLUSH_BATCH)) {
    await db.batch(
      entries.map((e) =>
        e.kind === "audit"
          ? db
              .prepare(
                "INSERT OR IGNORE INTO audit_events (id, agent_id, at, actor, action, resource, decision, details, cost_micros, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              )
              .bind(
                e.body.id,
                e.body.agentId,
                e.body.at,
                e.body.actor,
                e.body.action,
                e.body.resource,
                e.body.decision,
                JSON.stringify(e.body.details),
                e.body.costMicros ?? null,
                e.body.requestId ?? null,
              )
          : db
              .prepare("INSERT OR IGNORE INTO alerts (id, agent_id, at, type, message, details) VALUES (?, ?, ?, ?, ?, ?)")
              .bind(e.body.id, e.body.agentId, e.body.at, e.body.type, e.body.message, JSON.stringify(e.body.details)),
      ),
    );
    for (const e of entries) if (e.kind === "alert") delivered.push(e.body);
    outbox.remove(entries.at(-1)!.seq);
  }
  return delivered;
}
