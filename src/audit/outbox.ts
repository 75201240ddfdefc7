import type { Alert, AuditEvent } from "../core/types";
import { type ChainedAuditEvent, type ChainHead, extendChain, GENESIS } from "./chain";

type Entry = { kind: "audit"; body: AuditEvent } | { kind: "alert"; body: Alert };

/** What the outbox needs of its Durable Object's storage. */
export type OutboxStorage = Pick<DurableObjectStorage, "sql" | "transactionSync">;

/**
 * An agent's outbox of audit events and alerts, kept in its Durable Object's SQLite storage, and
 * the head of the agent's audit hash chain. Entries are written in the same transaction as the
 * change they describe, so an audited change can never exist without its event; a flush moves
 * them to D1 and deletes them only after D1 accepted them. The chain is computed at flush time
 * because WebCrypto's digest is async and the writes above are synchronous transactions; the
 * object is the agent's single writer, so the outbox order is the chain order.
 */
export class Outbox {
  #storage: OutboxStorage;
  #sql: SqlStorage;

  constructor(storage: OutboxStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    this.#sql.exec("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body TEXT NOT NULL)");
    this.#sql.exec("CREATE TABLE IF NOT EXISTS audit_chain (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL)");
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

  /** The last event flushed to D1: where the next flush continues the chain. */
  head(): ChainHead {
    return this.#sql.exec<{ seq: number; hash: string }>("SELECT seq, hash FROM audit_chain WHERE id = 1").toArray()[0] ?? GENESIS;
  }

  /**
   * After D1 accepted the entries from `firstSeq` to `lastSeq`, which were chained from `from`:
   * deletes them and moves the head to `to`, in one transaction. Refuses (false) when another flush
   * got there first; its rows were the same, since the chain is deterministic, and moving the head
   * again would move it backwards.
   */
  commit(entries: { firstSeq: number; lastSeq: number }, from: ChainHead, to: ChainHead): boolean {
    return this.#storage.transactionSync(() => {
      const head = this.head();
      const stillHere = this.#sql.exec("SELECT 1 FROM outbox WHERE seq = ?", entries.firstSeq).toArray().length > 0;
      if (!stillHere || head.seq !== from.seq || head.hash !== from.hash) return false;
      this.#sql.exec("DELETE FROM outbox WHERE seq <= ?", entries.lastSeq);
      this.#sql.exec("INSERT OR REPLACE INTO audit_chain (id, seq, hash) VALUES (1, ?, ?)", to.seq, to.hash);
      return true;
    });
  }
}

/** Entries moved per flush; D1 batches stay well under their statement limits. */
const FLUSH_BATCH = 50;

/**
 * A chained event's row. Replaying an identical row (same id) changes nothing; a row stored by
 * the version before the chain (same id, no seq: flushed just before a crash and the deploy) gets
 * its links. Another event at the same (agent, seq) is an error, never silently dropped: the head
 * went backwards, and the entries stay in the outbox until someone looks.
 */
const INSERT_EVENT = `INSERT INTO audit_events
  (id, agent_id, at, actor, action, resource, decision, details, cost_micros, request_id, seq, prev_hash, hash)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, prev_hash = excluded.prev_hash, hash = excluded.hash
  WHERE audit_events.seq IS NULL`;

function insertEvent(db: D1Database, e: ChainedAuditEvent): D1PreparedStatement {
  return db
    .prepare(INSERT_EVENT)
    .bind(e.id, e.agentId, e.at, e.actor, e.action, e.resource, e.decision, JSON.stringify(e.details), e.costMicros ?? null, e.requestId ?? null, e.seq, e.prevHash, e.hash);
}

function insertAlert(db: D1Database, a: Alert): D1PreparedStatement {
  return db
    .prepare("INSERT OR IGNORE INTO alerts (id, agent_id, at, type, message, details) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(a.id, a.agentId, a.at, a.type, a.message, JSON.stringify(a.details));
}

/**
 * Moves outbox entries to D1 (`audit_events`, chained; `alerts`, not chained), oldest first.
 * The head advances in the transaction that deletes the entries, so after a crash between D1
 * accepting and that transaction the same entries are chained from the same head again and give
 * identical rows, which D1 already has. Returns the alerts written, for delivery to the alert
 * channel. Throws if D1 fails: the entries and the head stay.
 *
 * @example
 * const alerts = await flushOutbox(new Outbox(ctx.storage), await agentDb(env, agentId));
 */
export async function flushOutbox(outbox: Outbox, db: D1Database): Promise<Alert[]> {
  const delivered: Alert[] = [];
  for (;;) {
    // Read together, with no await between: the entries continue exactly this head.
    const entries = outbox.peek(FLUSH_BATCH);
    const from = outbox.head();
    if (entries.length === 0) break;
    const audits = entries.flatMap((e) => (e.kind === "audit" ? [e.body] : []));
    const chain = await extendChain(from, audits);
    let next = 0;
    await db.batch(entries.map((e) => (e.kind === "audit" ? insertEvent(db, chain.events[next++]!) : insertAlert(db, e.body))));
    if (!outbox.commit({ firstSeq: entries[0]!.seq, lastSeq: entries.at(-1)!.seq }, from, chain.head)) break;
    for (const e of entries) if (e.kind === "alert") delivered.push(e.body);
  }
  return delivered;
}
