import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAgent, type HttpReply, putAgent, sendHttp, settled, uniqueAgentId } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";
import { shardDb } from "../support/shards";

const message = (id: string, text = "When do you open?") => ({ id, conversation: "c1", from: "user-1", text });

describe("HTTP channel: answers", () => {
  it("answers a signed message with the model's text from the intelligent tier", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [
      { type: "text", text: "We open at nine.", usage: { input_tokens: 1000, output_tokens: 100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
    ]);
    const res = await sendHttp(agentId, message("msg-1"));
    expect(res.status).toBe(200);
    const reply = (await res.json()) as HttpReply;
    expect(reply).toMatchObject({ text: "We open at nine.", tier: "intelligent", trustLevel: 0.3 });
    expect(reply.id).toMatch(/^[0-9a-f-]{36}$/);
    // claude-sonnet-5-5 default price: 1000 × $2/MTok + 100 × $10/MTok = 3000 micro-dollars.
    expect(reply.costUsd).toBe(0.003);
    const [request] = await modelRequests(agentId);
    expect(request?.body).toMatchObject({
      model: "claude-sonnet-5-5",
      messages: [{ role: "user", content: "When do you open?" }],
      metadata: { user_id: agentId },
    });
  });

  it("sends the system prompt and the offered tools with cache_control for prompt caching", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 } }, { systemPrompt: "You run a bakery." });
    await sendHttp(agentId, message("m1"));
    const [request] = await modelRequests(agentId);
    const body = request?.body as { system: unknown[]; tools: Array<{ name: string; cache_control?: unknown }> };
    expect(body.system).toEqual([{ type: "text", text: "You run a bakery.", cache_control: { type: "ephemeral" } }]);
    expect(body.tools.map((t) => t.name)).toEqual(["Read", "Write"]);
    expect(body.tools.at(-1)?.cache_control).toEqual({ type: "ephemeral" });
  });

  it("gives the model the conversation's earlier turns, and never another conversation's", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [
      { type: "text", text: "Hi Ana." },
      { type: "text", text: "You said your name is Ana." },
      { type: "text", text: "I don't know your name." },
    ]);
    await sendHttp(agentId, { id: "a1", conversation: "conv-a", from: "ana", text: "I'm Ana" });
    await sendHttp(agentId, { id: "a2", conversation: "conv-a", from: "ana", text: "What's my name?" });
    await sendHttp(agentId, { id: "b1", conversation: "conv-b", from: "bob", text: "What's my name?" });
    const requests = await modelRequests(agentId);
    expect((requests[1]?.body as { messages: unknown[] }).messages).toEqual([
      { role: "user", content: "I'm Ana" },
      { role: "assistant", content: "Hi Ana." },
      { role: "user", content: "What's my name?" },
    ]);
    expect((requests[2]?.body as { messages: unknown[] }).messages).toEqual([{ role: "user", content: "What's my name?" }]);
  });
});

describe("HTTP channel: normalizeInput", () => {
  const messy = "When\u200b do you   open?\r\n\r\n\r\nThanks";
  const sentText = async (agentId: string) => ((await modelRequests(agentId))[0]?.body as { messages: Array<{ content: string }> }).messages[0]?.content;

  it("cleans invisible characters, line endings and runs of spaces when on (the default)", async () => {
    const agentId = await createAgent();
    expect((await sendHttp(agentId, message("norm-1", messy))).status).toBe(200);
    expect(await sentText(agentId)).toBe("When do you open?\n\nThanks");
  });

  it("passes the text as sent, only trimmed, when off", async () => {
    const agentId = await createAgent({ messageHandling: { normalizeInput: false } });
    expect((await sendHttp(agentId, message("norm-2", ` ${messy} `))).status).toBe(200);
    expect(await sentText(agentId)).toBe(messy);
  });
});

describe("HTTP channel: dedupe", () => {
  it("returns the first answer for a repeated id without calling the model again", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [
      { type: "text", text: "first answer" },
      { type: "text", text: "second answer" },
    ]);
    const first = (await (await sendHttp(agentId, message("dup-1"))).json()) as HttpReply;
    const again = await sendHttp(agentId, message("dup-1"));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(first);
    expect(await modelRequests(agentId)).toHaveLength(1);
  });

  it("answers concurrent deliveries of one id once: the others replay it or are told it is in flight", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "text", text: "slow answer", delayMs: 300 }]);
    const responses = await Promise.all([1, 2, 3, 4].map(() => sendHttp(agentId, message("race-1"))));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    for (const r of responses.filter((r) => r.status === 409)) expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await modelRequests(agentId)).toHaveLength(1);
  });

  it("refuses an id reused for a different message with 409, never replaying the other message's answer", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "text", text: "Your balance is private to conversation one." }]);
    await sendHttp(agentId, { id: "1", conversation: "customer-a", from: "a", text: "What's my balance?" });
    const reused = await sendHttp(agentId, { id: "1", conversation: "customer-b", from: "b", text: "Hi" });
    expect(reused.status).toBe(409);
    expect(await reused.text()).not.toContain("private");
    expect(await modelRequests(agentId)).toHaveLength(1);
  });

  it("keeps message ids per agent: the same id at another agent is a new message", async () => {
    const a = await createAgent();
    const b = await createAgent();
    await scriptModel(a, [{ type: "text", text: "from a" }]);
    await scriptModel(b, [{ type: "text", text: "from b" }]);
    expect(((await (await sendHttp(a, message("shared-id"))).json()) as HttpReply).text).toBe("from a");
    expect(((await (await sendHttp(b, message("shared-id"))).json()) as HttpReply).text).toBe("from b");
  });
});

