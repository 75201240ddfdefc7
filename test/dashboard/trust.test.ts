import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, clockedApp, createAgent, sendHttp, type Target, worker } from "../support/agents";
import { flushedSql } from "../support/audit";
import { scriptModel } from "../support/model";
import { createKey, csrfOf, figuresOf, page, signIn } from "./support";

interface ApprovalView {
  id: string;
  tool: string;
  status: string;
  decidedBy: string | null;
  note: string | null;
}

let n = 0;
/** The model asks for Write, an `ask` tool: the agent files a request for a person. */
async function askToWrite(agentId: string, target: Target = worker): Promise<void> {
  await scriptModel(agentId, [
    { type: "tool_use", calls: [{ name: "Write", input: { path: "refund.txt", content: "refund order 42" } }] },
    { type: "text", text: "{{tool_result}}" },
  ]);
  n += 1;
  const res = await sendHttp(agentId, { id: `trust-page-${n}`, conversation: "c1", from: "u", text: "Refund my order" }, { target });
  expect(res.status).toBe(200);
}

async function approvals(agentId: string, status: string, target: Target = worker): Promise<ApprovalView[]> {
  return ((await (await admin(`/v1/agents/${agentId}/approvals?status=${status}`, { target })).json()) as { approvals: ApprovalView[] }).approvals;
}

const ASKS = { trust: { initial: 0.3, ask: ["Write"] } };

