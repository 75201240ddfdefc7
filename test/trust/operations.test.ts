import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, clockedApp, createAgent, HTTP_SECRET, type HttpReply, sendHttp, type Target, uniqueAgentId } from "../support/agents";
import { deliveredAlerts } from "../support/audit";
import { hookPosts, mcpServerUrl } from "../support/mcp";
import { shardDb } from "../support/shards";

const post = (path: string, body: unknown, target?: Target) =>
  admin(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), target });

async function answer(agentId: string, id: string, target?: Target): Promise<HttpReply> {
  const res = await sendHttp(agentId, { id, conversation: "c", from: "u", text: "hi" }, { target });
  return (await res.json()) as HttpReply;
}

describe("POST /v1/agents/:agentId/trust", () => {
  it("sets the level by hand with a reason, records who and why, and alerts on the rise into more tools", async () => {
    const agentId = await createAgent();
    const res = await post(`/v1/agents/${agentId}/trust`, { action: "set", level: 0.9, reason: "supervised pilot" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ level: 0.9, tier: "0.9", allowedTools: ["*"] });
    const view = (await (await admin(`/v1/agents/${agentId}/trust`)).json()) as { recentChanges: unknown[] };
    expect(view.recentChanges[0]).toMatchObject({ from: 0.3, to: 0.9, kind: "set", reason: "supervised pilot", actor: "admin:bootstrap" });

    await runDurableObjectAlarm(env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)));
    const alert = await (await shardDb(agentId)).prepare("SELECT type, details FROM alerts WHERE agent_id = ?").bind(agentId).first<{ type: string; details: string }>();
    expect(alert?.type).toBe("permission_escalation");
    expect(JSON.parse(alert!.details)).toMatchObject({ granted: ["*"], reason: "supervised pilot" });
  });

  it("freezes the level so rules cannot move it, and unfreezes it", async () => {
    const { target } = clockedApp(Date.UTC(2026, 10, 25, 9));
    const agentId = await createAgent({ trust: { minOutcomes: 2 } }, {}, target);
    expect((await post(`/v1/agents/${agentId}/trust`, { action: "freeze", reason: "incident review" }, target)).status).toBe(200);
    await answer(agentId, "f1", target);
    await answer(agentId, "f2", target);
    const frozen = (await (await admin(`/v1/agents/${agentId}/trust`, { target })).json()) as { level: number; frozen: boolean; frozenReason: string };
    expect(frozen).toMatchObject({ level: 0.3, frozen: true, frozenReason: "incident review" });

    await post(`/v1/agents/${agentId}/trust`, { action: "unfreeze", reason: "review done" }, target);
    await answer(agentId, "f3", target);
    const after = (await (await admin(`/v1/agents/${agentId}/trust`, { target })).json()) as { level: number; frozen: boolean };
    expect(after).toMatchObject({ level: 0.4, frozen: false });
  });

  it("answers 400 for a level out of range, a missing reason or an unknown action, and changes nothing", async () => {
    const agentId = await createAgent();
    for (const body of [
      { action: "set", level: 1.5, reason: "x" },
      { action: "set", level: 0.5 },
      { action: "set", level: 0.5, reason: "   " },
      { action: "promote", reason: "x" },
      "garbage",
    ]) {
      const res = await post(`/v1/agents/${agentId}/trust`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(((await (await admin(`/v1/agents/${agentId}/trust`)).json()) as { level: number }).level).toBe(0.3);
  });

  it("answers 404 for an unknown agent and 401 without the admin token", async () => {
    expect((await post(`/v1/agents/${uniqueAgentId()}/trust`, { action: "freeze", reason: "x" })).status).toBe(404);
    const res = await admin(`/v1/agents/${uniqueAgentId()}/trust`, { token: null });
    expect(res.status).toBe(401);
  });
});

