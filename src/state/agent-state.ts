import { DurableObject } from "cloudflare:workers";
import type { AgentConfig } from "../config";
import type { Outcome, ToolDenial } from "../core/types";
import {
  type AgentRecord,
  type AgentSecrets,
  type AgentSnapshot,
  applySecretsPatch,
  nextRecord,
  type SecretsPatch,
} from "./agent-record";
import { type ClaimDecision, type ClaimRow, completeClaim, DEFAULT_CLAIM_POLICY, decideClaim } from "./claims";

export interface ConfigureInput {
  agentId: string;
  config: AgentConfig;
  systemPrompt: string;
  model: string;
  secrets?: SecretsPatch;
  now: number;
}

export interface OutcomeInput {
  interactionId: string;
  outcome: Outcome;
  denials: ToolDenial[];
  now: number;
}

/**
 * One per agent: the single-threaded owner of the agent's config, secrets, trust level and
 * delivery claims, so concurrent requests cannot answer a message twice or lose an update.
 * A thin shell: decisions live in `claims.ts` and `agent-record.ts`.
 */
export class AgentState extends DurableObject<Env> {
  #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`
      CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS claims (
        delivery_id TEXT PRIMARY KEY, state TEXT NOT NULL, response TEXT,
        claimed_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS claims_expiry ON claims (expires_at);
      CREATE TABLE IF NOT EXISTS outcomes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, interaction_id TEXT NOT NULL, outcome TEXT NOT NULL,
        denials INTEGER NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS denials (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, interaction_id TEXT NOT NULL, tool TEXT NOT NULL,
        level REAL NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
    `);
  }

  /** Creates or replaces the agent. Trust starts at `trust.initial` and survives replacements. */
  configure(input: ConfigureInput): { record: AgentRecord; created: boolean; secretNames: string[] } {
    return this.ctx.storage.transactionSync(() => {
      const previous = this.#get<AgentRecord>("agent");
      const record = nextRecord(previous, input, input.now);
      const secrets = applySecretsPatch(this.#get<AgentSecrets>("secrets") ?? {}, input.secrets);
      this.#put("agent", record);
      this.#put("secrets", secrets);
      if (this.#get<number>("trust") === undefined) this.#put("trust", input.config.trust.initial);
      return { record, created: previous === undefined, secretNames: Object.keys(secrets) };
    });
  }

  /** The agent, its secrets and trust level; null when no agent was ever configured here. */
  snapshot(): AgentSnapshot | null {
    const record = this.#get<AgentRecord>("agent");
    if (!record) return null;
    return { record, secrets: this.#get<AgentSecrets>("secrets") ?? {}, trustLevel: this.#get<number>("trust") ?? 0 };
  }

  /** Claims a delivery id; a duplicate gets the stored answer back. */
  claim(deliveryId: string, now: number): ClaimDecision {
    const existing = this.#claimRow(deliveryId);
    const decision = decideClaim(deliveryId, existing, now, DEFAULT_CLAIM_POLICY);
    if (decision.kind === "claimed") {
      this.#writeClaim(decision.row);
    }
    return decision;
  }

  /** Stores the answer of a claimed delivery so repeats replay it. */
  async complete(deliveryId: string, response: string, now: number): Promise<void> {
    const row = this.#claimRow(deliveryId);
    if (!row) return;
    const done = completeClaim(row, response, now, DEFAULT_CLAIM_POLICY);
    this.#writeClaim(done);
    await this.#scheduleCleanup(done.expiresAt);
  }

  /** Gives up a pending claim after a failure, so the provider's retry is answered. */
  release(deliveryId: string): void {
    this.#sql.exec("DELETE FROM claims WHERE delivery_id = ? AND state = 'pending'", deliveryId);
  }

  /** Records how an interaction ended, and each tool call the trust level refused. */
  recordOutcome(input: OutcomeInput): void {
    this.ctx.storage.transactionSync(() => {
      this.#sql.exec(
        "INSERT INTO outcomes (interaction_id, outcome, denials, at) VALUES (?, ?, ?, ?)",
        input.interactionId,
        input.outcome,
        input.denials.length,
        input.now,
      );
      for (const d of input.denials) {
        this.#sql.exec(
          "INSERT INTO denials (interaction_id, tool, level, reason, at) VALUES (?, ?, ?, ?, ?)",
          input.interactionId,
          d.tool,
          d.level,
          d.reason,
          input.now,
        );
      }
    });
  }

  /** Outcome totals and the latest denials, for the admin API and tests. */
  outcomeSummary(): { counts: Record<string, number>; recentDenials: Array<ToolDenial & { interactionId: string; at: number }> } {
    const counts: Record<string, number> = {};
    for (const row of this.#sql.exec<{ outcome: string; n: number }>("SELECT outcome, COUNT(*) AS n FROM outcomes GROUP BY outcome")) {
      counts[row.outcome] = row.n;
    }
    const recentDenials = this.#sql
      .exec<{ interaction_id: string; tool: string; level: number; reason: string; at: number }>(
        "SELECT interaction_id, tool, level, reason, at FROM denials ORDER BY seq DESC LIMIT 50",
      )
      .toArray()
      .map((r) => ({ interactionId: r.interaction_id, tool: r.tool, level: r.level, reason: r.reason, at: r.at }));
    return { counts, recentDenials };
  }

  override async alarm(): Promise<void> {
    this.#sql.exec("DELETE FROM claims WHERE expires_at <= ?", Date.now());
    const next = this.#sql.exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM claims WHERE state = 'done'").one().t;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  async #scheduleCleanup(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  #claimRow(deliveryId: string): ClaimRow | undefined {
    const row = this.#sql
      .exec<{ state: string; response: string | null; claimed_at: number; expires_at: number }>(
        "SELECT state, response, claimed_at, expires_at FROM claims WHERE delivery_id = ?",
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
    };
  }

  #writeClaim(row: ClaimRow): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO claims (delivery_id, state, response, claimed_at, expires_at) VALUES (?, ?, ?, ?, ?)",
      row.deliveryId,
      row.state,
      row.response,
      row.claimedAt,
      row.expiresAt,
    );
  }

  #get<T>(key: string): T | undefined {
    const row = this.#sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  #put(key: string, value: unknown): void {
    this.#sql.exec("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", key, JSON.stringify(value));
  }
}
