/**
 * `GET /v1/agents/:agentId/conversations` and `…/conversations/:conversationId`: conversations
 * from real messages sent to the worker, listed newest first with a signed cursor, and each
 * transcript with its PII masked.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ConversationPage, Transcript } from "../../src/admin/conversations";
import type { Conversation } from "../../src/state/conversation";
import { admin, createAgent, sendHttp, settled } from "../support/agents";
import { scriptModel } from "../support/model";
import { shardDb } from "../support/shards";

/** Waits until the learning queue has stored `count` interactions of the agent. */
async function stored(agentId: string, count: number): Promise<Array<{ id: string; conversation_hash: string; conversation_object: string | null; cost_micros: number }>> {
  for (let i = 0; i < 200; i++) {
    const { results } = await (await shardDb(agentId)).prepare("SELECT id, conversation_hash, conversation_object, cost_micros FROM interactions WHERE agent_id = ? ORDER BY created_at")
      .bind(agentId)
      .all<{ id: string; conversation_hash: string; conversation_object: string | null; cost_micros: number }>();
    if (results.length >= count) return results;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the learning queue never stored ${count} interactions of ${agentId}`);
}

async function send(agentId: string, conversation: string, text: string): Promise<void> {
  const res = await sendHttp(agentId, { id: crypto.randomUUID(), conversation, from: "customer-1", text }, { target: settled });
  expect(res.status).toBe(200);
}

async function json<T>(path: string, token?: string): Promise<{ status: number; body: T }> {
  const res = await admin(path, token === undefined ? {} : { token });
  return { status: res.status, body: (await res.json()) as T };
}

async function createKey(body: Record<string, unknown>): Promise<string> {
  const res = await admin("/v1/keys", { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

const PII_QUESTION = "Hi, I'm writing from jane.doe@example.com, call me on +1 415 555 0132. My card 4242 4242 4242 4242 was charged twice.";
const PII_ANSWER = "I have refunded the charge on card 4242 4242 4242 4242 and written to jane.doe@example.com.";
// The phone number in every form it could leak in; not "415" alone, which a timestamp's
// milliseconds or an id can contain.
const RAW_PII = ["jane.doe@example.com", "4242 4242 4242 4242", "4242424242424242", "555 0132", "+1 415", "415 555", "4155550132"];

/** An agent with two conversations: `c1` of two messages (with PII), then `c2` of one. */
async function agentWithConversations(config: Record<string, unknown> = {}) {
  const agentId = await createAgent(config);
  await scriptModel(agentId, [
    { type: "text", text: PII_ANSWER },
    { type: "text", text: "You're welcome." },
    { type: "text", text: "We open at nine." },
  ]);
  await send(agentId, "c1", PII_QUESTION);
  await send(agentId, "c1", "Thanks!");
  await send(agentId, "c2", "When do you open?");
  const rows = await stored(agentId, 3);
  return { agentId, rows, c1: rows[0]!.conversation_hash, c2: rows[2]!.conversation_hash };
}

describe("GET /v1/agents/:agentId/conversations", () => {
  it("lists the agent's conversations newest first, with channel, activity, messages, tiers and cost", async () => {
    const { agentId, rows, c1, c2 } = await agentWithConversations();
    expect(c1).toMatch(/^[0-9a-f]{32}$/);
    expect(rows[1]!.conversation_hash).toBe(c1);
    const { status, body } = await json<ConversationPage>(`/v1/agents/${agentId}/conversations`);
    expect(status).toBe(200);
    expect(body.conversations.map((c) => c.id)).toEqual([c2, c1]);
    const [second, first] = body.conversations;
    expect(first).toMatchObject({ channel: "http", messages: 2, tiers: { intelligent: 2 }, outcomes: { success: 2, error: 0, denied: 0, escalated: 0 }, turnsKept: true });
    expect(first!.costUsd).toBe((rows[0]!.cost_micros + rows[1]!.cost_micros) / 1_000_000);
    expect(first!.costUsd).toBeGreaterThan(0);
    expect(Date.parse(first!.firstAt)).toBeLessThanOrEqual(Date.parse(first!.lastAt));
    expect(second).toMatchObject({ channel: "http", messages: 1, tiers: { intelligent: 1 } });
    expect(body.nextCursor).toBeNull();
    // Nothing of the customers' text or addresses in a listing.
    for (const raw of RAW_PII) expect(JSON.stringify(body)).not.toContain(raw);
  });

  it("pages through the listing with a signed cursor bound to its filters", async () => {
    const { agentId, c1, c2 } = await agentWithConversations();
    const one = await json<ConversationPage>(`/v1/agents/${agentId}/conversations?limit=1`);
    expect(one.body.conversations.map((c) => c.id)).toEqual([c2]);
    expect(one.body.nextCursor).toEqual(expect.any(String));
    const cursor = encodeURIComponent(one.body.nextCursor!);
    const two = await json<ConversationPage>(`/v1/agents/${agentId}/conversations?limit=1&cursor=${cursor}`);
    expect(two.body.conversations.map((c) => c.id)).toEqual([c1]);
    expect(two.body.nextCursor).toBeNull();
    // Carried to another filter, or edited: refused.
    const other = await json<{ error: { message: string } }>(`/v1/agents/${agentId}/conversations?limit=1&channel=http&cursor=${cursor}`);
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/cursor/);
    const edited = await json(`/v1/agents/${agentId}/conversations?limit=1&cursor=x${cursor}`);
    expect(edited.status).toBe(400);
  });

  it("filters by channel and time", async () => {
    const { agentId } = await agentWithConversations();
    expect((await json<ConversationPage>(`/v1/agents/${agentId}/conversations?channel=sms`)).body.conversations).toEqual([]);
    expect((await json<ConversationPage>(`/v1/agents/${agentId}/conversations?channel=http`)).body.conversations).toHaveLength(2);
    expect((await json<ConversationPage>(`/v1/agents/${agentId}/conversations?to=2020-01-01T00:00:00Z`)).body.conversations).toEqual([]);
  });

  it("refuses a bad limit, channel or time with a message naming the parameter", async () => {
    const agentId = await createAgent();
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=201", "limit"],
      ["limit=ten", "limit"],
      ["channel=fax", "channel"],
      ["from=yesterday", "from"],
      ["from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "from"],
    ] as const) {
      const { status, body } = await json<{ error: { code: string; message: string } }>(`/v1/agents/${agentId}/conversations?${query}`);
      expect({ query, status, code: body.error.code }).toEqual({ query, status: 400, code: "invalid_request" });
      expect(body.error.message).toContain(field);
    }
  });
});

describe("GET /v1/agents/:agentId/conversations/:conversationId", () => {
  it("returns the transcript with every e-mail address, phone number and card number masked", async () => {
    const { agentId, rows, c1 } = await agentWithConversations();
    const { status, body } = await json<Transcript>(`/v1/agents/${agentId}/conversations/${c1}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ agentId, conversationId: c1, channel: "http" });
    expect(body.turns.map((t) => t.role)).toEqual(["customer", "agent", "customer", "agent"]);
    const text = JSON.stringify(body);
    for (const raw of RAW_PII) expect(text).not.toContain(raw);
    expect(body.turns[0]!.text).toContain("[EMAIL]");
    expect(body.turns[0]!.text).toContain("[PHONE]");
    expect(body.turns[0]!.text).toContain("[CARD]");
    expect(body.turns[0]!.text).toContain("was charged twice");
    expect(body.turns[1]!.text).toBe("I have refunded the charge on card [CARD] and written to [EMAIL].");
    expect(body.turns[2]!.text).toBe("Thanks!");
    // Each answer with its interaction; a customer's turn has none.
    expect(body.turns[1]).toMatchObject({ interactionId: rows[0]!.id, tier: "intelligent", outcome: "success", costUsd: rows[0]!.cost_micros / 1_000_000 });
    expect(body.turns[3]).toMatchObject({ interactionId: rows[1]!.id, tier: "intelligent", outcome: "success" });
    expect(body.turns[0]).toMatchObject({ interactionId: null, tier: null, outcome: null, costUsd: null });
  });

  it("opens turns kept encrypted, and still masks them", async () => {
    const { agentId, c1 } = await agentWithConversations({ audit: { compliance: { encryption: true } } });
    const { status, body } = await json<Transcript>(`/v1/agents/${agentId}/conversations/${c1}`);
    expect(status).toBe(200);
    expect(body.turns[0]!.text).toContain("[CARD]");
    for (const raw of RAW_PII) expect(JSON.stringify(body)).not.toContain(raw);
  });

  it("answers 400 for an id that is not one, and 404 for one the agent does not have", async () => {
    const agentId = await createAgent();
    for (const id of ["not-an-id", "ABCDEF0123456789ABCDEF0123456789", "0".repeat(33), "%27%20OR%201%3D1"]) {
      const { status, body } = await json<{ error: { message: string } }>(`/v1/agents/${agentId}/conversations/${id}`);
      expect({ id, status }).toEqual({ id, status: 400 });
      expect(body.error.message).toContain("conversationId");
    }
    const { status, body } = await json<{ error: { message: string } }>(`/v1/agents/${agentId}/conversations/${"0".repeat(32)}`);
    expect(status).toBe(404);
    expect(body.error.message).toContain(`has no conversation "${"0".repeat(32)}"`);
    expect((await json(`/v1/agents/no-such-agent-${crypto.randomUUID().slice(0, 8)}/conversations/${"0".repeat(32)}`)).status).toBe(404);
  });

  it("never shows another agent's conversation: its id under this agent is a 404, its path needs a key for it", async () => {
    const mine = await agentWithConversations();
    const theirs = await agentWithConversations();
    expect((await json(`/v1/agents/${mine.agentId}/conversations/${theirs.c1}`)).status).toBe(404);
    const operator = await createKey({ role: "operator", agents: [mine.agentId] });
    expect((await json(`/v1/agents/${mine.agentId}/conversations/${theirs.c1}`, operator)).status).toBe(404);
    expect((await json(`/v1/agents/${theirs.agentId}/conversations/${theirs.c1}`, operator)).status).toBe(403);
    expect((await json(`/v1/agents/${theirs.agentId}/conversations`, operator)).status).toBe(403);
    expect((await json(`/v1/agents/${mine.agentId}/conversations/${mine.c1}`, operator)).status).toBe(200);
  });

  it("lets a viewer read, and nobody without a valid key", async () => {
    const { agentId, c1 } = await agentWithConversations();
    const viewer = await createKey({ role: "viewer", agents: [agentId] });
    expect((await json(`/v1/agents/${agentId}/conversations`, viewer)).status).toBe(200);
    expect((await json(`/v1/agents/${agentId}/conversations/${c1}`, viewer)).status).toBe(200);
    expect((await admin(`/v1/agents/${agentId}/conversations/${c1}`, { token: null })).status).toBe(401);
    expect((await admin(`/v1/agents/${agentId}/conversations/${c1}`, { token: `fmk_${"A".repeat(43)}` })).status).toBe(401);
  });

  it("answers 404 saying so when retention has deleted the turns", async () => {
    const { agentId, rows, c1 } = await agentWithConversations();
    const object = rows[0]!.conversation_object!;
    expect(object).toMatch(/^[0-9a-f]{64}$/);
    // The idle alarm: what happens CONVERSATION_IDLE_MS after the last message.
    await runInDurableObject(env.CONVERSATION.get(env.CONVERSATION.idFromString(object)), (instance: Conversation) => instance.alarm());
    const { status, body } = await json<{ error: { message: string } }>(`/v1/agents/${agentId}/conversations/${c1}`);
    expect(status).toBe(404);
    expect(body.error.message).toContain("deleted by retention");
    // Still listed: the interaction rows hold no text and stay.
    expect((await json<ConversationPage>(`/v1/agents/${agentId}/conversations`)).body.conversations.map((c) => c.id)).toContain(c1);
  });

  it("answers 404 saying why when the agent keeps no turns", async () => {
    const agentId = await createAgent({ messageHandling: { maintainContext: false } });
    await scriptModel(agentId, [{ type: "text", text: "Hello." }]);
    await send(agentId, "c1", "Hi");
    const [row] = await stored(agentId, 1);
    expect(row!.conversation_object).toBeNull();
    const list = await json<ConversationPage>(`/v1/agents/${agentId}/conversations`);
    expect(list.body.conversations[0]).toMatchObject({ id: row!.conversation_hash, turnsKept: false });
    const { status, body } = await json<{ error: { message: string } }>(`/v1/agents/${agentId}/conversations/${row!.conversation_hash}`);
    expect(status).toBe(404);
    expect(body.error.message).toContain("maintainContext");
  });
});
