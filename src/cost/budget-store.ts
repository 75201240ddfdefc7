import type { Micros } from "../core/money";
import { ensureColumns } from "../core/sql";

export interface BudgetDayRow {
  day: string;
  spent: Micros;
  thresholdAlerted: boolean;
  exhaustedAlerted: boolean;
}

/** Budget counters and open reservations in an agent's Durable Object. */
export class BudgetStore {
  #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`
      CREATE TABLE IF NOT EXISTS budget_days (
        day TEXT PRIMARY KEY, spent INTEGER NOT NULL DEFAULT 0,
        threshold_alerted INTEGER NOT NULL DEFAULT 0, exhausted_alerted INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS reservations (
        id TEXT PRIMARY KEY, day TEXT NOT NULL, amount INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'open');
    `);
    ensureColumns(sql, "reservations", { state: "TEXT NOT NULL DEFAULT 'open'" });
  }

  day(day: string): BudgetDayRow {
    const row = this.#sql
      .exec<{ spent: number; threshold_alerted: number; exhausted_alerted: number }>(
        "SELECT spent, threshold_alerted, exhausted_alerted FROM budget_days WHERE day = ?",
        day,
      )
      .toArray()[0];
    return { day, spent: row?.spent ?? 0, thresholdAlerted: row?.threshold_alerted === 1, exhaustedAlerted: row?.exhausted_alerted === 1 };
  }

  addSpent(day: string, amount: Micros): void {
    this.#sql.exec(
      "INSERT INTO budget_days (day, spent) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET spent = spent + excluded.spent",
      day,
      amount,
    );
  }

  markAlerted(day: string, kind: "threshold" | "exhausted"): void {
    this.#sql.exec("INSERT OR IGNORE INTO budget_days (day) VALUES (?)", day);
    this.#sql.exec(`UPDATE budget_days SET ${kind === "threshold" ? "threshold_alerted" : "exhausted_alerted"} = 1 WHERE day = ?`, day);
  }

  /**
   * Reservations past their expiry belong to calls that never settled (the worker died, the
   * client went away): the model may still have billed them, so their worst case counts as
   * spent. A late settlement corrects it. Expired and settled rows are forgotten after a day.
   */
  expire(now: number): void {
    const expired = this.#sql
      .exec<{ day: string; amount: number }>(
        "UPDATE reservations SET state = 'expired' WHERE state = 'open' AND expires_at <= ? RETURNING day, amount",
        now,
      )
      .toArray();
    for (const r of expired) this.addSpent(r.day, r.amount);
    this.#sql.exec("DELETE FROM reservations WHERE state IN ('expired', 'settled') AND expires_at <= ?", now - 86_400_000);
  }

  reserved(day: string): Micros {
    return this.#sql.exec<{ n: number | null }>("SELECT SUM(amount) AS n FROM reservations WHERE day = ? AND state = 'open'", day).one().n ?? 0;
  }

  openReservations(day: string): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM reservations WHERE day = ? AND state = 'open'", day).one().n;
  }

  hasReservation(id: string): boolean {
    return this.#sql.exec("SELECT 1 FROM reservations WHERE id = ?", id).toArray().length > 0;
  }

  addReservation(id: string, day: string, amount: Micros, expiresAt: number): void {
    this.#sql.exec("INSERT INTO reservations (id, day, amount, expires_at) VALUES (?, ?, ?, ?)", id, day, amount, expiresAt);
  }

  /** Removes a reservation; returns it (an expired one was already counted as spent), or null. */
  takeReservation(id: string): { day: string; amount: Micros; expired: boolean } | null {
    const row = this.#sql
      .exec<{ day: string; amount: number; state: string }>("DELETE FROM reservations WHERE id = ? AND state != 'settled' RETURNING day, amount, state", id)
      .toArray()[0];
    return row ? { day: row.day, amount: row.amount, expired: row.state === "expired" } : null;
  }

  /**
   * Marks a reservation settled, keeping its row for a day so a settlement sent again (after a
   * reset hid the reply) is recognised. Returns the reservation as it was, `settled` when it
   * already was; null when unknown.
   */
  settleReservation(id: string): { day: string; amount: Micros; expired: boolean; settled: boolean } | null {
    const row = this.#sql.exec<{ day: string; amount: number; state: string }>("SELECT day, amount, state FROM reservations WHERE id = ?", id).toArray()[0];
    if (!row) return null;
    if (row.state !== "settled") this.#sql.exec("UPDATE reservations SET state = 'settled' WHERE id = ?", id);
    return { day: row.day, amount: row.amount, expired: row.state === "expired", settled: row.state === "settled" };
  }

  /** Spending per day in a range of days, oldest first. */
  days(fromDay: string, toDay: string): Array<{ day: string; spent: Micros }> {
    return this.#sql
      .exec<{ day: string; spent: number }>("SELECT day, spent FROM budget_days WHERE day >= ? AND day <= ? ORDER BY day", fromDay, toDay)
      .toArray();
  }
}