describe("HTTP channel: verification", () => {
  it("refuses an unsigned message with 401 and does not call the model", async () => {
    const agentId = await createAgent();
    const res = await sendHttp(agentId, message("u1"), { headers: { "x-foreman-signature": null, "x-foreman-timestamp": null } });
    expect(res.status).toBe(401);
    expect(await modelRequests(agentId)).toHaveLength(0);
  });

  it("refuses timestamps more than five minutes old or ahead", async () => {
    const agentId = await createAgent();
    const now = Math.floor(Date.now() / 1000);
    expect((await sendHttp(agentId, message("s1"), { timestamp: now - 6 * 60 })).status).toBe(401);
    expect((await sendHttp(agentId, message("s2"), { timestamp: now + 6 * 60 })).status).toBe(401);
    expect((await sendHttp(agentId, message("s3"), { timestamp: now - 4 * 60 })).status).toBe(200);
  });

  it("refuses a body changed after signing", async () => {
    const agentId = await createAgent();
    const signed = JSON.stringify(message("t1", "refund 10"));
    const res = await sendHttp(agentId, signed, { sendBody: signed.replace("10", "1000") });
    expect(res.status).toBe(401);
    expect(await modelRequests(agentId)).toHaveLength(0);
  });

  it("audits every refused signature with its reason and request id", async () => {
    const agentId = await createAgent();
    const signed = JSON.stringify(message("audit-1"));
    const res = await sendHttp(agentId, signed, { sendBody: signed.replace("open", "close"), target: settled });
    expect(res.status).toBe(401);
    await runDurableObjectAlarm(env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)));
    const row = await (await shardDb(agentId)).prepare("SELECT actor, action, decision, details, request_id FROM audit_events WHERE agent_id = ? AND action = 'webhook.rejected'").bind(agentId).first<Record<string, string>>();
    expect(row).toMatchObject({ actor: "unverified:http", action: "webhook.rejected", decision: "denied", request_id: res.headers.get("x-request-id") });
    expect(JSON.parse(row!.details!)).toMatchObject({ reason: "bad_signature" });
  });

  it("refuses a message signed with another agent's secret", async () => {
    const victim = await createAgent();
    const attacker = uniqueAgentId();
    await putAgent(attacker, { config: {}, secrets: { http: "attacker-secret" } });
    const res = await sendHttp(victim, message("x1"), { secret: "attacker-secret" });
    expect(res.status).toBe(401);
  });

  it("refuses with 401 when the agent has no HTTP secret, and for an unknown agent alike", async () => {
    const agentId = uniqueAgentId();
    await putAgent(agentId, { config: {} });
    expect((await sendHttp(agentId, message("n1"))).status).toBe(401);
    expect((await sendHttp(uniqueAgentId(), message("n2"))).status).toBe(401);
  });

  it("replays a captured request only as the stored answer, never as a new model call", async () => {
    const agentId = await createAgent();
    const body = JSON.stringify(message("replay-1"));
    const ts = Math.floor(Date.now() / 1000);
    const first = await sendHttp(agentId, body, { timestamp: ts });
    const replayed = await sendHttp(agentId, body, { timestamp: ts });
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toEqual(await first.json());
    expect(await modelRequests(agentId)).toHaveLength(1);
  });
});

describe("HTTP channel: bad input", () => {
  it("answers 400 naming the field for signed bodies that are not a valid message", async () => {
    const agentId = await createAgent();
    const cases: Array<[string, string]> = [
      ["not json", "not valid JSON"],
      [JSON.stringify({ conversation: "c", from: "u", text: "hi" }), "id"],
      [JSON.stringify({ id: "has space", conversation: "c", from: "u", text: "hi" }), "id"],
      [JSON.stringify({ id: "m", conversation: "c", from: "u", text: "   " }), "text"],
      [JSON.stringify({ id: "m", conversation: "c", from: "u", text: "hi", admin: true }), "admin"],
      [JSON.stringify({ id: "m", conversation: "c", from: "u", text: 7 }), "text"],
    ];
    for (const [body, mention] of cases) {
      const res = await sendHttp(agentId, body);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message, body).toContain(mention);
    }
    expect(await modelRequests(agentId)).toHaveLength(0);
  });

  it("answers 413 for a body over 64 KiB", async () => {
    const agentId = await createAgent();
    const res = await sendHttp(agentId, message("big", "x".repeat(70 * 1024)));
    expect(res.status).toBe(413);
  });

  it("answers 413 before reading when Content-Length declares too much", async () => {
    const agentId = await createAgent();
    const res = await sendHttp(agentId, message("big2"), { headers: { "content-length": String(10 * 1024 * 1024) } });
    expect(res.status).toBe(413);
  });
});

describe("HTTP channel: records", () => {
  it("records the outcome in the agent's state and the interaction in D1 through the learning queue", async () => {
    const agentId = await createAgent();
    const reply = (await (await sendHttp(agentId, message("rec-1"))).json()) as HttpReply;
    const summary = await env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)).outcomeSummary();
    expect(summary.counts).toEqual({ success: 1 });
    // The learning queue delivers in the background; wait for the row rather than for a time.
    let row: Record<string, unknown> | null = null;
    for (let i = 0; i < 100 && !row; i++) {
      row = await (await shardDb(agentId)).prepare("SELECT * FROM interactions WHERE id = ?").bind(reply.id).first();
      if (!row) await new Promise((r) => setTimeout(r, 50));
    }
    expect(row).toMatchObject({ agent_id: agentId, channel: "http", delivery_id: "rec-1", tier: "intelligent", outcome: "success" });
    expect(JSON.stringify(row)).not.toContain("When do you open?");
  });
});
