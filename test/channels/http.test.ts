import { describe, expect, it } from "vitest";
import { createAgent, type HttpReply, sendHttp } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";

describe("HTTP channel", () => {
  it("answers a signed message with the model's text from the intelligent tier", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "text", text: "We open at nine." }]);
    const res = await sendHttp(agentId, { id: "msg-1", conversation: "c1", from: "user-1", text: "When do you open?" });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as HttpReply;
    expect(reply).toMatchObject({ text: "We open at nine.", tier: "intelligent", trustLevel: 0.3 });
    expect(reply.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.costUsd).toBeGreaterThan(0);
    const [request] = await modelRequests(agentId);
    expect(request?.body).toMatchObject({ messages: [{ role: "user", content: "When do you open?" }] });
  });
});
