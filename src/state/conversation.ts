import { DurableObject } from "cloudflare:workers";
import { isSealed, loadKeyring, open, sealWith } from "../privacy/encryption";
import type { Turn } from "../core/types";

/** Raw turns are the only customer text Foreman keeps; they go after this long without a message. */
export const CONVERSATION_IDLE_MS = 30 * 24 * 3600_000;
/** A hard cap on stored turns, whatever the agent's context setting. */
export const MAX_STORED_TURNS = 100;
/** Characters of the digest of turns older than the context window. */
export const MAX_DIGEST_CHARS = 2_000;
/** Characters kept of each older turn in the digest. */
const DIGEST_TURN_CHARS = 160;
/** How long a message holds its conversation's turn before the next may go (a crashed answer frees it). */
export const TURN_LEASE_MS = 5 * 60_000;

/**
 * The name of a conversation's object. The agent id leads, so no two agents ever share one.
 *
 * @example
 * conversationName("acme", "http", "c1"); // "acme\u0000http\u0000c1"
 */
export function conversationName(agentId: string, channel: string, conversationKey: string): string {
  return [agentId, channel, conversationKey].join("\u0000");
}

/** What the model gets of a conversation: a digest of the older turns and the recent ones verbatim. */
export interface ConversationContext {
  /** Condensed older turns, oldest first; empty when every stored turn is recent. */
  digest: string;
  turns: Turn[];
}

/**
 * A condensed, bounded account of turns that no longer fit the context window: each turn's
 * first sentence (at most 160 characters), the conversation's opening message always kept, and
 * the newest older turns preferred when the whole does not fit in MAX_DIGEST_CHARS. Extractive,
 * so it costs no model call and invents nothing.
 *
 * @example
 * digestTurns([{ role: "user", text: "My card was stolen. What now?" }, { role: "assistant", text: "I froze it. A new one is on its way." }]);
 * // "Customer: My card was stolen.\nAgent: I froze it."
 */
export function digestTurns(turns: readonly Turn[]): string {
  const lines = turns.map((t) => `${t.role === "user" ? "Customer" : "Agent"}: ${firstSentence(t.text)}`);
  if (lines.length === 0) return "";
  const [opening, ...rest] = lines as [string, ...string[]];
  const kept: string[] = [];
  let size = opening.length;
  for (let i = rest.length - 1; i >= 0; i--) {
    const line = rest[i]!;
    if (size + 1 + line.length > MAX_DIGEST_CHARS) break;
    kept.unshift(line);
    size += 1 + line.length;
  }
  const skipped = rest.length - kept.length;
  return [opening, ...(skipped > 0 ? [`(${skipped} more turns)`] : []), ...kept].join("\n");
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const end = /[.!?](\s|$)/.exec(flat);
  const sentence = end ? flat.slice(0, end.index + 1) : flat;
  return sentence.length <= DIGEST_TURN_CHARS ? sentence : `${sentence.slice(0, DIGEST_TURN_CHARS - 1)}…`;
}

/** A kept turn and when it was appended (epoch ms). */
export type StoredTurn = Turn & { at: number };

interface Waiter {
  id: string;
  grant(): void;
}

/**
 * One per conversation: its turns, in order, so follow-ups have context without making the
 * agent's object hot, and the order in which its messages are answered. A message that comes
 * in while an earlier one is still being answered waits for its turn (`takeTurn`), so it sees
 * the earlier answer and is never dropped.
 */
