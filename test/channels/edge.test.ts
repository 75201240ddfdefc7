import { listDurableObjectIds } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signHttpRequest } from "../../src/channels/http/signature";
import { twilioSignature } from "../../src/channels/sms/verify";
import { hmacSha256Hex } from "../../src/core/crypto";
import { shards } from "../../src/db/shards";
import { agentExists, agentKey, forgetAgent } from "../../src/state/agent-directory";
import { ADMIN_TOKEN, admin, createAgent, HTTP_SECRET, putAgent, sendHttp, uniqueAgentId } from "../support/agents";
import { flushedSql } from "../support/audit";
import { modelRequests, scriptModel } from "../support/model";
import { appMention, sendSlack } from "../support/slack";
import { messageSid, sendSms } from "../support/sms";
import { shardDb } from "../support/shards";

/**
 * The edges every webhook shares: who may reach an agent (unknown ids, malformed ids, missing
 * secrets, another agent's secret), and what a request may be (garbage, oversize, replayed).
 */

type Channel = "http" | "slack" | "sms";
const CHANNELS: Channel[] = ["http", "slack", "sms"];
const SLACK_SECRET = "slack-signing-secret-for-edge-tests";
const TWILIO_TOKEN = "twilio-auth-token-for-edge-tests";

/** An agent with every channel and every channel's secret. */
async function fullAgent(): Promise<string> {
  return createAgent(
    { channels: [{ type: "slack", features: ["threading"] }, { type: "sms", provider: "twilio" }] },
    { secrets: { http: HTTP_SECRET, slack: { signingSecret: SLACK_SECRET, botToken: "xoxb-edge" }, twilio: { accountSid: "AC0edge", authToken: TWILIO_TOKEN } } },
  );
}

