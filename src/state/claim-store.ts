import type { ClaimRow } from "../core/claims";
import { ensureColumns } from "../core/sql";

/** Delivery-id claims in an agent's Durable Object. */
export class ClaimStore {
  #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`
      CREATE TABLE IF NOT EXISTS claims (
        delivery_id TEXT PRIMARY KEY, state TEXT NOT NULL, response TEXT,
        claimed_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, fingerprint TEXT, owner TEXT);
      CREATE INDEX IF NOT EXISTS claims_expiry ON claims (expires_at);
    `);
    ensureColumns(sql, "claims", { fingerprint: "TEXT", owner: "TEXT" });
  }

  get(deliveryId: string): ClaimRow | undefined {
    const row = this.#sql
      .exec<{ state: string; response: string | null; claimed_at: number; expires_at: number; fingerprint: string | null; owner: string | null }>(
        "SELECT state, response, claimed_at, expires_at, fingerprint, owner FROM claims WHERE delivery_id = ?",
        deliveryId,
      )
      .toArray()[0];
    if (!row) return undefined;
    return {
      deliveryId,
      state: row.state === "done" ? "done" : "pending",
      response: row.response,
      claimedAt: row.claimed_at,
      expiresAt: row.expires_at,
      ...(row.fingerprint ? { fingerprint: row.fingerprint } : {}),
      ...(row.owner ? { owner: row.owner } : {}),
    };
  }

  put(row: ClaimRow): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO claims (delivery_id, state, response, claimed_at, expires_at, fingerprint, owner) VALUES (?, ?, ?, ?, ?, ?, ?)",
      row.deliveryId,
      row.state,
      row.response,
      row.claimedAt,
      row.expiresAt,
      row.fingerprint ?? null,
      row.owner ?? null,
    );
  }

  remove(deliveryId: string): void {
    this.#sql.exec("DELETE FROM claims WHERE delivery_id = ?", deliveryId);
  }

  /** Forgets expired claims; returns when the next finished one expires, if any. */
  prune(now: number): number | null {
    this.#sql.exec("DELETE FROM claims WHERE expires_at <= ?", now);
    return this.#sql.exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM claims WHERE state = 'done'").one().t;
  }
}
