import type { Approval } from "./approvals";

/** Approval requests in an agent's Durable Object, one JSON row each. */
export class ApprovalStore {
  #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec("CREATE TABLE IF NOT EXISTS approvals (id TEXT PRIMARY KEY, requested_at INTEGER NOT NULL, value TEXT NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS approvals_time ON approvals (requested_at)");
  }

  get(id: string): Approval | undefined {
    const row = this.#sql.exec<{ value: string }>("SELECT value FROM approvals WHERE id = ?", id).toArray()[0];
    return row ? (JSON.parse(row.value) as Approval) : undefined;
  }

  save(approval: Approval): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO approvals (id, requested_at, value) VALUES (?, ?, ?)",
      approval.id,
      approval.requestedAt,
      JSON.stringify(approval),
    );
  }

  /** The newest requests, newest first. */
  latest(limit: number): Approval[] {
    return this.#sql
      .exec<{ value: string }>("SELECT value FROM approvals ORDER BY requested_at DESC LIMIT ?", limit)
      .toArray()
      .map((r) => JSON.parse(r.value) as Approval);
  }
}
