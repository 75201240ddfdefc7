import { env, exports } from "cloudflare:workers";
import { signHttpRequest } from "foreman-agents";
import { describe, expect, it } from "vitest";
import { shop } from "../src/index";

interface Answer {
  text: string;
  tier: string;
  costUsd: number;
  trustLevel: number;
}

/** A message to the shop agent's HTTP channel, signed with its secret as the shop's website would. */
async function send(message: { id: string; conversation: string; from: string; text: string }, secret = env.SHOP_HTTP_SECRET) {
  const body = JSON.stringify(message);
  const timestamp = Math.floor(Date.now() / 1000);
  return exports.default.fetch("https://shop.example/webhooks/shop/http", {
    method: "POST",
    headers: { "content-type": "application/json", "x-foreman-timestamp": String(timestamp), "x-foreman-signature": await signHttpRequest(secret, timestamp, body) },
    body,
  });
}

describe("the shop agent, declared with the seed's config", () => {
  it("answers a signed HTTP message through the model, at the seed's initial trust", async () => {
    const res = await send({ id: "m-1", conversation: "c-1", from: "customer-1", text: "Where is my order 1042?" });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    expect(answer.text).toContain("Where is my order 1042?");
    expect(answer.tier).toBe("intelligent");
    expect(answer.trustLevel).toBe(0.3);
  });

  it("answers a greeting from the seed's cache rule, without the model and at no cost", async () => {
    const res = await send({ id: "m-2", conversation: "c-2", from: "customer-2", text: "Hello" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ text: "Hello! How can I help?", tier: "rule", costUsd: 0 });
  });

  it("reads the Slack webhook from the worker's SLACK_WEBHOOK, as the seed's process.env.SLACK_WEBHOOK", () => {
    expect(shop.config.channels.find((c) => c.type === "slack")).toMatchObject({ webhook: "https://hooks.slack.com/services/T000/B000/XXX" });
  });

  it("refuses a message signed with another secret", async () => {
    const res = await send({ id: "m-3", conversation: "c-3", from: "customer-3", text: "hi" }, "not-the-secret");
    expect(res.status).toBe(401);
  });
});
