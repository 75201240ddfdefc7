import type { Outcome, ToolDenial } from "../core/types";
import { columnsOf, ensureColumns } from "../core/sql";
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

/** Who gave feedback: an operator through the admin API, or a customer (a reaction). */
export type FeedbackSource = "operator" | "customer";

/**
 * The share of a trust window customers' feedback may decide: enough for real complaints to
 * lower the level, too little for one customer's reactions to move it alone.
 */
export const CUSTOMER_FEEDBACK_SHARE = 0.2;

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
    // `counts`: whether the outcome measures the agent's own work (a model answer); `feedback_by`:
    // who changed it (operator or customer).
    ensureColumns(sql, "outcomes", { counts: "INTEGER NOT NULL DEFAULT 1", feedback_by: "TEXT" });
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

  /**
   * Records an interaction's outcome; returns its sequence number. `counts` is false for answers
   * the agent did not make itself (rules, caches, patterns): kept for feedback, never measured.
   */
  /** Whether an interaction's outcome is recorded. */
  hasOutcome(interactionId: string): boolean {
    return this.#sql.exec("SELECT 1 FROM outcomes WHERE interaction_id = ? LIMIT 1", interactionId).toArray().length > 0;
  }

  record(interactionId: string, outcome: Outcome, at: number, counts = true): number {
    return this.#sql
      .exec<{ seq: number }>(
        "INSERT INTO outcomes (interaction_id, outcome, effective, at, counts) VALUES (?, ?, ?, ?, ?) RETURNING seq",
        interactionId,
        outcome,
        outcome,
        at,
        counts ? 1 : 0,
      )
      .one().seq;
  }

  /**
   * Feedback on an interaction; null when the interaction is unknown. An operator's replaces the
   * outcome and is final. A customer's can only make it worse (a positive reaction is kept as a
   * note and changes nothing), and never overrides an operator's.
   */
  feedback(interactionId: string, outcome: Outcome, note: string | null, from: FeedbackSource): { applied: boolean } | null {
    const row = this.#sql
      .exec<{ feedback_by: string | null }>("SELECT feedback_by FROM outcomes WHERE interaction_id = ? ORDER BY seq DESC LIMIT 1", interactionId)
      .toArray()[0];
    if (!row) return null;
    const applied = from === "operator" || (row.feedback_by !== "operator" && outcome !== "success");
    if (applied) {
      this.#sql.exec("UPDATE outcomes SET feedback = ?, note = ?, effective = ?, feedback_by = ? WHERE interaction_id = ?", outcome, note, outcome, from, interactionId);
    } else if (row.feedback_by === null) {
      this.#sql.exec("UPDATE outcomes SET note = ? WHERE interaction_id = ?", note, interactionId);
    }
    return { applied };
  }

  /**
   * The measured outcomes since the last change, the newest `limit`, optionally only since
   * `since`. Customers' feedback counts for at most `customerShare` of them; past that, those
   * answers count as they ended.
   */
  window(state: StoredTrust, limit: number, since: number | null, customerShare = CUSTOMER_FEEDBACK_SHARE): Outcome[] {
    const rows = this.#sql
      .exec<{ outcome: string; effective: string; feedback_by: string | null }>(
        "SELECT outcome, effective, feedback_by FROM outcomes WHERE seq > ? AND at >= ? AND counts = 1 ORDER BY seq DESC LIMIT ?",
        state.windowStartSeq,
        since ?? 0,
        limit,
      )
      .toArray();
    let allowance = Math.floor(customerShare * rows.length);
    return rows.map((r) => {
      if (r.feedback_by !== "customer" || r.effective === r.outcome) return asOutcome(r.effective);
      if (allowance <= 0) return asOutcome(r.outcome);
      allowance -= 1;
      return asOutcome(r.effective);
    });
  }

  sinceChange(state: StoredTrust): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outcomes WHERE seq > ? AND counts = 1", state.windowStartSeq).one().n;
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
