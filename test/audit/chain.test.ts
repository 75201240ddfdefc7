import { describe, expect, it } from "vitest";
import { canonicalJSON, ChainVerifier, eventHash, extendChain, GENESIS, GENESIS_HASH, type StoredAuditEvent } from "../../src/audit/chain";
import type { AuditEvent } from "../../src/core/types";

const T0 = Date.UTC(2026, 0, 1);

function event(n: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: `e-${n}`,
    agentId: "a-1",
    at: T0 + n,
    actor: "admin:local",
    action: "trust.changed",
    resource: "trust",
    decision: "changed",
    details: { from: 0.3, to: 0.5 },
    ...extra,
  };
}

/** Stored rows of a chain of `n` events, as D1 would hold them. */
async function storedChain(n: number): Promise<StoredAuditEvent[]> {
  const { events } = await extendChain(GENESIS, Array.from({ length: n }, (_, i) => event(i + 1)));
  return events;
}

/** Checks rows in order from seq 1 and returns the first break (and how many were checked). */
async function verify(rows: StoredAuditEvent[], start = { seq: 1, anchor: GENESIS_HASH as string | null }) {
  const verifier = new ChainVerifier(start, async (hash) => rows.find((r) => r.hash === hash)?.seq ?? null);
  for (const row of rows) if (await verifier.check(row)) break;
  return { broken: verifier.broken, checked: verifier.checked };
}

describe("canonicalJSON", () => {
  it("sorts keys at every depth and writes no whitespace", () => {
    expect(canonicalJSON({ b: 1, a: { z: [3, { y: 2, x: 1 }], c: "d" } })).toBe('{"a":{"c":"d","z":[3,{"x":1,"y":2}]},"b":1}');
  });

  it("omits undefined members, and writes undefined inside an array as null, as JSON.stringify does", () => {
    expect(canonicalJSON({ a: undefined, b: [undefined, 1], c: null })).toBe('{"b":[null,1],"c":null}');
  });

  it("orders keys by UTF-16 code units (RFC 8785 §3.2.3), not by locale", () => {
    expect(canonicalJSON({ "é": 1, Z: 2, a: 3, "10": 4, "9": 5 })).toBe('{"10":4,"9":5,"Z":2,"a":3,"é":1}');
  });

  it("writes strings and numbers as JSON.stringify does", () => {
    expect(canonicalJSON(['a"\n\u2028', 1e21, 0.1 + 0.2, -0, true])).toBe(JSON.stringify(['a"\n\u2028', 1e21, 0.1 + 0.2, -0, true]));
  });

  it("gives the same text however the keys were inserted", () => {
    expect(canonicalJSON({ x: 1, y: { b: 2, a: 1 } })).toBe(canonicalJSON({ y: { a: 1, b: 2 }, x: 1 }));
  });
});

describe("eventHash", () => {
  it("is SHA-256 of the previous hash, a newline and the canonical event (a vector computed with node:crypto)", async () => {
    // sha256("0"*64 + "\n" + '{"action":"trust.changed","actor":"admin:local","agentId":"a-1","at":1767225600000,...,"seq":1}')
    expect(await eventHash(GENESIS_HASH, { ...event(1), at: T0, seq: 1 })).toBe("cb7940cc7696905e56f08d49fec87f551bee413542e0a9c6d51587c82a84fb3b");
  });

  it("covers every field: changing any one changes the hash", async () => {
    const base = { ...event(1, { costMicros: 10, requestId: "r-1" }), seq: 1 };
    const original = await eventHash(GENESIS_HASH, base);
    const variants: Array<Partial<typeof base>> = [
      { id: "e-x" },
      { agentId: "a-2" },
      { seq: 2 },
      { at: base.at + 1 },
      { actor: "agent" },
      { action: "trust.freeze" },
      { resource: "tools" },
      { decision: "denied" },
      { details: { from: 0.3, to: 0.6 } },
      { costMicros: 11 },
      { requestId: "r-2" },
    ];
    for (const variant of variants) expect(await eventHash(GENESIS_HASH, { ...base, ...variant })).not.toBe(original);
    expect(await eventHash("f".repeat(64), base)).not.toBe(original);
  });
});

describe("extendChain", () => {
  it("numbers events from the head and links each to the one before", async () => {
    const first = await extendChain(GENESIS, [event(1), event(2)]);
    expect(first.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(first.events[0]!.prevHash).toBe(GENESIS_HASH);
    expect(first.events[1]!.prevHash).toBe(first.events[0]!.hash);
    expect(first.head).toEqual({ seq: 2, hash: first.events[1]!.hash });

    const second = await extendChain(first.head, [event(3)]);
    expect(second.events[0]).toMatchObject({ seq: 3, prevHash: first.head.hash });
  });

  it("is deterministic: the same head and events give the same hashes", async () => {
    expect(await extendChain(GENESIS, [event(1), event(2)])).toEqual(await extendChain(GENESIS, [event(1), event(2)]));
  });

  it("leaves the head where it was for no events", async () => {
    expect(await extendChain(GENESIS, [])).toEqual({ events: [], head: GENESIS });
  });
});

describe("ChainVerifier", () => {
  it("accepts an intact chain", async () => {
    expect(await verify(await storedChain(4))).toEqual({ broken: null, checked: 4 });
  });

  it("names an edited event hash_mismatch", async () => {
    const rows = await storedChain(4);
    rows[2] = { ...rows[2]!, details: { from: 0.3, to: 1 } };
    expect((await verify(rows)).broken).toEqual({ seq: 3, id: "e-3", reason: "hash_mismatch" });
  });

  it("names the event after an edited and re-hashed one prev_mismatch", async () => {
    const rows = await storedChain(4);
    const forged = { ...rows[1]!, details: { from: 0.3, to: 1 } };
    rows[1] = { ...forged, hash: await eventHash(forged.prevHash!, forged) };
    expect((await verify(rows)).broken).toEqual({ seq: 3, id: "e-3", reason: "prev_mismatch" });
  });

  it("names a deleted event missing_seq, with no id", async () => {
    const rows = await storedChain(4);
    rows.splice(1, 1);
    expect(await verify(rows)).toEqual({ broken: { seq: 2, id: null, reason: "missing_seq" }, checked: 2 });
  });

  it("names two events whose places were swapped out_of_order", async () => {
    const rows = await storedChain(4);
    const [second, third] = [rows[1]!, rows[2]!];
    rows[1] = { ...third, seq: 2 };
    rows[2] = { ...second, seq: 3 };
    expect((await verify(rows)).broken).toEqual({ seq: 2, id: "e-3", reason: "out_of_order" });
  });

  it("trusts the first event's prevHash as the anchor of a range that starts mid-chain", async () => {
    const rows = (await storedChain(5)).slice(2);
    expect(await verify(rows, { seq: 3, anchor: null })).toEqual({ broken: null, checked: 3 });
  });

  it("requires 64 zeros before seq 1", async () => {
    const rows = await storedChain(2);
    const forged = { ...rows[0]!, prevHash: "1".repeat(64) };
    rows[0] = { ...forged, hash: await eventHash(forged.prevHash, forged) };
    expect((await verify(rows)).broken).toEqual({ seq: 1, id: "e-1", reason: "prev_mismatch" });
  });

  it("treats nulled links as broken", async () => {
    const rows = await storedChain(2);
    rows[1] = { ...rows[1]!, hash: null };
    expect((await verify(rows)).broken).toEqual({ seq: 2, id: "e-2", reason: "hash_mismatch" });
  });
});
