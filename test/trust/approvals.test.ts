import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, clockedApp, createAgent, type HttpReply, putAgent, sendHttp, type Target, worker } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";

interface ApprovalView {
  id: string;
  tool: string;
  input: unknown;
  status: string;
  result: { content: string; isError: boolean } | null;
  decidedBy: string | null;
}

let n = 0;
async function askToWrite(agentId: string, target: Target = worker): Promise<HttpReply> {
  await scriptModel(agentId, [
    { type: "tool_use", calls: [{ name: "Write", input: { path: "refund.txt", content: "refund order 42" } }] },
    { type: "text", text: "{{tool_result}}" },
  ]);
  n += 1;
  const res = await sendHttp(agentId, { id: `ask-${n}`, conversation: "c1", from: "u", text: "Refund my order" }, { target });
  expect(res.status).toBe(200);
  return (await res.json()) as HttpReply;
}

async function pending(agentId: string, target: Target = worker): Promise<ApprovalView[]> {
  const res = await admin(`/v1/agents/${agentId}/approvals?status=pending`, { target });
  expect(res.status).toBe(200);
  return ((await res.json()) as { approvals: ApprovalView[] }).approvals;
}

const decide = (agentId: string, id: string, body: unknown, target: Target = worker) =>
  admin(`/v1/agents/${agentId}/approvals/${id}`, { method: "POST", body: JSON.stringify(body), target });

describe("tools that need a person's approval (trust.ask)", () => {
  it("files a request instead of running the tool, and records the interaction as escalated", async () => {
    const agentId = await createAgent({ trust: { initial: 0.3, ask: ["Write"] } });
    const reply = await askToWrite(agentId);
    expect(reply.text).toMatch(/^This action needs a person's approval before it runs\. Request apr_[0-9a-f-]+ is pending/);
    expect(await env.WORKSPACE.head(`workspaces/${agentId}/refund.txt`)).toBeNull();
    const [request] = await pending(agentId);
    expect(request).toMatchObject({ tool: "Write", input: { path: "refund.txt", content: "refund order 42" }, status: "pending" });
    // The model was offered Write so it could ask for it.
    const [first] = await modelRequests(agentId);
    expect((first?.body as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toEqual(["Read", "Write"]);
    const counts = (await env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)).outcomeSummary()).counts;
    expect(counts).toEqual({ escalated: 1 });
  });

  it("runs the call once when approved and tells the agent in the conversation", async () => {
    const agentId = await createAgent({ trust: { initial: 0.3, ask: ["Write"] } });
    await askToWrite(agentId);
    const [request] = await pending(agentId);
    const res = await decide(agentId, request!.id, { decision: "approve", note: "ok by owner" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "executed", result: { content: "wrote 15 bytes to refund.txt", isError: false }, decidedBy: "admin:bootstrap" });
    expect(await (await env.WORKSPACE.get(`workspaces/${agentId}/refund.txt`))?.text()).toBe("refund order 42");

    expect((await decide(agentId, request!.id, { decision: "approve" })).status).toBe(409);
    await scriptModel(agentId, [{ type: "text", text: "done" }]);
    await sendHttp(agentId, { id: "after", conversation: "c1", from: "u", text: "Is it done?" });
    const last = (await modelRequests(agentId)).at(-1)?.body as { messages: Array<{ role: string; content: unknown }> };
    expect(JSON.stringify(last.messages)).toContain("[A person approved Write; it ran and returned: wrote 15 bytes to refund.txt]");
  });

  it("keeps the requested arguments sealed when the agent encrypts, and still shows and runs them", async () => {
    const agentId = await createAgent({ trust: { initial: 0.3, ask: ["Write"] }, audit: { compliance: { encryption: true } } });
    await askToWrite(agentId);
    const stored = await runInDurableObject(env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)), (_, state) =>
      state.storage.sql.exec<{ value: string }>("SELECT value FROM approvals").toArray(),
    );
    expect((JSON.parse(stored[0]!.value) as { inputJson: string }).inputJson).toMatch(/^enc:v1:t1:/);
    expect(stored[0]?.value).not.toContain("refund order 42");
    const [request] = await pending(agentId);
    expect(request?.input).toEqual({ path: "refund.txt", content: "refund order 42" });
    expect(await (await decide(agentId, request!.id, { decision: "approve" })).json()).toMatchObject({ status: "executed" });
    expect(await (await env.WORKSPACE.get(`workspaces/${agentId}/refund.txt`))?.text()).toBe("refund order 42");
  });

  it("does not run a rejected call", async () => {
    const agentId = await createAgent({ trust: { initial: 0.3, ask: ["Write"] } });
    await askToWrite(agentId);
    const [request] = await pending(agentId);
    const res = await decide(agentId, request!.id, { decision: "reject", note: "not eligible" });
    expect(await res.json()).toMatchObject({ status: "rejected", result: null });
    expect(await env.WORKSPACE.head(`workspaces/${agentId}/refund.txt`)).toBeNull();
  });

  it("expires a request nobody answered within a day", async () => {
    const { clock, target } = clockedApp(Date.UTC(2026, 10, 25, 9));
    const agentId = await createAgent({ trust: { initial: 0.3, ask: ["Write"] } }, {}, target);
    await askToWrite(agentId, target);
    const [request] = await pending(agentId, target);
    clock.advance(24 * 3_600_000 + 1);
    expect(await pending(agentId, target)).toEqual([]);
    const res = await decide(agentId, request!.id, { decision: "approve" }, target);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe("the request has expired");
    expect(await env.WORKSPACE.head(`workspaces/${agentId}/refund.txt`)).toBeNull();
  });

  it("does not run an approved call whose tool the config has denied since the request", async () => {
    const agentId = await createAgent({ trust: { initial: 0.3, ask: ["Write"] } });
    await askToWrite(agentId);
    const [request] = await pending(agentId);
    await putAgent(agentId, { config: { trust: { initial: 0.3, ask: ["Write"], deny: ["Write"] } } });
    const res = await decide(agentId, request!.id, { decision: "approve" });
    expect(await res.json()).toMatchObject({ status: "failed", result: { content: 'tool "Write" is now denied for this agent', isError: true } });
    expect(await env.WORKSPACE.head(`workspaces/${agentId}/refund.txt`)).toBeNull();
  });

  it("keeps deny above ask, and another agent cannot decide the request", async () => {
    const denied = await createAgent({ trust: { initial: 0.3, ask: ["Write"], deny: ["Write"] } });
    expect((await askToWrite(denied)).text).toBe('permission denied: tool "Write" is denied for this agent');
    expect(await pending(denied)).toEqual([]);

    const owner = await createAgent({ trust: { initial: 0.3, ask: ["Write"] } });
    const other = await createAgent({ trust: { initial: 0.3, ask: ["Write"] } });
    await askToWrite(owner);
    const [request] = await pending(owner);
    expect((await decide(other, request!.id, { decision: "approve" })).status).toBe(404);
    expect((await decide(owner, request!.id, { decision: "maybe" })).status).toBe(400);
    expect(await pending(owner)).toHaveLength(1);
  });
});
