import { env, exports } from "cloudflare:workers";
import { signHttpRequest } from "foreman-agents";
import { describe, expect, it } from "vitest";

/** A message to the agent's HTTP channel, signed with its secret as a caller of yours would. */
async function send(message: { id: string; conversation: string; from: string; text: string }, secret = env.ASSISTANT_HTTP_SECRET) {
  const body = JSON.stringify(message);
  const timestamp = Math.floor(Date.now() / 1000);
  return exports.default.fetch("https://agent.test/webhooks/assistant/http", {
    method: "POST",
    headers: { "content-type": "application/json", "x-foreman-timestamp": String(timestamp), "x-foreman-signature": await signHttpRequest(secret, timestamp, body) },
    body,
  });
}

describe("the assistant agent", () => {
  it("answers a signed HTTP message through the model", async () => {
    const res = await send({ id: "m-1", conversation: "c-1", from: "customer-1", text: "When do you open?" });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { text: string; tier: string; trustLevel: number };
    expect(answer.text).toContain("When do you open?");
    expect(answer.tier).toBe("intelligent");
    expect(answer.trustLevel).toBe(0.3);
  });

  it("refuses a message signed with another secret", async () => {
    const res = await send({ id: "m-2", conversation: "c-2", from: "customer-2", text: "hi" }, "not-the-secret");
    expect(res.status).toBe(401);
  });
});
