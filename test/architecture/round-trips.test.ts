/**
 * The message protocol in round trips: every call one message makes to each Durable Object is
 * counted by a wrapper around the stubs, with the real app, bindings and fake model.
 */
import { createExecutionContext, createMessageBatch, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { signHttpRequest } from "../../src/channels/http/signature";
import { systemClock } from "../../src/core/clock";
import { hmacSha256Hex } from "../../src/core/crypto";
import { silentLogger } from "../../src/core/logger";
import { consumeWork } from "../../src/queues/work";
import { createAgent, HTTP_SECRET } from "../support/agents";
import { scriptModel } from "../support/model";
import { appMention } from "../support/slack";
import { twilioSignature } from "../../src/channels/sms/verify";
import { messageSid } from "../support/sms";

type Calls = string[];
type Namespace = "AGENT_STATE" | "CONVERSATION" | "VECTORS";

/** A stub that records `<object>.<method>` for each RPC before making it. */
function countingStub<T extends object>(stub: T, label: string, calls: Calls): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof prop !== "string" || typeof value !== "function" || prop === "fetch") return value;
      return (...args: unknown[]) => {
        calls.push(`${label}.${prop}`);
        return (target as Record<string, (...a: unknown[]) => unknown>)[prop]!(...args);
      };
    },
  });
}

/** The worker's bindings with each Durable Object namespace counting its stubs' calls, and the work queue captured. */
function countingEnv(calls: Calls, queued: unknown[]): Env {
  const wrap = (name: Namespace) => {
    const ns = env[name] as unknown as DurableObjectNamespace;
    return new Proxy(ns, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop === "get") return (id: DurableObjectId) => countingStub(ns.get(id), name, calls);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  const overrides: Partial<Record<keyof Env, unknown>> = {
    AGENT_STATE: wrap("AGENT_STATE"),
    CONVERSATION: wrap("CONVERSATION"),
    VECTORS: wrap("VECTORS"),
    WORK_QUEUE: { send: async (m: unknown) => void queued.push(m), sendBatch: async () => {} },
  };
  return new Proxy(env, { get: (target, prop) => (prop in overrides ? overrides[prop as keyof Env] : Reflect.get(target, prop)) }) as Env;
}

/** One request through the real app on counting bindings, with its background work settled. */
async function counted(request: Request): Promise<{ response: Response; calls: Calls; queued: unknown[] }> {
  const calls: Calls = [];
  const queued: unknown[] = [];
  const ctx = createExecutionContext();
  const response = await createApp({ logger: silentLogger }).fetch(request, countingEnv(calls, queued), ctx);
  await response.clone().arrayBuffer();
  await waitOnExecutionContext(ctx);
  return { response, calls, queued };
}

async function httpRequest(agentId: string, message: Record<string, unknown>): Promise<Request> {
  const body = JSON.stringify(message);
  const ts = Math.floor(Date.now() / 1000);
  return new Request(`https://foreman.test/webhooks/${agentId}/http`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-foreman-timestamp": String(ts), "x-foreman-signature": await signHttpRequest(HTTP_SECRET, ts, body) },
    body,
  });
}

const on = (calls: Calls, object: Namespace) => calls.filter((c) => c.startsWith(`${object}.`)).map((c) => c.slice(object.length + 1));

const GREETING = { optimization: { cacheRules: [{ pattern: "greeting", ttl: 600, response: "Hello! How can I help?" }] } };
const SIMILAR = { optimization: { cacheRules: [{ similarity: 0.95, ttl: 600 }] } };

describe("round trips of one message to the agent's object", () => {
  it("answers from a rule in two: admit and finish", async () => {
    const agentId = await createAgent(GREETING);
    const { response, calls } = await counted(await httpRequest(agentId, { id: "r1", conversation: "c1", from: "u", text: "hello" }));
    expect(((await response.json()) as { tier: string }).tier).toBe("rule");
    expect(on(calls, "AGENT_STATE")).toEqual(["admit", "finish"]);
    // The conversation's turn: begin (context) and append (turns, ending the turn).
    expect(on(calls, "CONVERSATION")).toEqual(["begin", "append"]);
  });

  it("answers from the exact cache in two: admit and finish", async () => {
    const agentId = await createAgent(SIMILAR);
    await scriptModel(agentId, [{ type: "text", text: "We open at nine." }]);
    await counted(await httpRequest(agentId, { id: "e1", conversation: "c1", from: "u", text: "When do you open?" }));
    const { response, calls } = await counted(await httpRequest(agentId, { id: "e2", conversation: "c2", from: "u", text: "When do you open?" }));
    expect(((await response.json()) as { tier: string }).tier).toBe("cache");
    expect(on(calls, "AGENT_STATE")).toEqual(["admit", "finish"]);
  });

  it("answers from the model in three: admit, reserveCall (with the delivery claim) and finish", async () => {
    const agentId = await createAgent(SIMILAR);
    await scriptModel(agentId, [{ type: "text", text: "Our branch is on Main Street." }]);
    const { response, calls } = await counted(await httpRequest(agentId, { id: "m1", conversation: "c1", from: "u", text: "Where is your branch?" }));
    expect(((await response.json()) as { tier: string }).tier).toBe("intelligent");
    expect(on(calls, "AGENT_STATE")).toEqual(["admit", "reserveCall", "finish"]);
    // The similarity index is its own object: one query before the model, one upsert after.
    expect(on(calls, "VECTORS")).toEqual(["vectorQuery", "vectorUpsert"]);
  });

  it("adds one round trip for a tool step: the next call reserved with the trust level re-read", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Read", input: { path: "notes.txt" } }] },
      { type: "text", text: "Nothing is written there yet." },
    ]);
    const { response, calls } = await counted(await httpRequest(agentId, { id: "t1", conversation: "c1", from: "u", text: "What do my notes say?" }));
    expect(((await response.json()) as { tier: string }).tier).toBe("intelligent");
    expect(on(calls, "AGENT_STATE")).toEqual(["admit", "reserveCall", "reserveCall", "finish"]);
  });
});

