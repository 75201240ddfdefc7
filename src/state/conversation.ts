import { DurableObject } from "cloudflare:workers";
import type { Turn } from "../llm/tool-loop";

/** Raw turns are the only customer text Foreman keeps; they go after this long without a message. */
export const CONVERSATION_IDLE_MS = 30 * 24 * 3600_000;
/** A hard cap on stored turns, whatever the agent's context setting. */
export const MAX_STORED_TURNS = 100;

/**
 * The name of a conversation's object. The agent id leads, so no two agents ever share one.
 *
 * @example
 * conversationName("acme", "http", "c1"); // "acme\u0000http\u0000c1"
 */
export function conversationName(agentId: string, channel: string, conversationKey: string): string {
  return [agentId, channel, conversationKey].join("\u0000");
}

/**
 * One per conversation: its recent turns, in order, so follow-ups have context without
 * making the agent's object hot.
 */
export class Conversation extends DurableObject<Env> {
  #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS turns (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL)`);
  }

  /** The last `limit` turns, oldest first. */
  recent(limit: number): Turn[] {
    if (limit <= 0) return [];
    return this.#sql
      .exec<{ role: string; text: string }>("SELECT role, text FROM turns ORDER BY seq DESC LIMIT ?", limit)
      .toArray()
      .reverse()
      .map((r) => ({ role: r.role === "assistant" ? "assistant" : "user", text: r.text }));
  }

  /** Appends turns, keeps the newest MAX_STORED_TURNS, and pushes the idle deletion back. */
  async append(turns: Turn[], now: number): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      for (const t of turns) this.#sql.exec("INSERT INTO turns (role, text, at) VALUES (?, ?, ?)", t.role, t.text, now);
      this.#sql.exec(
        "DELETE FROM turns WHERE seq <= (SELECT MAX(seq) FROM turns) - ?",
        MAX_STORED_TURNS,
      );
    });
    await this.ctx.storage.setAlarm(now + CONVERSATION_IDLE_MS);
  }

  /** Idle for CONVERSATION_IDLE_MS: forget everything. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
