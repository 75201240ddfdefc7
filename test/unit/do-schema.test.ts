import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BudgetStore } from "../../src/cost/budget-store";
import { ClaimStore } from "../../src/state/claim-store";
import { columnsOf } from "../../src/core/sql";
import { TrustStore } from "../../src/trust/store";

const freshObject = () => env.AGENT_STATE.get(env.AGENT_STATE.idFromName(`schema-${crypto.randomUUID()}`));

describe("Durable Object tables written by an older version", () => {
  it("gain the claim columns a newer version reads, keeping their rows", async () => {
    await runInDurableObject(freshObject(), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(`DROP TABLE claims;
        CREATE TABLE claims (delivery_id TEXT PRIMARY KEY, state TEXT NOT NULL, response TEXT, claimed_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
        INSERT INTO claims VALUES ('old-1', 'done', '{"text":"kept"}', 1, 9999999999999);`);
      const claims = new ClaimStore(sql);
      expect(columnsOf(sql, "claims")).toEqual(new Set(["delivery_id", "state", "response", "claimed_at", "expires_at", "fingerprint", "owner"]));
      expect(claims.get("old-1")).toMatchObject({ state: "done", response: '{"text":"kept"}' });
    });
  });

  it("rebuild the first version's outcomes table without its NOT NULL denials column", async () => {
    await runInDurableObject(freshObject(), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(`DROP TABLE outcomes;
        CREATE TABLE outcomes (seq INTEGER PRIMARY KEY AUTOINCREMENT, interaction_id TEXT NOT NULL, outcome TEXT NOT NULL, denials INTEGER NOT NULL, at INTEGER NOT NULL);
        INSERT INTO outcomes (interaction_id, outcome, denials, at) VALUES ('i-1', 'error', 0, 5);`);
      const store = new TrustStore(sql);
      expect(columnsOf(sql, "outcomes").has("denials")).toBe(false);
      expect(store.counts()).toEqual({ error: 1 });
      store.record("i-2", "success", 6);
      expect(store.counts()).toEqual({ error: 1, success: 1 });
    });
  });

  it("give old reservations the state column, open by default", async () => {
    await runInDurableObject(freshObject(), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(`DROP TABLE reservations;
        CREATE TABLE reservations (id TEXT PRIMARY KEY, day TEXT NOT NULL, amount INTEGER NOT NULL, expires_at INTEGER NOT NULL);
        INSERT INTO reservations VALUES ('r-1', '2026-11-25', 500, 9999999999999);`);
      const budget = new BudgetStore(sql);
      expect(budget.reserved("2026-11-25")).toBe(500);
    });
  });
});
