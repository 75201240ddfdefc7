import { describe, expect, it } from "vitest";
import { segmentInfo } from "../../src/channels/sms/segments";
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { createAgent, HTTP_SECRET, putAgent, sendHttp, settled } from "../support/agents";
import { flushedSql } from "../support/audit";
import { modelRequests, scriptModel } from "../support/model";
import { messageSid, sendSms, sentSms, waitForSms } from "../support/sms";
import { shardDb } from "../support/shards";

const AUTH = "twilio-auth-token-for-tests";

async function smsAgent(channel: Record<string, unknown> = { type: "sms", provider: "twilio", features: ["short_responses"] }) {
  const accountSid = `AC${crypto.randomUUID().replaceAll("-", "")}`;
  const agentId = await createAgent({ channels: [channel] }, { secrets: { http: "unused", twilio: { accountSid, authToken: AUTH } } });
  return { agentId, accountSid };
}

const inbound = (body: string, from = "+14155550100") => ({ MessageSid: messageSid(), From: from, To: "+14155550199", Body: body });

describe("SMS channel", () => {
  it("answers a text through the Messages API, fitting a long answer into the configured segments", async () => {
    const { agentId, accountSid } = await smsAgent({ type: "sms", provider: "twilio", features: ["short_responses"], maxSegments: 2 });
    const long = Array.from({ length: 12 }, (_, i) => `Point ${i}: our branch opens at nine.`).join(" ");
    expect(long.length).toBeGreaterThan(400);
    await scriptModel(agentId, [{ type: "text", text: long }]);
    const res = await sendSms(agentId, inbound("When do you open?"), { authToken: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/xml");
    expect(await res.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');

    const [sent] = await waitForSms(accountSid, 1);
    expect(sent).toMatchObject({ To: "+14155550100", From: "+14155550199" });
    expect(segmentInfo(sent!.Body!).segments).toBeLessThanOrEqual(2);
    // short_responses asked the model for brevity.
    const [request] = await modelRequests(agentId);
    expect(JSON.stringify((request?.body as { system: unknown }).system)).toContain("by SMS");
  });

  it("refuses a tampered or unsigned webhook with 401", async () => {
    const { agentId } = await smsAgent();
    expect((await sendSms(agentId, inbound("hi"), { authToken: AUTH, tamper: { Body: "send me everything" } })).status).toBe(401);
    expect((await sendSms(agentId, inbound("hi"), { authToken: AUTH, signature: "" })).status).toBe(401);
    expect((await sendSms(agentId, inbound("hi"), { authToken: "wrong-token" })).status).toBe(401);
    expect(await modelRequests(agentId)).toHaveLength(0);
  });

  it("never answers an SMS from an answer cached for another channel", async () => {
    const { agentId, accountSid } = await smsAgent();
    await putAgent(agentId, {
      config: { channels: [{ type: "sms", provider: "twilio", features: ["short_responses"] }], optimization: { cacheRules: [{ similarity: 0.95, ttl: 600 }] } },
      secrets: { http: HTTP_SECRET },
    });
    await scriptModel(agentId, [
      { type: "text", text: "A long web answer about opening hours, with every detail." },
      { type: "text", text: "Open 9-5." },
    ]);
    await sendHttp(agentId, { id: "web-1", conversation: "web", from: "u", text: "When do you open?" }, { target: settled });
    await sendSms(agentId, inbound("When do you open?"), { authToken: AUTH });
    const [sent] = await waitForSms(accountSid, 1);
    expect(sent?.Body).toBe("Open 9-5.");
  });

  it("audits a refused Twilio signature", async () => {
    const { agentId } = await smsAgent();
    expect((await sendSms(agentId, inbound("hi"), { authToken: "wrong-token" })).status).toBe(401);
    const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
    let row: Record<string, unknown> | null = null;
    for (let i = 0; i < 50 && !row; i++) {
      await runDurableObjectAlarm(stub);
      row = await (await shardDb(agentId)).prepare("SELECT actor, action FROM audit_events WHERE agent_id = ? AND action = 'webhook.rejected'").bind(agentId).first();
      if (!row) await new Promise((r) => setTimeout(r, 20));
    }
    expect(row).toEqual({ actor: "unverified:sms", action: "webhook.rejected" });
  });

  it("answers a repeated MessageSid once", async () => {
    const { agentId, accountSid } = await smsAgent();
    await scriptModel(agentId, [{ type: "text", text: "Once." }]);
    const fields = inbound("Are you open today?");
    await sendSms(agentId, fields, { authToken: AUTH });
    await sendSms(agentId, fields, { authToken: AUTH });
    await waitForSms(accountSid, 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await sentSms(accountSid)).toHaveLength(1);
    expect(await modelRequests(agentId)).toHaveLength(1);
  });

  it("stops all further SMS to a number after STOP, and resumes after START", async () => {
    const { agentId, accountSid } = await smsAgent();
    const customer = "+14155550111";
    expect(await (await sendSms(agentId, inbound("STOP", customer), { authToken: AUTH })).text()).toContain("<Response></Response>");
    await sendSms(agentId, inbound("What are your hours?", customer), { authToken: AUTH });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await sentSms(accountSid)).toHaveLength(0);
    expect(await modelRequests(agentId)).toHaveLength(0);

    await sendSms(agentId, inbound("START", customer), { authToken: AUTH });
    await sendSms(agentId, inbound("What are your hours?", customer), { authToken: AUTH });
    expect(await waitForSms(accountSid, 1)).toHaveLength(1);
  });

  it("answers HELP with TwiML before the agent, and ignores status callbacks", async () => {
    const { agentId } = await smsAgent();
    const help = await sendSms(agentId, inbound("HELP"), { authToken: AUTH });
    expect(await help.text()).toContain("<Message>Reply STOP to stop messages");
    const status = await sendSms(agentId, { MessageSid: messageSid(), From: "+14155550199", To: "+14155550100", MessageStatus: "delivered" }, { authToken: AUTH });
    expect(status.status).toBe(204);
    expect(await modelRequests(agentId)).toHaveLength(0);
  });

  it("answers a greeting rule at once in the TwiML reply, without the queue or the model", async () => {
    const accountSid = `AC${crypto.randomUUID().replaceAll("-", "")}`;
    const agentId = await createAgent(
      { channels: [{ type: "sms", provider: "twilio", features: ["short_responses"] }], optimization: SEED_EXAMPLE_CONFIG.optimization },
      { secrets: { twilio: { accountSid, authToken: AUTH } } },
    );
    const res = await sendSms(agentId, inbound("hello there!"), { authToken: AUTH });
    expect(await res.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hello! How can I help?</Message></Response>');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await sentSms(accountSid)).toHaveLength(0);
    expect(await modelRequests(agentId)).toHaveLength(0);
  });

  it("answers a question another customer asked from the cache in TwiML, fitted and escaped", async () => {
    const { agentId, accountSid } = await smsAgent({ type: "sms", provider: "twilio", features: ["short_responses"], maxSegments: 1 });
    const long = `Fees & limits <see app>: ${"we charge nothing for transfers in the UK. ".repeat(8)}`;
    await scriptModel(agentId, [{ type: "text", text: long }]);
    await sendSms(agentId, inbound("What are the fees?", "+14155550121"), { authToken: AUTH });
    await waitForSms(accountSid, 1);
    await new Promise((r) => setTimeout(r, 500)); // the answer is cached after it is sent
    const res = await sendSms(agentId, inbound("what are the fees", "+14155550122"), { authToken: AUTH });
    const xml = await res.text();
    const body = /<Message>(.*)<\/Message>/s.exec(xml)?.[1] ?? "";
    expect(body.startsWith("Fees &amp; limits &lt;see app&gt;:")).toBe(true);
    expect(segmentInfo(body.replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">")).segments).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(await sentSms(accountSid)).toHaveLength(1);
    expect(await modelRequests(agentId)).toHaveLength(1);
  });

  it("answers a picture message without text, telling the model about the media", async () => {
    const { agentId, accountSid } = await smsAgent();
    await scriptModel(agentId, [{ type: "text", text: "Got your photo." }]);
    const media = `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Messages/MM1/Media/ME1`;
    const fields = { ...inbound(""), NumMedia: "1", MediaUrl0: media, MediaContentType0: "image/jpeg" };
    await sendSms(agentId, fields, { authToken: AUTH });
    expect((await waitForSms(accountSid, 1))[0]?.Body).toBe("Got your photo.");
    const [request] = await modelRequests(agentId);
    expect(JSON.stringify((request?.body as { messages: unknown }).messages)).toContain(`[Attachment: media-0 (image/jpeg), at ${media}]`);
  });

  it("audits the delivery of a queued answer", async () => {
    const { agentId, accountSid } = await smsAgent();
    await scriptModel(agentId, [{ type: "text", text: "We open at nine." }]);
    await sendSms(agentId, inbound("When do you open tomorrow?"), { authToken: AUTH });
    await waitForSms(accountSid, 1);
    const [row] = await flushedSql<{ details: string }>(agentId, "SELECT details FROM audit_events WHERE agent_id = ? AND action = 'message.delivered'");
    expect(JSON.parse(row!.details)).toEqual({ channel: "sms", parts: 1 });
  });

  it("answers 400 for a signed form without MessageSid", async () => {
    const { agentId } = await smsAgent();
    expect((await sendSms(agentId, { From: "+1", To: "+2", Body: "hi" }, { authToken: AUTH })).status).toBe(400);
  });
});
