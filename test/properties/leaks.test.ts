import { createExecutionContext, createMessageBatch, getQueueResult, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { signHttpRequest } from "../../src/channels/http/signature";
import { handleEmail } from "../../src/channels/email/handler";
import { twilioSignature } from "../../src/channels/sms/verify";
import { hmacSha256Hex } from "../../src/core/crypto";
import { systemClock } from "../../src/core/clock";
import { jsonLogger } from "../../src/core/logger";
import type { WorkMessage } from "../../src/core/messages";
import { consumeWork } from "../../src/queues/work";
import { ADMIN_TOKEN, admin, putAgent, uniqueAgentId } from "../support/agents";
import { customerMail, inbound } from "../support/email";
import { scriptModel } from "../support/model";
import { appOver, envWith } from "../faults/support";
import { shardDb } from "../support/shards";

const HTTP_SECRET = "leak-http-secret-5b1f0c";
const SLACK_SIGNING = "leak-slack-signing-secret-8e2d";
const SLACK_BOT = "xoxb-leak-bot-token-77aa";
const TWILIO_TOKEN = "leak-twilio-auth-token-19cd";
/** The deployment's key ring (a secret, so not in the generated Env): as vitest.config.ts binds it. */
const ENCRYPTION_KEYS = (env as unknown as { ENCRYPTION_KEYS: string }).ENCRYPTION_KEYS;

const EMAIL = "jane.doe@example.com";
const PHONE = "+14155550123";
const CARD = "4111 1111 1111 1111";
const PII_TEXT = `Hi, I'm Jane (${EMAIL}, ${PHONE}); please refund card ${CARD}, it was charged twice.`;

/** Everything that must never be seen verbatim. */
function forbidden(apiKey: string): Record<string, string> {
  return {
    "HTTP secret": HTTP_SECRET,
    "Slack signing secret": SLACK_SIGNING,
    "Slack bot token": SLACK_BOT,
    "Twilio auth token": TWILIO_TOKEN,
    "admin token": ADMIN_TOKEN,
    "API key": apiKey,
    "API key body": apiKey.slice(4),
    ENCRYPTION_KEYS: ENCRYPTION_KEYS,
    "encryption key": ENCRYPTION_KEYS.split(":")[1]!,
    email: EMAIL,
    phone: PHONE,
    "phone digits": PHONE.slice(1),
    card: CARD,
    "card digits": CARD.replaceAll(" ", ""),
  };
}

function leaksIn(text: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}

let consoleLines: string[] = [];
beforeEach(() => {
  consoleLines = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a) ?? String(a))).join(" ")));
  }
});
afterEach(() => vi.restoreAllMocks());

