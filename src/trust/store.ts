import type { Outcome, ToolDenial } from "../core/types";
import { columnsOf } from "../core/sql";
import type { TrustMetrics, TrustRule, TrustState } from "./rules";

/** The trust state as stored: the engine's state plus where the current measurement starts. */
export interface StoredTrust extends TrustState {
  /** Outcomes with a sequence number above this belong to the current measurement. */
  windowStartSeq: number;
}

export interface TrustChange {
  at: number;
  from: number;
  to: number;
  /** `rule` (measured), `set` (an operator), `freeze` / `unfreeze`. */
  kind: "rule" | "set" | "freeze" | "unfreeze";
  rule: TrustRule | null;
  metrics: TrustMetrics | null;
  reason: string | null;
  actor: string;
}

const OUTCOMES: readonly Outcome[] = ["success", "error", "denied", "escalated"];
const asOutcome = (v: string): Outcome => (OUTCOMES.includes(v as Outcome) ? (v as Outcome) : "error");

/**
 * The trust tables of one agent's Durable Object: its outcomes (with feedback), the level's
 * state and its history of changes. SQL only; the decisions are in `rules.ts`.
 */
export class TrustStore {
  #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    TrustStore.#upgradeOutcomes(sql);
    sql.exec(`
      CREATE TABLE IF NOT EXISTS outcomes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, interaction_id TEXT NOT NULL, outcome TEXT NOT NULL,
        feedback TEXT, note TEXT, effective TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS outcomes_interaction ON outcomes (interaction_id);
      CREATE INDEX IF NOT EXISTS outcomes_at ON outcomes (at);
      CREATE TABLE IF NOT EXISTS trust_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, from_level REAL NOT NULL, to_level REAL NOT NULL,
        kind TEXT NOT NULL, rule TEXT, metrics TEXT, reason TEXT, actor TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS trust_state (id INTEGER PRIMARY KEY CHECK (id = 1), value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS denials (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, interaction_id TEXT NOT NULL, tool TEXT NOT NULL,
        level REAL NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
    `);
  }

  addDenial(interactionId: string, denial: ToolDenial, at: number): void {
    this.#sql.exec(
      "INSERT INTO denials (interaction_id, tool, level, reason, at) VALUES (?, ?, ?, ?, ?)",
      interactionId,
      denial.tool,
      denial.level,
      denial.reason,
      at,
    );
  }

  /** The newest denials, newest first. */
  recentDenials(limit: number): Array<ToolDenial & { interactionId: string; at: number }> {
    return this.#sql
      .exec<{ interaction_id: string; tool: string; level: number; reason: string; at: number }>(
        "SELECT interaction_id, tool, level, reason, at FROM denials ORDER BY seq DESC LIMIT ?",
        limit,
      )
      .toArray()
      .map((r) => ({ interactionId: r.interaction_id, tool: r.tool, level: r.level, reason: r.reason, at: r.at }));
  }

  /**
   * The first version's `outcomes` table had a NOT NULL `denials` count and no feedback columns;
   * SQLite cannot drop a column's constraint, so that table is rebuilt once, keeping its rows.
   */
  static #upgradeOutcomes(sql: SqlStorage): void {
    const columns = columnsOf(sql, "outcomes");
    if (columns.size === 0 || columns.has("effective")) return;
    sql.exec(`
      ALTER TABLE outcomes RENAME TO outcomes_v1;
      CREATE TABLE outcomes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, interaction_id TEXT NOT NULL, outcome TEXT NOT NULL,
        feedback TEXT, note TEXT, effective TEXT NOT NULL, at INTEGER NOT NULL);
      INSERT INTO outcomes (seq, interaction_id, outcome, effective, at) SELECT seq, interaction_id, outcome, outcome, at FROM outcomes_v1;
      DROP TABLE outcomes_v1;
    `);
  }

  /** Null until the agent is first configured. */
  state(): StoredTrust | null {
    const row = this.#sql.exec<{ value: string }>("SELECT value FROM trust_state WHERE id = 1").toArray()[0];
    return row ? (JSON.parse(row.value) as StoredTrust) : null;
  }

  save(state: StoredTrust): void {
    this.#sql.exec("INSERT OR REPLACE INTO trust_state (id, value) VALUES (1, ?)", JSON.stringify(state));
  }

  /** Records an interaction's outcome; returns its sequence number. */
  record(interactionId: string, outcome: Outcome, at: number): number {
    return this.#sql
      .exec<{ seq: number }>(
        "INSERT INTO outcomes (interaction_id, outcome, effective, at) VALUES (?, ?, ?, ?) RETURNING seq",
        interactionId,
        outcome,
        outcome,
        at,
      )
      .one().seq;
  }

  /** Feedback overrides an interaction's outcome; false when the interaction is unknown. */
  feedback(interactionId: string, outcome: Outcome, note: string | null): boolean {
    const cursor = this.#sql.exec(
      "UPDATE outcomes SET feedback = ?, note = ?, effective = ? WHERE interaction_id = ?",
      outcome,
      note,
      outcome,
      interactionId,
    );
    return cursor.rowsWritten > 0;
  }

  /** Outcomes since the last change, the newest `limit`, optionally only since `since`. */
  window(state: StoredTrust, limit: number, since: number | null): Outcome[] {
    return this.#sql
      .exec<{ effective: string }>(
        "SELECT effective FROM outcomes WHERE seq > ? AND at >= ? ORDER BY seq DESC LIMIT ?",
        state.windowStartSeq,
        since ?? 0,
        limit,
      )
      .toArray()
      .map((r) => asOutcome(r.effective));
  }

  sinceChange(state: StoredTrust): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outcomes WHERE seq > ?", state.windowStartSeq).one().n;
  }

  lastSeq(): number {
    return this.#sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM outcomes").one().s ?? 0;
  }

  addChange(change: TrustChange): void {
    this.#sql.exec(
      "INSERT INTO trust_changes (at, from_level, to_level, kind, rule, metrics, reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      change.at,
      change.from,
      change.to,
      change.kind,
      change.rule ? JSON.stringify(change.rule) : null,
      change.metrics ? JSON.stringify(change.metrics) : null,
      change.reason,
      change.actor,
    );
  }

  /** Changes in a time range, oldest first, at most `limit` (the newest ones when cut). */
  changes(from: number, to: number, limit: number): TrustChange[] {
    return this.#sql
      .exec<{ at: number; from_level: number; to_level: number; kind: string; rule: string | null; metrics: string | null; reason: string | null; actor: string }>(
        "SELECT * FROM (SELECT * FROM trust_changes WHERE at >= ? AND at <= ? ORDER BY seq DESC LIMIT ?) ORDER BY at, seq",
        from,
        to,
        limit,
      )
      .toArray()
      .map((r) => ({
        at: r.at,
        from: r.from_level,
        to: r.to_level,
        kind: r.kind as TrustChange["kind"],
        rule: r.rule ? (JSON.parse(r.rule) as TrustRule) : null,
        metrics: r.metrics ? (JSON.parse(r.metrics) as TrustMetrics) : null,
        reason: r.reason,
        actor: r.actor,
      }));
  }

  /** Outcome counts per UTC day in a time range, with feedback applied. */
  outcomesByDay(from: number, to: number): Array<{ day: string } & Record<Outcome, number>> {
    const rows = this.#sql
      .exec<{ day: string; effective: string; n: number }>(
        "SELECT date(at / 1000, 'unixepoch') AS day, effective, COUNT(*) AS n FROM outcomes WHERE at >= ? AND at <= ? GROUP BY day, effective ORDER BY day",
        from,
        to,
      )
      .toArray();
    const byDay = new Map<string, { day: string } & Record<Outcome, number>>();
    for (const r of rows) {
      const entry = byDay.get(r.day) ?? { day: r.day, success: 0, error: 0, denied: 0, escalated: 0 };
      entry[asOutcome(r.effective)] += r.n;
      byDay.set(r.day, entry);
    }
    return [...byDay.values()];
  }

  /** Totals over every stored outcome, with feedback applied. */
  counts(): Partial<Record<Outcome, number>> {
    const counts: Partial<Record<Outcome, number>> = {};
    for (const r of this.#sql.exec<{ effective: string; n: number }>("SELECT effective, COUNT(*) AS n FROM outcomes GROUP BY effective")) {
      counts[asOutcome(r.effective)] = r.n;
    }
    return counts;
  }
}