describe("round trips of a queued channel message", () => {
  it("Slack: two round trips at the webhook, four in the consumer", async () => {
    const signingSecret = "slack-signing-secret-for-round-trips";
    const botToken = `xoxb-${crypto.randomUUID()}`;
    const agentId = await createAgent({ channels: [{ type: "slack", features: ["threading"] }] }, { secrets: { http: "unused", slack: { signingSecret, botToken } } });
    await scriptModel(agentId, [{ type: "text", text: "Your card ships today." }]);
    const raw = JSON.stringify(appMention({ eventId: `Ev${crypto.randomUUID().slice(0, 8)}`, text: "<@U0LAN0Z89> when does my card ship?" }));
    const ts = Math.floor(Date.now() / 1000);
    const webhook = await counted(
      new Request(`https://foreman.test/webhooks/${agentId}/slack`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-slack-request-timestamp": String(ts), "x-slack-signature": `v0=${await hmacSha256Hex(signingSecret, `v0:${ts}:${raw}`)}` },
        body: raw,
      }),
    );
    expect(webhook.response.status).toBe(200);
    // admit (the signing secret), then the event's receipt.
    expect(on(webhook.calls, "AGENT_STATE")).toEqual(["admit", "receive"]);
    expect(webhook.queued).toHaveLength(1);

    const calls = await consumeCounted(webhook.queued);
    // openDelivery (the view, the bot token, the claim on sending); the answer's reserveCall and
    // finish; closeDelivery (sent, the posted message linked for reactions, the audit event).
    expect(on(calls, "AGENT_STATE")).toEqual(["openDelivery", "reserveCall", "finish", "closeDelivery"]);
  });

  it("SMS: two round trips at the webhook, five in the consumer (the opt-out re-checked as it sends)", async () => {
    const authToken = "twilio-auth-token-for-round-trips";
    const accountSid = `AC${crypto.randomUUID().replaceAll("-", "")}`;
    const agentId = await createAgent({ channels: [{ type: "sms", provider: "twilio", features: [] }] }, { secrets: { http: "unused", twilio: { accountSid, authToken } } });
    await scriptModel(agentId, [{ type: "text", text: "We open at nine." }]);
    const url = `https://foreman.test/webhooks/${agentId}/sms`;
    const params = { MessageSid: messageSid(), From: "+14155550100", To: "+14155550199", Body: "When do you open tomorrow?", NumMedia: "0" };
    const webhook = await counted(
      new Request(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": await twilioSignature(authToken, url, Object.entries(params)) },
        body: new URLSearchParams(params).toString(),
      }),
    );
    expect(webhook.response.status).toBe(200);
    expect(webhook.queued).toHaveLength(1);
    // admit (the auth token), then smsInbound: the receipt, STOP/START and the opt-out check at once.
    expect(on(webhook.calls, "AGENT_STATE")).toEqual(["admit", "smsInbound"]);

    const calls = await consumeCounted(webhook.queued);
    // openDelivery (with Twilio's two credentials); the answer; the opt-out re-checked at the
    // moment of sending; closeDelivery.
    expect(on(calls, "AGENT_STATE")).toEqual(["openDelivery", "reserveCall", "finish", "smsOptedOut", "closeDelivery"]);
  });
});

async function consumeCounted(queued: unknown[]): Promise<Calls> {
  const calls: Calls = [];
  const batch = createMessageBatch("foreman-work", queued.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await consumeWork(batch, countingEnv(calls, []), systemClock, ctx, async () => {});
  await waitOnExecutionContext(ctx);
  return calls;
}