describe("a scripted run through every channel, with known secrets and raw PII in the customers' text", () => {
  it("shows no secret and no raw PII in any log line, error body or audit event", async () => {
    const agentId = uniqueAgentId("leak");
    const logged: string[] = [];
    const sink = { log: (l: string) => logged.push(l), warn: (l: string) => logged.push(l), error: (l: string) => logged.push(l) };
    const queued: WorkMessage[] = [];
    const capture = { send: async (m: WorkMessage) => void queued.push(m), sendBatch: async (ms: Array<{ body: WorkMessage }>) => void queued.push(...ms.map((m) => m.body)) };
    const target = appOver(envWith({ WORK_QUEUE: capture }), jsonLogger({}, sink));
    const errorBodies: string[] = [];
    const call = async (request: Request) => {
      const res = await target.fetch(request);
      if (res.status >= 400) errorBodies.push(`${res.status} ${await res.clone().text()}`);
      return res;
    };
    const adminCall = (path: string, init: RequestInit & { token?: string | null } = {}) => {
      const headers = new Headers(init.headers);
      if (init.token !== null) headers.set("authorization", `Bearer ${init.token ?? ADMIN_TOKEN}`);
      if (init.body !== undefined) headers.set("content-type", "application/json");
      return call(new Request(`https://foreman.test${path}`, { ...init, headers }));
    };

    // The agent, with every channel and its credentials.
    const config = {
      channels: [
        { type: "slack", features: ["threading"] },
        { type: "sms", provider: "twilio", features: [] },
        { type: "email", smtp: { from: `${agentId}@shop.example` }, features: [] },
      ],
      audit: { level: "detailed", compliance: { encryption: true, piiDetection: true } },
    };
    const secrets = { http: HTTP_SECRET, slack: { signingSecret: SLACK_SIGNING, botToken: SLACK_BOT }, twilio: { accountSid: `AC${"1".repeat(32)}`, authToken: TWILIO_TOKEN } };
    await putAgent(agentId, { config, secrets }, target);
    // A refused PUT that carries the secrets.
    await adminCall(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: { ...config, trust: { initial: 7 } }, secrets }) });
    await adminCall(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: { name: SLACK_SIGNING, bogus: TWILIO_TOKEN }, secrets: { http: "" } }) });

    // An API key, used and misused.
    const created = await adminCall("/v1/keys", { method: "POST", body: JSON.stringify({ role: "operator", agents: [agentId] }) });
    const apiKey = ((await created.json()) as { key: string }).key;
    await adminCall(`/v1/agents/${agentId}`, { token: apiKey });
    await adminCall(`/v1/agents/${agentId}`, { token: `${apiKey}x` });
    await adminCall("/v1/keys", { token: `${ADMIN_TOKEN}-wrong` });
    await adminCall("/v1/keys", { method: "POST", body: JSON.stringify({ role: ADMIN_TOKEN, name: EMAIL }) });

    // HTTP: an answer, a bad signature, a body refused field by field.
    await scriptModel(agentId, [{ type: "text", text: "Sorry about that, I have refunded the second charge." }]);
    const httpPost = async (body: string, secret = HTTP_SECRET) => {
      const ts = Math.floor(Date.now() / 1000);
      return call(
        new Request(`https://foreman.test/webhooks/${agentId}/http`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-foreman-timestamp": String(ts), "x-foreman-signature": await signHttpRequest(secret, ts, body) },
          body,
        }),
      );
    };
    expect((await httpPost(JSON.stringify({ id: "leak-1", conversation: "lc-1", from: EMAIL, text: PII_TEXT }))).status).toBe(200);
    expect((await httpPost(JSON.stringify({ id: "leak-2", conversation: "lc-2", from: PHONE, text: PII_TEXT }), `${HTTP_SECRET}-wrong`)).status).toBe(401);
    expect((await httpPost(JSON.stringify({ id: `${EMAIL} ${CARD}`, conversation: PHONE, from: EMAIL, text: PII_TEXT, extra: CARD }))).status).toBe(400);
    expect((await httpPost(`{"id": "leak-3", "text": "${CARD}`)).status).toBe(400);
    // The model failing, transiently and for good: the 5xx path logs the error and its cause.
    await scriptModel(agentId, [
      { type: "error", status: 400, message: "messages: text content blocks must be non-empty" },
      { type: "error", status: 529, errorType: "overloaded_error", message: "Overloaded" },
      { type: "error", status: 529, errorType: "overloaded_error", message: "Overloaded" },
      { type: "error", status: 529, errorType: "overloaded_error", message: "Overloaded" },
    ]);
    expect((await httpPost(JSON.stringify({ id: "leak-4", conversation: "lc-4", from: EMAIL, text: PII_TEXT }))).status).toBeGreaterThanOrEqual(500);
    expect((await httpPost(JSON.stringify({ id: "leak-5", conversation: "lc-5", from: EMAIL, text: PII_TEXT }))).status).toBeGreaterThanOrEqual(500);

    // Slack: a mention, and a forged one.
    const slackPost = async (body: unknown, signing = SLACK_SIGNING) => {
      const raw = JSON.stringify(body);
      const ts = Math.floor(Date.now() / 1000);
      return call(
        new Request(`https://foreman.test/webhooks/${agentId}/slack`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-slack-request-timestamp": String(ts), "x-slack-signature": `v0=${await hmacSha256Hex(signing, `v0:${ts}:${raw}`)}` },
          body: raw,
        }),
      );
    };
    const mention = {
      type: "event_callback",
      team_id: "T123ABC456",
      event_id: "EvLEAK0001",
      event: { type: "app_mention", user: "U061F7AUR", text: `<@U0BOT> ${PII_TEXT}`, ts: "1515449522.000016", channel: "C123ABC456" },
    };
    expect((await slackPost(mention)).status).toBe(200);
    expect((await slackPost({ ...mention, event_id: "EvLEAK0002" }, `${SLACK_SIGNING}-wrong`)).status).toBe(401);
    expect((await slackPost({ type: "event_callback", team_id: "T1", event_id: "EvLEAK0003", event: { type: "app_mention", text: PII_TEXT } })).status).toBe(400);

    // SMS: an inbound message, and a forged one.
    const smsPost = async (params: Record<string, string>, token = TWILIO_TOKEN) => {
      const url = `https://foreman.test/webhooks/${agentId}/sms`;
      return call(
        new Request(url, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": await twilioSignature(token, url, Object.entries(params)) },
          body: new URLSearchParams(params).toString(),
        }),
      );
    };
    const sms = { MessageSid: `SM${"a".repeat(32)}`, From: PHONE, To: "+14155550199", Body: PII_TEXT, NumMedia: "0" };
    expect((await smsPost(sms)).status).toBeLessThan(300);
    expect((await smsPost({ ...sms, MessageSid: `SM${"b".repeat(32)}` }, `${TWILIO_TOKEN}-wrong`)).status).toBe(401);
    expect((await smsPost({ From: PHONE, Body: PII_TEXT })).status).toBe(400);

    // Email: a customer's mail.
    const mail = customerMail({ messageId: "<leak-1@example.com>", text: PII_TEXT, from: EMAIL, to: `${agentId}@shop.example`, subject: `Refund for ${CARD}` });
    await handleEmail(inbound(mail, { from: EMAIL, to: `${agentId}@shop.example` }).message, { env, queue: capture, clock: systemClock, logger: jsonLogger({}, sink) });

    // The queued messages answered, as the work queue does.
    expect(queued.length).toBeGreaterThanOrEqual(3);
    await scriptModel(agentId, queued.map(() => ({ type: "text" as const, text: "We are on it." })));
    const batch = createMessageBatch("foreman-work", queued.map((body, i) => ({ id: `lw-${i}`, timestamp: new Date(), attempts: 1, body })));
    const ctx = createExecutionContext();
    await consumeWork(batch, env, systemClock, ctx, async () => {});
    await getQueueResult(batch, ctx);

    // The audit trail, flushed.
    const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
    for (let i = 0; i < 20; i++) {
      await runDurableObjectAlarm(stub);
      const left = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n);
      if (left === 0) break;
    }
    const db = await shardDb(agentId);
    const { results: events } = await db.prepare("SELECT action, resource, details FROM audit_events WHERE agent_id = ?").bind(agentId).all<{ action: string; resource: string; details: string }>();
    const { results: alerts } = await db.prepare("SELECT message, details FROM alerts WHERE agent_id = ?").bind(agentId).all<{ message: string; details: string }>();
    expect(events.length).toBeGreaterThan(5);

    expect(ENCRYPTION_KEYS).toMatch(/^\w+:/);
    const secretsAndPii = forbidden(apiKey);
    const findings: string[] = [];
    const scan = (where: string, texts: string[]) => {
      for (const text of texts) for (const name of leaksIn(text, secretsAndPii)) findings.push(`${name} in ${where}: ${text.slice(0, 300)}`);
    };
    scan("a log line", [...logged, ...consoleLines]);
    scan("an error body", errorBodies);
    scan("an audit event", events.map((e) => `${e.action} ${e.resource} ${e.details}`));
    scan("an alert", alerts.map((a) => `${a.message} ${a.details}`));
    expect(logged.length + consoleLines.length).toBeGreaterThan(5);
    expect(errorBodies.length).toBeGreaterThanOrEqual(8);
    // The scan sees the raw text where it is meant to be (the queued work carries the customer's words).
    expect(leaksIn(JSON.stringify(queued), secretsAndPii)).toEqual(expect.arrayContaining(["email", "phone", "card"]));
    expect(findings).toEqual([]);
  });
});