/** A well-formed request to the channel's webhook at `agentId`, signed with `secret` (the agent's own unless given). */
async function signed(channel: Channel, agentId: string, secret?: string): Promise<Response> {
  const ts = Math.floor(Date.now() / 1000);
  const url = `https://foreman.test/webhooks/${agentId}/${channel}`;
  if (channel === "http") {
    const body = JSON.stringify({ id: `m-${crypto.randomUUID()}`, conversation: "c", from: "u", text: "When do you open?" });
    const headers = { "content-type": "application/json", "x-foreman-timestamp": String(ts), "x-foreman-signature": await signHttpRequest(secret ?? HTTP_SECRET, ts, body) };
    return exports.default.fetch(url, { method: "POST", headers, body });
  }
  if (channel === "slack") {
    const body = JSON.stringify(appMention({ eventId: `Ev${crypto.randomUUID()}`, text: "<@U0BOTUSER> hi" }));
    const headers = { "content-type": "application/json", "x-slack-request-timestamp": String(ts), "x-slack-signature": `v0=${await hmacSha256Hex(secret ?? SLACK_SECRET, `v0:${ts}:${body}`)}` };
    return exports.default.fetch(url, { method: "POST", headers, body });
  }
  const params: Array<[string, string]> = [["MessageSid", messageSid()], ["From", "+14155550100"], ["To", "+14155550199"], ["Body", "hi"]];
  const headers = { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": await twilioSignature(secret ?? TWILIO_TOKEN, url, params) };
  return exports.default.fetch(url, { method: "POST", headers, body: new URLSearchParams(params).toString() });
}

async function refusal(res: Response): Promise<{ status: number; code: string; message: string; text: string }> {
  const text = await res.text();
  const { error } = JSON.parse(text) as { error: { code: string; message: string } };
  return { status: res.status, code: error.code, message: error.message, text };
}

const isListed = async (agentId: string) => {
  const wanted = env.AGENT_STATE.idFromName(agentId).toString();
  return (await listDurableObjectIds(env.AGENT_STATE)).some((id) => id.toString() === wanted);
};

describe("webhooks: unknown agents, malformed ids and missing secrets look alike", () => {
  for (const channel of CHANNELS) {
    it(`answers ${channel} for an unknown agent, a malformed id and a missing secret exactly as for a wrong signature`, async () => {
      const known = await fullAgent();
      const bare = await createAgent({ channels: [{ type: "slack" }, { type: "sms", provider: "twilio" }] }, { secrets: {} });
      const reference = await refusal(await signed(channel, known, "not-the-secret"));
      expect(reference).toMatchObject({ status: 401, code: "unauthorized" });
      const unknown = uniqueAgentId("ghost");
      const answers = {
        unknown: await refusal(await signed(channel, unknown, "not-the-secret")),
        malformed: await refusal(await signed(channel, "-bad.id", "not-the-secret")),
        tooLong: await refusal(await signed(channel, "a".repeat(65), "not-the-secret")),
        missingSecret: await refusal(await signed(channel, bare, "not-the-secret")),
      };
      for (const [name, answer] of Object.entries(answers)) {
        expect({ status: answer.status, code: answer.code, message: answer.message }, name).toEqual({ status: reference.status, code: reference.code, message: reference.message });
      }
      expect(answers.unknown.text).not.toContain(unknown);
      expect(answers.missingSecret.text).not.toContain(bare);
      expect(answers.missingSecret.text).not.toMatch(/secret/i);
    });
  }

  it("gives the same header complaints for an unknown agent as for a known one", async () => {
    const known = await fullAgent();
    const unknown = uniqueAgentId("ghost");
    for (const agentId of [known, unknown]) {
      const res = await sendHttp(agentId, { id: "h1", conversation: "c", from: "u", text: "hi" }, { headers: { "x-foreman-signature": null } });
      expect((await refusal(res)).message).toBe("X-Foreman-Timestamp and X-Foreman-Signature headers are required");
      const stale = await sendHttp(agentId, { id: "h2", conversation: "c", from: "u", text: "hi" }, { timestamp: Math.floor(Date.now() / 1000) - 600 });
      expect((await refusal(stale)).message).toBe("X-Foreman-Timestamp is more than 5 minutes from now");
    }
  });

  it("creates no Durable Object for an unknown or malformed agent id on any channel", async () => {
    const ids = [uniqueAgentId("ghost"), uniqueAgentId("ghost"), uniqueAgentId("ghost")];
    for (const [i, channel] of CHANNELS.entries()) await signed(channel, ids[i]!);
    await signed("http", "-bad.id");
    for (const id of [...ids, "-bad.id"]) expect(await isListed(id), id).toBe(false);
    // The control: a configured agent does have its object.
    expect(await isListed(await fullAgent())).toBe(true);
  });

  it("audits a webhook refused for a missing secret, so the operator sees why", async () => {
    const bare = await createAgent({ channels: [{ type: "slack" }] }, { secrets: {} });
    expect((await signed("slack", bare)).status).toBe(401);
    const rows = await flushedSql<{ details: string }>(bare, "SELECT details FROM audit_events WHERE agent_id = ? AND action = 'webhook.rejected'");
    expect(JSON.parse(rows[0]!.details)).toMatchObject({ reason: "missing_secret" });
  });
});

describe("webhooks: the agent index", () => {
  it("answers an agent created through the admin API at once", async () => {
    const agentId = uniqueAgentId();
    await putAgent(agentId, { config: {}, secrets: { http: HTTP_SECRET } });
    expect(await env.CACHE.get(agentKey(agentId))).toBe(shards(env).place(agentId).name);
    await scriptModel(agentId, [{ type: "text", text: "At nine." }]);
    expect((await signed("http", agentId)).status).toBe(200);
  });

  it("finds an agent the KV index does not know through D1, and writes it back", async () => {
    const agentId = await fullAgent();
    await env.CACHE.delete(agentKey(agentId));
    const deferred: Array<Promise<unknown>> = [];
    expect(await agentExists(env, agentId, (p) => deferred.push(p))).toBe(true);
    await Promise.all(deferred);
    expect(await env.CACHE.get(agentKey(agentId))).toBe(shards(env).place(agentId).name);
  });

  it("still finds an agent when the KV read fails, and finds nothing for an unknown one", async () => {
    const agentId = await fullAgent();
    const broken = { ...env, CACHE: { get: () => Promise.reject(new Error("KV down")), put: () => Promise.resolve() } as unknown as KVNamespace };
    expect(await agentExists(broken, agentId)).toBe(true);
    expect(await agentExists(broken, uniqueAgentId("ghost"))).toBe(false);
  });

  it("answers a forgotten agent as an unknown one", async () => {
    const agentId = await fullAgent();
    const db = await shardDb(agentId);
    await forgetAgent(env, agentId);
    await db.prepare("DELETE FROM agents WHERE id = ?").bind(agentId).run();
    expect(await agentExists(env, agentId)).toBe(false);
    expect(await refusal(await signed("http", agentId))).toMatchObject({ status: 401, message: "signature does not match" });
  });
});

describe("webhooks: another agent's secret (wrong tenant)", () => {
  for (const channel of CHANNELS) {
    it(`refuses a ${channel} request signed with another agent's secret, and calls no model`, async () => {
      const victim = await fullAgent();
      const other = uniqueAgentId();
      const otherSecrets = { http: "other-http", slack: { signingSecret: "other-slack" }, twilio: { accountSid: "AC1", authToken: "other-twilio" } };
      await putAgent(other, { config: {}, secrets: otherSecrets });
      const secret = { http: otherSecrets.http, slack: otherSecrets.slack.signingSecret, sms: otherSecrets.twilio.authToken }[channel];
      expect((await signed(channel, victim, secret)).status).toBe(401);
      expect(await modelRequests(victim)).toHaveLength(0);
    });
  }

  it("refuses a Twilio request signed for one agent's URL when sent to another's", async () => {
    const [a, b] = [await fullAgent(), await fullAgent()];
    const params: Array<[string, string]> = [["MessageSid", messageSid()], ["From", "+14155550100"], ["To", "+14155550199"], ["Body", "hi"]];
    const signature = await twilioSignature(TWILIO_TOKEN, `https://foreman.test/webhooks/${a}/sms`, params);
    const res = await exports.default.fetch(`https://foreman.test/webhooks/${b}/sms`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(401);
  });
});

describe("webhooks: wrong keys", () => {
  it("does not take the admin token as a webhook signature, nor a webhook secret as an admin key", async () => {
    const agentId = await fullAgent();
    for (const channel of CHANNELS) expect((await signed(channel, agentId, ADMIN_TOKEN)).status, channel).toBe(401);
    expect((await admin(`/v1/agents/${agentId}`, { token: HTTP_SECRET })).status).toBe(401);
  });
});

describe("webhooks: garbage and oversize", () => {
  const LIMITS: Record<Channel, number> = { http: 64 * 1024, slack: 256 * 1024, sms: 64 * 1024 };

  for (const channel of CHANNELS) {
    it(`answers ${channel} 413 for a body over its limit, and for a Content-Length that declares one`, async () => {
      const agentId = await fullAgent();
      const url = `https://foreman.test/webhooks/${agentId}/${channel}`;
      const big = await exports.default.fetch(url, { method: "POST", body: "x".repeat(LIMITS[channel] + 1) });
      expect(big.status).toBe(413);
      const declared = await exports.default.fetch(url, { method: "POST", headers: { "content-length": String(10 * 1024 * 1024) }, body: "x" });
      expect(declared.status).toBe(413);
    });

    it(`answers ${channel} 4xx, never 5xx, for unsigned garbage and invalid UTF-8`, async () => {
      const agentId = await fullAgent();
      const url = `https://foreman.test/webhooks/${agentId}/${channel}`;
      const bodies: BodyInit[] = ["", "\u0000\u0001garbage", "{\"type\":", new Uint8Array([0xff, 0xfe, 0xc3, 0x28])];
      for (const body of bodies) {
        const res = await exports.default.fetch(url, { method: "POST", body });
        expect([400, 401], String(body)).toContain(res.status);
      }
      expect(await modelRequests(agentId)).toHaveLength(0);
    });
  }
});
