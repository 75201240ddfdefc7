import { checkRate, type RateLimit, type RateWindow } from "../core/rate";

export interface RateLimits {
  perSender: RateLimit;
  perAgent: RateLimit;
}

/** What taking one message decided: fine, or limited (by the sender's or the agent's limit). */
export type RateOutcome = { ok: true } | { ok: false; scope: "sender" | "agent"; retryAfterMs: number; notify: boolean };

/** The agent-wide window's key; sender keys are hashes, so they never collide with it. */
const AGENT_KEY = "*";

/**
 * Rate-limit windows in an agent's Durable Object: one row per sender (a hash of the channel and
 * the sender, never the address itself) and one for the agent, forgotten two windows after
 * their last message.
 */
export class RateStore {
  #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`
      CREATE TABLE IF NOT EXISTS rate_windows (
        key TEXT PRIMARY KEY, start INTEGER NOT NULL, count INTEGER NOT NULL, previous INTEGER NOT NULL,
        noticed INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS rate_windows_expiry ON rate_windows (expires_at);
    `);
  }

  /**
   * Counts one message of `senderKey` against both limits, or neither when either is full. A
   * limited sender is to be told once per window (`notify`). Runs inside the object's transaction.
   */
  take(senderKey: string, limits: RateLimits, now: number): RateOutcome {
    return this.#decide(senderKey, limits, now, true);
  }

  /** Whether a message of `senderKey` would be limited now, without counting it (a queued message's delivery). */
  peek(senderKey: string, limits: RateLimits, now: number): RateOutcome {
    return this.#decide(senderKey, limits, now, false);
  }

  /** Forgets windows no message has touched for two of their lengths. */
  prune(now: number): void {
    this.#sql.exec("DELETE FROM rate_windows WHERE expires_at <= ?", now);
  }

  #decide(senderKey: string, limits: RateLimits, now: number, count: boolean): RateOutcome {
    const sender = checkRate(this.#get(senderKey), limits.perSender, now);
    const agent = checkRate(this.#get(AGENT_KEY), limits.perAgent, now);
    if (sender.retryAfterMs === null && agent.retryAfterMs === null) {
      if (count) {
        this.#put(senderKey, { ...sender.window, count: sender.window.count + 1 }, limits.perSender.windowMs);
        this.#put(AGENT_KEY, { ...agent.window, count: agent.window.count + 1 }, limits.perAgent.windowMs);
      }
      return { ok: true };
    }
    const notify = !sender.window.noticed;
    if (notify) this.#put(senderKey, { ...sender.window, noticed: true }, limits.perSender.windowMs);
    return {
      ok: false,
      scope: sender.retryAfterMs !== null ? "sender" : "agent",
      retryAfterMs: Math.max(sender.retryAfterMs ?? 0, agent.retryAfterMs ?? 0),
      notify,
    };
  }

  #get(key: string): RateWindow | undefined {
    const row = this.#sql
      .exec<{ start: number; count: number; previous: number; noticed: number }>("SELECT start, count, previous, noticed FROM rate_windows WHERE key = ?", key)
      .toArray()[0];
    return row ? { start: row.start, count: row.count, previous: row.previous, noticed: row.noticed === 1 } : undefined;
  }

  #put(key: string, w: RateWindow, windowMs: number): void {
    this.#sql.exec(
      "INSERT OR REPLACE INTO rate_windows (key, start, count, previous, noticed, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      key,
      w.start,
      w.count,
      w.previous,
      w.noticed ? 1 : 0,
      w.start + 2 * windowMs,
    );
  }
}
