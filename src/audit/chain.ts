import { sha256Hex } from "../core/crypto";
import type { AuditEvent } from "../core/types";

/** The `prevHash` of an agent's first event: 64 zeros. */
export const GENESIS_HASH = "0".repeat(64);

/** Where an agent's chain ends: the last chained event's `seq` and `hash` (seq 0 before the first). */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const GENESIS: ChainHead = { seq: 0, hash: GENESIS_HASH };

/** An audit event with its place in its agent's chain. */
export type ChainedAuditEvent = AuditEvent & { seq: number; prevHash: string; hash: string };

/**
 * JSON with every object's keys sorted (recursively, by UTF-16 code units), no whitespace and
 * `undefined` members omitted: for JSON values this is the serialization of RFC 8785 (JCS), whose
 * key order (§3.2.3) and number and string forms (§3.2.2, the ECMAScript ones) are
 * `JSON.stringify`'s. As in `JSON.stringify`, `undefined` inside an array becomes `null`.
 *
 * @example
 * canonicalJSON({ b: 1, a: { d: [1, "x"], c: undefined } }); // '{"a":{"d":[1,"x"]},"b":1}'
 */
export function canonicalJSON(value: unknown): string {
  const text = canonical(value);
  if (text === undefined) throw new TypeError("canonicalJSON: the value has no JSON form");
  return text;
}

function canonical(value: unknown): string | undefined {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  if (value === null) return "null";
  switch (typeof value) {
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    case "string":
    case "number":
    case "boolean":
    case "bigint": // JSON.stringify throws for a bigint; so does this
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v) ?? "null").join(",")}]`;
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = canonical(record[key]);
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
  }
  return `{${members.join(",")}}`;
}

/** The fields an event's hash covers, and nothing else (never `prevHash` or `hash` themselves). */
function hashedFields(event: AuditEvent & { seq: number }) {
  const { id, agentId, seq, at, actor, action, resource, decision, details, costMicros, requestId } = event;
  return { id, agentId, seq, at, actor, action, resource, decision, details, costMicros, requestId };
}

/**
 * `SHA-256(prevHash + "\n" + canonicalJSON(fields))` in lowercase hex.
 *
 * @example
 * const hash = await eventHash(GENESIS_HASH, { ...event, seq: 1 });
 */
export function eventHash(prevHash: string, event: AuditEvent & { seq: number }): Promise<string> {
  return sha256Hex(`${prevHash}\n${canonicalJSON(hashedFields(event))}`);
}

/**
 * Appends events to a chain in the order given. Deterministic: the same head and events give the
 * same hashes, so a flush repeated after a crash writes identical rows.
 *
 * @example
 * const { events, head } = await extendChain(GENESIS, [first, second]); // seq 1 and 2
 */
export async function extendChain(head: ChainHead, events: readonly AuditEvent[]): Promise<{ events: ChainedAuditEvent[]; head: ChainHead }> {
  const chained: ChainedAuditEvent[] = [];
  let { seq, hash } = head;
  for (const event of events) {
    seq += 1;
    const prevHash = hash;
    hash = await eventHash(prevHash, { ...event, seq });
    chained.push({ ...event, seq, prevHash, hash });
  }
  return { events: chained, head: { seq, hash } };
}

export type ChainBreakReason = "hash_mismatch" | "prev_mismatch" | "missing_seq" | "out_of_order";

/** The first broken link; `id` is null when the event at `seq` is missing. */
export interface ChainBreak {
  seq: number;
  id: string | null;
  reason: ChainBreakReason;
}

/** An event as stored, whose links may have been tampered with (or nulled). */
export type StoredAuditEvent = AuditEvent & { seq: number; prevHash: string | null; hash: string | null };

/**
 * Checks stored events one by one in `seq` order and names the first broken link:
 * - `missing_seq`: the next seq is absent (a deleted event);
 * - `out_of_order`: the event's `prevHash` is the hash of an event stored at another place (moved);
 * - `prev_mismatch`: the event's `prevHash` is not the previous event's hash (replaced or re-hashed);
 * - `hash_mismatch`: the event's fields no longer give its `hash` (edited).
 *
 * With `anchor` null, the first event's `prevHash` is trusted (a range that starts mid-chain).
 *
 * @example
 * const verifier = new ChainVerifier({ seq: 1, anchor: GENESIS_HASH }, lookupSeqOfHash);
 * for (const event of rows) if (await verifier.check(event)) break;
 */
export class ChainVerifier {
  #expectedSeq: number;
  #prevHash: string | null;
  #seqOfHash: (hash: string) => Promise<number | null>;
  /** Events checked so far, the broken one included. */
  checked = 0;
  broken: ChainBreak | null = null;

  /** `seqOfHash` finds where an event with that hash is stored (null: nowhere), to tell a move from a forgery. */
  constructor(start: { seq: number; anchor: string | null }, seqOfHash: (hash: string) => Promise<number | null>) {
    this.#expectedSeq = start.seq;
    this.#prevHash = start.anchor;
    this.#seqOfHash = seqOfHash;
  }

  /** Checks the next stored event; returns the break, if this event shows one. */
  async check(event: StoredAuditEvent): Promise<ChainBreak | null> {
    if (this.broken) return this.broken;
    this.checked += 1;
    this.broken = await this.#find(event);
    if (!this.broken) {
      this.#prevHash = event.hash;
      this.#expectedSeq += 1;
    }
    return this.broken;
  }

  /**
   * After the last stored event: the chain must end at `head`, where the agent's object says it
   * ends. Events missing after the last stored one are `missing_seq`; a last event whose hash
   * differs from the head's (edited and re-hashed) is `hash_mismatch`.
   */
  finish(head: ChainHead): ChainBreak | null {
    if (this.broken) return this.broken;
    if (head.seq >= this.#expectedSeq) this.broken = { seq: this.#expectedSeq, id: null, reason: "missing_seq" };
    else if (head.seq === this.#expectedSeq - 1 && this.#prevHash !== null && this.#prevHash !== head.hash) {
      this.broken = { seq: head.seq, id: null, reason: "hash_mismatch" };
    }
    return this.broken;
  }

  async #find(event: StoredAuditEvent): Promise<ChainBreak | null> {
    const expected = this.#expectedSeq;
    if (event.seq > expected) return { seq: expected, id: null, reason: "missing_seq" };
    if (event.seq < expected) return { seq: event.seq, id: event.id, reason: "out_of_order" };
    const at = { seq: event.seq, id: event.id };
    if (event.prevHash === null || (this.#prevHash !== null && event.prevHash !== this.#prevHash)) {
      const elsewhere = event.prevHash === null ? null : await this.#seqOfHash(event.prevHash);
      return { ...at, reason: elsewhere === null ? "prev_mismatch" : "out_of_order" };
    }
    if (event.hash === null || (await eventHash(event.prevHash, event)) !== event.hash) return { ...at, reason: "hash_mismatch" };
    return null;
  }
}
