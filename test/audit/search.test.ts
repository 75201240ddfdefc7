import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createAgent } from "../support/agents";
import { fiveEvents, flushUntil, produce, rejectedWebhook, storedEvents } from "./helpers";
import { shardDb } from "../support/shards";

interface SearchBody {
  events: Array<{ id: string; seq: number | null; at: string; actor: string; action: string; resource: string; decision: string; details: Record<string, unknown>; costUsd: number | null; requestId: string | null; hash: string | null }>;
  nextCursor: string | null;
}

async function search(agentId: string, query = ""): Promise<SearchBody> {
  const res = await admin(`/v1/agents/${agentId}/audit${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as SearchBody;
}

/** Follows nextCursor to the end; the events of every page, in order. */
async function allPages(agentId: string, query: string): Promise<{ pages: number; events: SearchBody["events"] }> {
  const events: SearchBody["events"] = [];
  let pages = 0;
  for (let cursor: string | null = ""; cursor !== null && pages < 20; pages++) {
    const page = await search(agentId, `${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    events.push(...page.events);
    cursor = page.nextCursor;
  }
  return { pages, events };
}

const status = async (path: string) => (await admin(path)).status;

describe("GET /v1/agents/:agentId/audit", () => {
  it("lists events newest first with their place in the chain", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const stored = await storedEvents(agentId);
    const { events, nextCursor } = await search(agentId);
    expect(nextCursor).toBeNull();
    // The agent's creation (seq 1) happened now, after the five events of ten minutes ago.
    expect(events.map((e) => e.seq)).toEqual([1, 6, 5, 4, 3, 2]);
    expect(events[0]).toMatchObject({ seq: 1, action: "agent.created", actor: "admin:bootstrap" });
    expect(events[1]).toEqual({
      id: stored[5]!.id,
      seq: 6,
      at: new Date(stored[5]!.at).toISOString(),
      actor: "unverified:http",
      action: "webhook.rejected",
      resource: "http",
      decision: "denied",
      details: expect.objectContaining({ reason: "bad_signature" }),
      costUsd: null,
      requestId: expect.any(String),
      hash: stored[5]!.hash,
    });
  });

  it("returns every event exactly once across pages", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    await produce(agentId, ["rejected", 0.2], Date.now() - 5 * 60_000);
    await flushUntil(agentId, 8);
    const { pages, events } = await allPages(agentId, "?limit=3");
    expect(pages).toBe(3);
    expect(events.map((e) => e.seq)).toEqual([1, 8, 7, 6, 5, 4, 3, 2]);
    expect(new Set(events.map((e) => e.id)).size).toBe(8);
  });

  it("pages events that share a millisecond without losing or repeating any", async () => {
    const agentId = await createAgent();
    const at = Date.UTC(2026, 0, 1);
    const db = await shardDb(agentId);
    const insert = db.prepare(
      "INSERT INTO audit_events (id, agent_id, at, actor, action, resource, decision, details) VALUES (?, ?, ?, 'system', 'test.same_ms', 'x', 'recorded', '{}')",
    );
    await db.batch(Array.from({ length: 9 }, (_, i) => insert.bind(`same-${i}`, agentId, at)));
    const { events } = await allPages(agentId, "?limit=2");
    expect(events.map((e) => e.id)).toEqual(Array.from({ length: 9 }, (_, i) => `same-${8 - i}`));
  });

  it("filters by exact action or by a prefix ending in *, keeping the filter across pages", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    expect((await search(agentId, "?action=trust.changed")).events.map((e) => e.seq)).toEqual([5, 3]);
    expect((await search(agentId, "?action=trust")).events).toEqual([]);
    expect((await allPages(agentId, "?action=webhook.*&limit=2")).events.map((e) => e.seq)).toEqual([6, 4, 2]);
    expect((await search(agentId, "?action=*")).events).toHaveLength(6);
    // `_` is not a wildcard, and case counts.
    expect((await search(agentId, "?action=trust_changed")).events).toEqual([]);
    expect((await search(agentId, "?action=Trust.*")).events).toEqual([]);
  });

  it("filters by time", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const stored = await storedEvents(agentId);
    const future = Date.now() + 86_400_000;
    expect((await search(agentId, `?from=${future}&to=${future + 1}`)).events).toEqual([]);
    const to = stored[2]!.at;
    const listed = (await search(agentId, `?to=${to}`)).events;
    expect(listed.every((e) => Date.parse(e.at) <= to)).toBe(true);
    expect(listed.map((e) => e.seq)).toContain(2);
  });

  it("never shows another agent's events, nor accepts another agent's cursor", async () => {
    const mine = await createAgent();
    const theirs = await createAgent();
    await fiveEvents(theirs);
    await rejectedWebhook(mine);
    await flushUntil(mine, 2);
    const theirIds = new Set((await storedEvents(theirs)).map((e) => e.id));
    const listed = await search(mine, "?limit=200");
    expect(listed.events).toHaveLength(2);
    expect(listed.events.some((e) => theirIds.has(e.id))).toBe(false);

    const { nextCursor } = await search(theirs, "?limit=2");
    expect(await status(`/v1/agents/${mine}/audit?limit=2&cursor=${encodeURIComponent(nextCursor!)}`)).toBe(400);
  });

  it("answers 400 for a garbage, edited or re-scoped cursor", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const { nextCursor } = await search(agentId, "?limit=2");
    const [payload, mac] = nextCursor!.split(".");
    const forgedPayload = btoa(JSON.stringify([Date.now() + 1e9, "zzz"])).replace(/=+$/, "");
    for (const cursor of ["garbage", "a.b.c", `${payload}.${"0".repeat(32)}`, `${forgedPayload}.${mac}`, `${payload}x.${mac}`, "%%%"]) {
      const res = await admin(`/v1/agents/${agentId}/audit?limit=2&cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    }
    // A cursor belongs to its filters.
    expect(await status(`/v1/agents/${agentId}/audit?limit=2&action=trust.*&cursor=${encodeURIComponent(nextCursor!)}`)).toBe(400);
    // The limit may change between pages.
    expect(await status(`/v1/agents/${agentId}/audit?limit=10&cursor=${encodeURIComponent(nextCursor!)}`)).toBe(200);
  });

  it("answers 400 for a bad limit, action or range, 404 for an unknown agent, 401 without the admin token", async () => {
    const agentId = await createAgent();
    for (const query of ["?limit=0", "?limit=201", "?limit=ten", "?limit=-1", "?action=tool denied", "?action=*tool", "?from=soon", "?from=2026-02-01&to=2026-01-01"]) {
      expect(await status(`/v1/agents/${agentId}/audit${query}`), query).toBe(400);
    }
    expect(await status(`/v1/agents/${agentId}/audit?limit=200`)).toBe(200);
    expect(await status("/v1/agents/nobody-here/audit")).toBe(404);
    expect((await admin(`/v1/agents/${agentId}/audit`, { token: "wrong" })).status).toBe(401);
  });
});
