import { describe, expect, it } from "vitest";
import { RATE_LIMIT_NOTICE } from "../../src/pipeline/process";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { admin, createAgent, type HttpReply, sendHttp } from "../support/agents";
import { flushedSql } from "../support/audit";
import { modelRequests } from "../support/model";
import { messageSid, sendSms, sentSms, waitForSms } from "../support/sms";

const limits = (perSender: number, perAgent = 1_000) => ({
  messageHandling: { rateLimits: { perSender: { messages: perSender, window: "1m" }, perAgent: { messages: perAgent, window: "1m" } } },
});
const ask = (id: string, from: string, text = `Question ${id}: where is my parcel?`) => ({ id, conversation: `conv-${id}`, from, text });

describe("rate limits: HTTP", () => {
  it("answers a sender's messages up to its limit, then 429 with Retry-After and no model call; other senders go on", async () => {
    const agentId = await createAgent(limits(3));
    for (let i = 0; i < 3; i++) expect((await sendHttp(agentId, ask(`a${i}`, "flooder"))).status).toBe(200);
    const limited = await sendHttp(agentId, ask("a3", "flooder"));
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(120);
    const body = (await limited.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.message).toContain("messageHandling.rateLimits");
    for (let i = 4; i < 10; i++) expect((await sendHttp(agentId, ask(`a${i}`, "flooder"))).status).toBe(429);
    expect(await modelRequests(agentId)).toHaveLength(3);

    expect((await sendHttp(agentId, ask("b0", "someone-else"))).status).toBe(200);
    expect(await modelRequests(agentId)).toHaveLength(4);
  });

  it("replays an answered message's answer without counting it again", async () => {
    const agentId = await createAgent(limits(2));
    const first = (await (await sendHttp(agentId, ask("r1", "u"))).json()) as HttpReply;
    for (let i = 0; i < 3; i++) {
      const again = await sendHttp(agentId, ask("r1", "u"));
      expect(again.status).toBe(200);
      expect(((await again.json()) as HttpReply).id).toBe(first.id);
    }
    expect((await sendHttp(agentId, ask("r2", "u"))).status).toBe(200);
    expect((await sendHttp(agentId, ask("r3", "u"))).status).toBe(429);
  });

  it("limits the whole agent across senders, and counts answers no model made (rules)", async () => {
    const agentId = await createAgent({ ...limits(100, 4), optimization: SEED_EXAMPLE_CONFIG.optimization });
    for (let i = 0; i < 4; i++) {
      const res = await sendHttp(agentId, ask(`g${i}`, `sender-${i}`, "hello"));
      expect(((await res.json()) as HttpReply).tier).toBe("rule");
    }
    const limited = await sendHttp(agentId, ask("g4", "sender-4", "hello"));
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { details: { scope: string } } }).error.details.scope).toBe("agent");
  });

  it("audits a limited sender once per window, by a hash and never the sender's address", async () => {
    const agentId = await createAgent(limits(1));
    await sendHttp(agentId, ask("x0", "ana@example.com"));
    for (let i = 1; i < 6; i++) expect((await sendHttp(agentId, ask(`x${i}`, "ana@example.com"))).status).toBe(429);
    const rows = await flushedSql<{ resource: string; details: string }>(agentId, "SELECT resource, details FROM audit_events WHERE agent_id = ? AND action = 'message.rate_limited'");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.resource).toMatch(/^sender:[0-9a-f]{32}$/);
    expect(JSON.stringify(rows)).not.toContain("ana@example.com");
    expect(JSON.parse(rows[0]!.details)).toMatchObject({ scope: "sender" });
  });

  it("refuses rate limits that cannot work, naming the field", async () => {
    const res = await admin(`/v1/agents/limits-bad`, {
      method: "PUT",
      body: JSON.stringify({ config: { messageHandling: { rateLimits: { perSender: { messages: 0, window: "2d" } } } } }),
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain("messageHandling.rateLimits.perSender.messages");
    expect(text).toContain("messageHandling.rateLimits.perSender.window");
  });
});

describe("rate limits: SMS", () => {
  const AUTH = "twilio-auth-token-for-tests";
  async function smsAgent(extra: Record<string, unknown>) {
    const accountSid = `AC${crypto.randomUUID().replaceAll("-", "")}`;
    const agentId = await createAgent(
      { channels: [{ type: "sms", provider: "twilio", features: ["short_responses"] }], ...extra },
      { secrets: { http: "unused", twilio: { accountSid, authToken: AUTH } } },
    );
    return { agentId, accountSid };
  }
  const text = (body: string, from = "+14155550111") => ({ MessageSid: messageSid(), From: from, To: "+14155550199", Body: body });

  it("tells a flooding texter once, in the TwiML reply, and then answers nothing", async () => {
    const { agentId } = await smsAgent({ ...limits(2), optimization: SEED_EXAMPLE_CONFIG.optimization });
    const replies: string[] = [];
    for (let i = 0; i < 5; i++) replies.push(await (await sendSms(agentId, text("hello"), { authToken: AUTH })).text());
    expect(replies.slice(0, 2).every((r) => r.includes("Hello! How can I help?"))).toBe(true);
    expect(replies[2]).toContain(RATE_LIMIT_NOTICE.slice(0, 30));
    expect(replies.slice(3)).toEqual([
      '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
      '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
    ]);
  });

  it("sends queued (model) answers up to the limit, one notice, and makes no model call past it", async () => {
    const { agentId, accountSid } = await smsAgent(limits(2));
    for (let i = 0; i < 6; i++) expect((await sendSms(agentId, text(`Where is parcel number ${i}?`), { authToken: AUTH })).status).toBe(200);
    const sent = await waitForSms(accountSid, 3);
    // Let any stray delivery land before counting.
    await new Promise((r) => setTimeout(r, 1_500));
    const all = await sentSms(accountSid);
    expect(all).toHaveLength(3);
    expect(all.filter((s) => s.Body === RATE_LIMIT_NOTICE)).toHaveLength(1);
    expect(sent.every((s) => s.To === "+14155550111")).toBe(true);
    expect(await modelRequests(agentId)).toHaveLength(2);
  });
});
