import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createAgent, type HttpReply, sendHttp } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";

const msg = (id: string) => ({ id, conversation: "c1", from: "u1", text: "Are you open?" });

describe("model API failures", () => {
  it("retries a 429 after its retry-after and answers", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [
      { type: "error", status: 429, retryAfter: 1, message: "rate limited" },
      { type: "text", text: "Yes, we are open." },
    ]);
    const res = await sendHttp(agentId, msg("r429"));
    expect(res.status).toBe(200);
    expect(((await res.json()) as HttpReply).text).toBe("Yes, we are open.");
    const requests = await modelRequests(agentId);
    expect(requests).toHaveLength(2);
    // The retry waited for retry-after (1 s) rather than hammering the API.
    expect(requests[1]!.receivedAt - requests[0]!.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it("answers 503 with Retry-After when the model stays overloaded, then answers the same id on retry", async () => {
    const agentId = await createAgent();
    const overloaded = { type: "error" as const, status: 529, message: "overloaded" };
    await scriptModel(agentId, [overloaded, overloaded, overloaded, { type: "text", text: "Back again." }]);
    const failed = await sendHttp(agentId, msg("r529"));
    expect(failed.status).toBe(503);
    expect(failed.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await failed.json()) as { error: { code: string } }).error.code).toBe("model_unavailable");
    expect(await modelRequests(agentId)).toHaveLength(3);

    const retried = await sendHttp(agentId, msg("r529"));
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as HttpReply).text).toBe("Back again.");
    // The outage was the provider's: it records no outcome, so the agent's trust is untouched.
    const summary = await env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)).outcomeSummary();
    expect(summary.counts).toEqual({ success: 1 });
  });

  it("does not retry a 400 from the model API and answers 502 without Retry-After", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "error", status: 400, message: "bad request" }]);
    const res = await sendHttp(agentId, msg("r400"));
    expect(res.status).toBe(502);
    expect(res.headers.get("retry-after")).toBeNull();
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("model_rejected");
    expect(await modelRequests(agentId)).toHaveLength(1);
    // The request itself was wrong (the agent's model or key): that counts.
    const summary = await env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)).outcomeSummary();
    expect(summary.counts).toEqual({ error: 1 });
  });

  it("answers 503 at once, without waiting inline, when the model asks for more than 10 s", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "error", status: 529, retryAfter: 90, message: "overloaded" }, { type: "text", text: "Later." }]);
    const res = await sendHttp(agentId, msg("r529-long"));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("90");
    expect(await modelRequests(agentId)).toHaveLength(1);
  });
});