export class Conversation extends DurableObject<Env> {
  #sql: SqlStorage;
  #holder: { id: string; lease: ReturnType<typeof setTimeout> } | null = null;
  #waiting: Waiter[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#createTables();
  }

  #createTables(): void {
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS turns (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL)`);
  }

  /**
   * The last `limit` turns verbatim, and a digest of the stored turns before them. Sealed turns
   * are opened with any key in ENCRYPTION_KEYS; plain ones (kept before encryption was on) read as they are.
   */
  async context(limit: number): Promise<ConversationContext> {
    const stored = this.#sql.exec<{ role: string; text: string }>("SELECT role, text FROM turns ORDER BY seq").toArray();
    const ring = stored.some((r) => isSealed(r.text)) ? await loadKeyring(this.env.ENCRYPTION_KEYS) : null;
    const rows: Turn[] = [];
    for (const r of stored) {
      rows.push({ role: r.role === "assistant" ? "assistant" : "user", text: await open(ring, r.text, this.#context()) });
    }
    const cut = Math.max(0, rows.length - Math.max(0, limit));
    return { digest: digestTurns(rows.slice(0, cut)), turns: rows.slice(cut) };
  }

  /**
   * Every stored turn, oldest first, with the time it was appended (the answer's time, for both
   * the question and the answer), opened like `context`. Empty once the idle alarm has deleted
   * them. Unmasked: the caller masks before anything leaves the worker.
   */
  async transcript(): Promise<StoredTurn[]> {
    const stored = this.#sql.exec<{ role: string; text: string; at: number }>("SELECT role, text, at FROM turns ORDER BY seq").toArray();
    const ring = stored.some((r) => isSealed(r.text)) ? await loadKeyring(this.env.ENCRYPTION_KEYS) : null;
    const turns: StoredTurn[] = [];
    for (const r of stored) {
      turns.push({ role: r.role === "assistant" ? "assistant" : "user", text: await open(ring, r.text, this.#context()), at: r.at });
    }
    return turns;
  }

  /**
   * Appends turns, keeps the newest MAX_STORED_TURNS, and pushes the idle deletion back; then
   * ends message `endTurnOf`'s turn when given (one call where two would do).
   */
  async append(turns: Turn[], now: number, endTurnOf?: string, opts: { encrypt?: boolean } = {}): Promise<void> {
    const texts = opts.encrypt ? await this.#seal(turns.map((t) => t.text)) : turns.map((t) => t.text);
    this.ctx.storage.transactionSync(() => {
      for (const [i, t] of turns.entries()) this.#sql.exec("INSERT INTO turns (role, text, at) VALUES (?, ?, ?)", t.role, texts[i], now);
      this.#sql.exec("DELETE FROM turns WHERE seq <= (SELECT MAX(seq) FROM turns) - ?", MAX_STORED_TURNS);
    });
    await this.ctx.storage.setAlarm(now + CONVERSATION_IDLE_MS);
    if (endTurnOf !== undefined) this.endTurn(endTurnOf);
  }

  /** `takeTurn`, then the context the message is answered with; null when the wait ran out. */
  async begin(id: string, maxWaitMs: number, limit: number): Promise<ConversationContext | null> {
    return (await this.takeTurn(id, maxWaitMs)) ? await this.context(limit) : null;
  }

  /** Seals texts for storage; without keys it throws rather than keep them in the clear. */
  async #seal(texts: string[]): Promise<string[]> {
    return Promise.all(texts.map((t) => sealWith(this.env.ENCRYPTION_KEYS, t, this.#context())));
  }

  /** What a sealed turn is bound to: this conversation, so it cannot be replayed into another. */
  #context(): string {
    return `conversation:${this.ctx.id.toString()}`;
  }

  /**
   * Waits until it is message `id`'s turn to be answered, first come first served, for at most
   * `maxWaitMs`; true when the turn is granted (at once when nobody holds it, or when `id`
   * already does), false when the wait ran out. The turn is held until `endTurn(id)`, or for
   * TURN_LEASE_MS at most. Held in memory: if the object restarts, nobody holds a turn.
   */
  takeTurn(id: string, maxWaitMs: number): Promise<boolean> {
    if (this.#holder?.id === id) return Promise.resolve(true);
    if (!this.#holder) {
      this.#grant(id);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        id,
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.#waiting = this.#waiting.filter((w) => w !== waiter);
        resolve(false);
      }, maxWaitMs);
      this.#waiting.push(waiter);
    });
  }

  /** Ends message `id`'s turn and hands it to the next waiting message. */
  endTurn(id: string): void {
    if (this.#holder?.id !== id) return;
    this.#passTurn();
  }

  #grant(id: string): void {
    this.#holder = { id, lease: setTimeout(() => this.#holder?.id === id && this.#passTurn(), TURN_LEASE_MS) };
  }

  #passTurn(): void {
    if (this.#holder) clearTimeout(this.#holder.lease);
    this.#holder = null;
    const next = this.#waiting.shift();
    if (!next) return;
    this.#grant(next.id);
    next.grant();
  }

  /** Idle for CONVERSATION_IDLE_MS: forget everything. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
    // The object may stay in memory and get the next message: its table must be there again.
    this.#createTables();
  }
}