describe("POST /v1/agents/:agentId/feedback", () => {
  it("turns a success into an error that the rules count", async () => {
    const { target } = clockedApp(Date.UTC(2026, 10, 25, 9));
    const agentId = await createAgent({ trust: { minOutcomes: 3 } }, {}, target);
    const ids = [(await answer(agentId, "a", target)).id, (await answer(agentId, "b", target)).id];
    const res = await post(`/v1/agents/${agentId}/feedback`, { interactionId: ids[0], outcome: "error", note: "wrong price quoted" }, target);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ interactionId: ids[0], outcome: "error", trustLevel: 0.3 });
    // The third outcome completes the window: 1 error in 3 is over the 10% error-rate rule.
    await answer(agentId, "c", target);
    const view = (await (await admin(`/v1/agents/${agentId}/trust`, { target })).json()) as { level: number };
    expect(view.level).toBe(0.1);
  });

  it("answers 404 for an interaction of another agent, so feedback cannot cross tenants", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const { id } = await answer(a, "x");
    const res = await post(`/v1/agents/${b}/feedback`, { interactionId: id, outcome: "error" });
    expect(res.status).toBe(404);
    const counts = (await env.AGENT_STATE.get(env.AGENT_STATE.idFromName(a)).outcomeSummary()).counts;
    expect(counts).toEqual({ success: 1 });
  });

  it("answers 400 for an unknown outcome or extra fields", async () => {
    const agentId = await createAgent();
    const { id } = await answer(agentId, "y");
    for (const body of [{ interactionId: id, outcome: "great" }, { interactionId: id, outcome: "error", score: 5 }, {}]) {
      expect((await post(`/v1/agents/${agentId}/feedback`, body)).status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe("GET /v1/agents/:agentId/trust/analytics", () => {
  it("gives the level over time, the rule firings with their metrics and outcomes per day", async () => {
    const start = Date.UTC(2026, 10, 24, 9);
    const { clock, target } = clockedApp(start);
    const agentId = await createAgent({ trust: { minOutcomes: 2 } }, {}, target);
    await answer(agentId, "d1", target);
    await answer(agentId, "d2", target);
    clock.advance(86_400_000);
    await post(`/v1/agents/${agentId}/trust`, { action: "set", level: 0.2, reason: "manual" }, target);
    const res = await admin(`/v1/agents/${agentId}/trust/analytics?from=${start - 1000}&to=${clock.now() + 1000}`, { target });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      levels: Array<{ level: number }>;
      firings: Array<{ from: number; to: number; metrics: { success_rate: number } }>;
      overrides: Array<{ kind: string; to: number }>;
      outcomesByDay: Array<{ day: string; success: number }>;
    };
    expect(body.levels.map((l) => l.level)).toEqual([0.3, 0.4, 0.2]);
    expect(body.firings).toMatchObject([{ from: 0.3, to: 0.4, metrics: { success_rate: 1 } }]);
    expect(body.overrides).toMatchObject([{ kind: "set", to: 0.2 }]);
    expect(body.outcomesByDay).toEqual([{ day: "2026-11-24", success: 2, error: 0, denied: 0, escalated: 0 }]);
  });

  it("answers 400 for a bad time range", async () => {
    const agentId = await createAgent();
    expect((await admin(`/v1/agents/${agentId}/trust/analytics?from=yesterday`)).status).toBe(400);
    expect((await admin(`/v1/agents/${agentId}/trust/analytics?from=2000&to=1000`)).status).toBe(400);
  });
});

describe("permission_escalation alerts", () => {
  it("posts the alert to the agent's Slack alert webhook and records the delivery", async () => {
    const key = crypto.randomUUID();
    const agentId = await createAgent({ audit: { alertChannel: { slackWebhook: { secret: "alert_webhook" } } } }, { secrets: { http: HTTP_SECRET, alert_webhook: mcpServerUrl(`/hooks/${key}`) } });
    await post(`/v1/agents/${agentId}/trust`, { action: "set", level: 0.5, reason: "pilot" });
    const [row] = await deliveredAlerts<{ delivered_at: number | null; delivery_error: string | null }>(agentId);
    const [posted] = (await hookPosts(key)) as Array<{ text: string }>;
    expect(posted?.text).toContain("permission_escalation");
    expect(posted?.text).toContain("newly allowed: Write, mcp__*");
    expect(row).toMatchObject({ delivery_error: null });
    expect(row?.delivered_at).toBeTypeOf("number");
  });

  it("keeps the alert with the delivery error when the webhook fails", async () => {
    const agentId = await createAgent({ audit: { alertChannel: { slackWebhook: { secret: "alert_webhook" } } } }, { secrets: { http: HTTP_SECRET, alert_webhook: mcpServerUrl(`/hooks/x/fail`) } });
    await post(`/v1/agents/${agentId}/trust`, { action: "set", level: 0.9, reason: "pilot" });
    const [row] = await deliveredAlerts<{ type: string; delivered_at: number | null; delivery_error: string | null }>(agentId);
    expect(row).toMatchObject({ type: "permission_escalation", delivered_at: null, delivery_error: "slack webhook answered 500" });
  });

  it("raises none when the agent's alert list leaves permission_escalation out", async () => {
    const agentId = await createAgent({ audit: { analytics: { alerts: ["unusual_activity"] } } });
    await post(`/v1/agents/${agentId}/trust`, { action: "set", level: 0.9, reason: "pilot" });
    await runDurableObjectAlarm(env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)));
    expect(await (await shardDb(agentId)).prepare("SELECT COUNT(*) AS n FROM alerts WHERE agent_id = ?").bind(agentId).first()).toEqual({ n: 0 });
  });
});