describe("dashboard trust page", () => {
  it("shows the same level, metrics, tiers, history and requests as the JSON API", async () => {
    const now = Date.UTC(2026, 10, 30, 15);
    const { clock, target } = clockedApp(now);
    const agentId = await createAgent(ASKS, {}, target);
    await askToWrite(agentId, target);
    clock.advance(60_000);
    expect((await admin(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level: 0.6, reason: "owner vouches" }), target })).status).toBe(200);
    clock.advance(60_000);
    expect((await admin(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "freeze", reason: "holiday" }), target })).status).toBe(200);

    const trust = (await (await admin(`/v1/agents/${agentId}/trust`, { target })).json()) as {
      level: number;
      tier: string;
      allowedTools: string[];
      deny: string[];
      ask: string[];
      window: Record<string, number>;
      policy: { permissions: Record<string, string[]> };
    };
    const analytics = (await (await admin(`/v1/agents/${agentId}/trust/analytics`, { target })).json()) as {
      levels: Array<{ at: string; level: number }>;
      firings: unknown[];
      overrides: Array<{ at: string; kind: string }>;
    };
    const pending = await approvals(agentId, "pending", target);
    expect(pending).toHaveLength(1);

    const { key } = await createKey({ role: "viewer" });
    const { cookie } = await signIn(key, target);
    const res = await page(`/dashboard/agents/${agentId}/trust`, { cookie, target });
    expect(res.status).toBe(200);
    const html = await res.text();
    const figures = figuresOf(html);
    expect(trust.level).toBe(0.6);
    expect(Number(figures["trust-level"])).toBe(trust.level);
    expect(html).toContain('<span class="badge bad">frozen</span>');
    for (const [name, metric] of [
      ["window-outcomes", "outcomes"],
      ["window-success-rate", "success_rate"],
      ["window-error-rate", "error_rate"],
      ["window-denial-rate", "denial_rate"],
      ["window-escalation-rate", "escalation_rate"],
      ["since-change", "sinceChange"],
    ] as const) {
      expect(Number(figures[name]), name).toBe(trust.window[metric]);
    }
    expect(Number(figures["pending-approvals"])).toBe(pending.length);
    expect(html).toContain(`data-approval="${pending[0]!.id}"`);

    // Tiers: every level of the config with its tools, the current one marked.
    const tiers = [...html.matchAll(/<tr data-tier="([^"]+)" data-tools="([^"]*)"( class="current")?/g)].map((m) => [m[1], m[2], Boolean(m[3])]);
    expect(tiers).toEqual(
      Object.entries(trust.policy.permissions)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([level, tools]) => [level, tools.join(" "), level === trust.tier]),
    );
    expect(trust.tier).toBe("0.5");
    expect(html).toContain(`data-testid="allowed-tools" data-value="${trust.allowedTools.join(" ")}"`);
    expect(html).toContain(`data-testid="ask" data-value="Write"`);
    expect(html).toContain(`data-testid="deny" data-value=""`);

    // The chart's points and firings, and the overrides table, are the analytics' own.
    const levels = [...html.matchAll(/data-level-at="([^"]+)" data-level="([^"]+)"/g)].map((m) => ({ at: m[1], level: Number(m[2]) }));
    expect(levels).toEqual(analytics.levels);
    expect(levels.map((l) => l.level)).toEqual([0.3, 0.6]);
    expect([...html.matchAll(/data-firing-at=/g)]).toHaveLength(analytics.firings.length);
    const overrides = [...html.matchAll(/data-override-at="([^"]+)" data-kind="([^"]+)"/g)].map((m) => ({ at: m[1], kind: m[2] }));
    expect(overrides).toEqual(analytics.overrides.map((o) => ({ at: o.at, kind: o.kind })));
    expect(overrides.map((o) => o.kind)).toEqual(["set", "freeze"]);
  });

  it("lets an admin key approve a request through the page, audited with the key's id", async () => {
    const agentId = await createAgent(ASKS);
    await askToWrite(agentId);
    const [request] = await approvals(agentId, "pending");
    const { key, id } = await createKey({ role: "admin" });
    const { cookie } = await signIn(key);
    const html = await (await page(`/dashboard/agents/${agentId}/trust`, { cookie })).text();
    expect(html).not.toMatch(/data-testid="decision-form"[^]*?disabled/);

    const res = await page(`/dashboard/agents/${agentId}/approvals/${request!.id}`, { cookie, form: { _csrf: csrfOf(html), decision: "approve", note: "ok by owner" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/agents/${agentId}/trust`);
    const [done] = await approvals(agentId, "executed");
    expect(done).toMatchObject({ id: request!.id, decidedBy: `admin:${id}`, note: "ok by owner" });
    expect(await (await env.WORKSPACE.get(`workspaces/${agentId}/refund.txt`))?.text()).toBe("refund order 42");
    const [event] = await flushedSql<{ actor: string }>(agentId, "SELECT actor FROM audit_events WHERE agent_id = ? AND action = 'approval.approved'");
    expect(event!.actor).toBe(`admin:${id}`);

    // Decided once: a second decision is a conflict, and the page lists nothing waiting.
    expect((await page(`/dashboard/agents/${agentId}/approvals/${request!.id}`, { cookie, form: { _csrf: csrfOf(html), decision: "reject" } })).status).toBe(409);
    expect(figuresOf(await (await page(`/dashboard/agents/${agentId}/trust`, { cookie })).text())["pending-approvals"]).toBe("0");
  });

  it("rejects with a note, and refuses a bad decision without changing anything", async () => {
    const agentId = await createAgent(ASKS);
    await askToWrite(agentId);
    const [request] = await approvals(agentId, "pending");
    const { cookie } = await signIn();
    const csrf = csrfOf(await (await page(`/dashboard/agents/${agentId}/trust`, { cookie })).text());
    const path = `/dashboard/agents/${agentId}/approvals/${request!.id}`;
    const bad = await page(path, { cookie, form: { _csrf: csrf, decision: "maybe" } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("decision must be &quot;approve&quot; or &quot;reject&quot;");
    expect(await approvals(agentId, "pending")).toHaveLength(1);
    expect((await page(`/dashboard/agents/${agentId}/approvals/apr_unknown`, { cookie, form: { _csrf: csrf, decision: "approve" } })).status).toBe(404);

    expect((await page(path, { cookie, form: { _csrf: csrf, decision: "reject", note: "not eligible" } })).status).toBe(303);
    expect(await approvals(agentId, "rejected")).toMatchObject([{ id: request!.id, decidedBy: "admin:bootstrap", note: "not eligible" }]);
    expect(await env.WORKSPACE.head(`workspaces/${agentId}/refund.txt`)).toBeNull();
  });

  it("shows a viewer the forms disabled and refuses its decision, with and without the CSRF token", async () => {
    const agentId = await createAgent(ASKS);
    await askToWrite(agentId);
    const [request] = await approvals(agentId, "pending");
    const { key } = await createKey({ role: "viewer" });
    const { cookie } = await signIn(key);
    const html = await (await page(`/dashboard/agents/${agentId}/trust`, { cookie })).text();
    expect(html).toMatch(/<button type="submit" name="decision" value="approve" disabled/);
    expect(html).toContain("This key is read-only.");

    const path = `/dashboard/agents/${agentId}/approvals/${request!.id}`;
    const withToken = await page(path, { cookie, form: { _csrf: csrfOf(html), decision: "approve" } });
    expect(withToken.status).toBe(403);
    expect(await withToken.text()).toContain("viewer keys are read-only");
    expect((await page(path, { cookie, form: { decision: "approve" } })).status).toBe(403);
    expect(await approvals(agentId, "pending")).toMatchObject([{ id: request!.id, status: "pending" }]);
  });

  it("is refused for an agent the key may not reach, and linked from the overview", async () => {
    const agentId = await createAgent();
    const other = await createAgent();
    const { key } = await createKey({ role: "operator", agents: [agentId] });
    const { cookie } = await signIn(key);
    expect(await (await page(`/dashboard/agents/${agentId}`, { cookie })).text()).toContain(`href="/dashboard/agents/${agentId}/trust"`);
    expect((await page(`/dashboard/agents/${agentId}/trust`, { cookie })).status).toBe(200);
    expect((await page(`/dashboard/agents/${other}/trust`, { cookie })).status).toBe(403);
    expect((await page(`/dashboard/agents/${other}/approvals/apr_x`, { cookie, form: { _csrf: "x", decision: "approve" } })).status).toBe(403);
  });
});
