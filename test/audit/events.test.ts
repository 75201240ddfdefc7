import { describe, expect, it } from "vitest";
import { createAgent, putAgent, sendHttp, settled } from "../support/agents";
import { flushedSql } from "../support/audit";
import { scriptModel } from "../support/model";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The agent's audit events in D1 with one of the actions, after flushing its outbox. */
function events(agentId: string, actions: string[], atLeast: number) {
  return flushedSql<{ actor: string; action: string; resource: string; decision: string; details: string; cost_micros: number | null }>(
    agentId,
    `SELECT actor, action, resource, decision, details, cost_micros FROM audit_events WHERE agent_id = ? AND action IN (${actions.map(() => "?").join(",")}) ORDER BY at, rowid`,
    actions,
    atLeast,
  );
}

async function ask(agentId: string, text: string) {
  const res = await sendHttp(agentId, { id: crypto.randomUUID(), conversation: crypto.randomUUID(), from: "customer", text }, { target: settled });
  expect(res.status).toBe(200);
}

describe("audit events of answered messages", () => {
  it("records one message.answered per message at the standard level, with cost and no customer text", async () => {
    const agentId = await createAgent({});
    await scriptModel(agentId, [{ type: "text", text: "We open at nine, ana@example.com." }]);
    await ask(agentId, "When do you open? I am ana@example.com");
    const [answered] = await events(agentId, ["message.answered"], 1);
    expect(answered).toMatchObject({ actor: "customer:http", action: "message.answered", decision: "recorded" });
    expect(answered!.cost_micros).toBeGreaterThan(0);
    expect(JSON.parse(answered!.details)).toMatchObject({ channel: "http", tier: "intelligent", outcome: "success", model: "claude-sonnet-5-5", urgency: "normal" });
    expect(answered!.details).not.toContain("ana@example.com");
    expect(answered!.details).not.toContain("open");
  });

  it("records each tool call with its arguments masked at the detailed level", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 }, audit: { level: "detailed" } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "notes/ana.md", content: "Ana, ana@example.com, card 4242 4242 4242 4242, +44 20 7946 0958" } }] },
      { type: "text", text: "Saved." },
    ]);
    await ask(agentId, "Please note my details");
    const [called] = await events(agentId, ["tool.called"], 1);
    expect(called).toMatchObject({ actor: "agent", action: "tool.called", resource: "Write", decision: "allowed" });
    const details = JSON.parse(called!.details) as { input: string; isError: boolean };
    expect(details.isError).toBe(false);
    expect(details.input).toContain("[EMAIL]");
    expect(details.input).toContain("[CARD]");
    expect(details.input).toContain("[PHONE]");
    for (const raw of ["ana@example.com", "4242 4242 4242 4242", "7946 0958"]) expect(details.input).not.toContain(raw);
  });

  it("keeps only security and change events at the minimal level", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 }, audit: { level: "minimal" } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "x.md", content: "x" } }] },
      { type: "text", text: "Done." },
    ]);
    await ask(agentId, "write it");
    await sleep(200);
    expect(await events(agentId, ["message.answered", "tool.called"], 0)).toEqual([]);
  });

  it("records a change to a running agent with who made it and which secret names changed, never their values", async () => {
    const agentId = await createAgent({});
    await putAgent(agentId, { config: { name: "Bakery v2" }, systemPrompt: "Be brief.", secrets: { http: "a-new-secret-value", twilio: null } });
    const [updated] = await events(agentId, ["agent.updated"], 1);
    expect(updated).toMatchObject({ actor: "admin:bootstrap", action: "agent.updated", resource: agentId, decision: "changed" });
    expect(JSON.parse(updated!.details)).toEqual({ version: 2, model: "claude-sonnet-5-5", secrets: ["http", "-twilio"], promptChanged: true });
    expect(updated!.details).not.toContain("a-new-secret-value");
  });
});
