import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { admin, clockedApp, createAgent, type HttpReply, sendHttp, type Target } from "../support/agents";
import { deliveredAlerts } from "../support/audit";
import { modelRequests, scriptModel } from "../support/model";
import { shardDb } from "../support/shards";

const HOUR = 3_600_000;
/**
 * Every answer from the model (no cache may answer a repeat: only the agent's own work moves
 * trust), and one customer may send them all.
 */
const MEASURED = {
  optimization: { fallback: ["rule", "intelligent"] },
  messageHandling: { rateLimits: { perSender: { messages: 1_000, window: "1m" } } },
};

interface TrustReply {
  level: number;
  tier: string | null;
  allowedTools: string[];
  window: { outcomes: number; sinceChange: number; success_rate: number; error_rate: number };
  recentChanges: Array<{ from: number; to: number; kind: string; rule: { metric: string } | null; metrics: Record<string, number> | null }>;
}

async function trust(agentId: string, target: Target): Promise<TrustReply> {
  const res = await admin(`/v1/agents/${agentId}/trust`, { target });
  expect(res.status).toBe(200);
  return (await res.json()) as TrustReply;
}

let seq = 0;
async function send(agentId: string, target: Target, text = "What are your opening hours?"): Promise<Response> {
  seq += 1;
  return sendHttp(agentId, { id: `p-${seq}`, conversation: `c-${seq % 5}`, from: "customer", text }, { target });
}

async function succeed(agentId: string, target: Target, times: number): Promise<void> {
  for (let i = 0; i < times; i++) expect((await send(agentId, target)).status).toBe(200);
}

/** Asks the model to Write; returns what the tool answered. */
async function tryWrite(agentId: string, target: Target, content: string): Promise<string> {
  await scriptModel(agentId, [
    { type: "tool_use", calls: [{ name: "Write", input: { path: "notes.txt", content } }] },
    { type: "text", text: "{{tool_result}}" },
  ]);
  const res = await send(agentId, target, "Please save a note.");
  expect(res.status).toBe(200);
  return ((await res.json()) as HttpReply).text;
}

describe("trust progression with the seed's config, through the HTTP channel", () => {
  it("rises 0.3 → 0.4 → 0.5 on successes, unlocks Write at 0.5, and drops to 0.3 on a burst of errors", async () => {
    const { clock, target } = clockedApp(Date.UTC(2026, 10, 25, 9));
    const agentId = await createAgent({ trust: SEED_EXAMPLE_CONFIG.trust, audit: SEED_EXAMPLE_CONFIG.audit, ...MEASURED }, {}, target);

    // 19 successes are not enough evidence; the 20th moves the level by the rule's 0.1.
    await succeed(agentId, target, 19);
    expect((await trust(agentId, target)).level).toBe(0.3);
    await succeed(agentId, target, 1);
    const at04 = await trust(agentId, target);
    expect(at04.level).toBe(0.4);
    expect(at04.recentChanges[0]).toMatchObject({ from: 0.3, to: 0.4, kind: "rule", rule: { metric: "success_rate" } });
    expect(at04.recentChanges[0]?.metrics?.success_rate).toBe(1);
    // Nothing new below 0.5: the tier is still 0.3's.
    expect(at04.tier).toBe("0.3");
    expect(at04.allowedTools).toEqual(["Read", "mcp__slack__*"]);
    expect(await tryWrite(agentId, target, "too early")).toContain('permission denied: tool "Write" is not allowed at trust level 0.4');

    // After the cooldown, another 20 outcomes (19 successes and that denial: 95%) reach 0.5.
    clock.advance(HOUR + 1);
    await succeed(agentId, target, 18);
    expect((await trust(agentId, target)).level).toBe(0.4);
    await succeed(agentId, target, 1);
    const at05 = await trust(agentId, target);
    expect(at05.level).toBe(0.5);
    expect(at05.allowedTools).toEqual(["Read", "Write", "mcp__*"]);
    expect(await tryWrite(agentId, target, "now allowed")).toBe("wrote 11 bytes to notes.txt");
    expect(await (await env.WORKSPACE.get(`workspaces/${agentId}/notes.txt`))?.text()).toBe("now allowed");

    // A burst of model errors: once 20 outcomes are in, the error-rate rule takes 0.2 off.
    clock.advance(2 * 60_000);
    await scriptModel(agentId, Array.from({ length: 19 }, () => ({ type: "error" as const, status: 400, message: "broken" })));
    for (let i = 0; i < 19; i++) expect((await send(agentId, target)).status).toBe(502);
    const afterErrors = await trust(agentId, target);
    expect(afterErrors.level).toBe(0.3);
    expect(afterErrors.recentChanges[0]).toMatchObject({ from: 0.5, to: 0.3, kind: "rule", rule: { metric: "error_rate" } });
    expect(await tryWrite(agentId, target, "denied again")).toContain('permission denied: tool "Write" is not allowed at trust level 0.3');
    expect(await (await env.WORKSPACE.get(`workspaces/${agentId}/notes.txt`))?.text()).toBe("now allowed");
  });

  it("raises one permission_escalation alert for the rise into 0.5's tools, and audits every change and denial", async () => {
    const { clock, target } = clockedApp(Date.UTC(2026, 10, 25, 9));
    const agentId = await createAgent({ trust: { ...SEED_EXAMPLE_CONFIG.trust, initial: 0.4 }, ...MEASURED }, {}, target);
    await tryWrite(agentId, target, "x");
    clock.advance(HOUR + 1);
    await succeed(agentId, target, 19);
    expect((await trust(agentId, target)).level).toBe(0.5);

    const alerts = { results: await deliveredAlerts<{ type: string; message: string; details: string; delivery_error: string | null }>(agentId) };
    expect(alerts.results).toHaveLength(1);
    expect(alerts.results[0]).toMatchObject({ type: "permission_escalation", delivery_error: "no alert channel configured" });
    expect(JSON.parse(alerts.results[0]!.details as string)).toMatchObject({ from: 0.4, to: 0.5, granted: ["Write", "mcp__*"], tier: "0.5" });

    const audit = await (await shardDb(agentId)).prepare("SELECT action, resource, decision FROM audit_events WHERE agent_id = ? AND action NOT IN ('message.answered', 'agent.created') ORDER BY at").bind(agentId).all();
    expect(audit.results).toEqual([
      { action: "tool.denied", resource: "Write", decision: "denied" },
      { action: "trust.changed", resource: "trust", decision: "changed" },
    ]);
  });
});

describe("outcomes under concurrency", () => {
  it("counts all of 200 concurrent messages in the agent's window", async () => {
    const agentId = await createAgent({ trust: { minOutcomes: 1000, window: { outcomes: 1000 } } });
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => sendHttp(agentId, { id: `conc-${i}`, conversation: `c${i}`, from: `u${i}`, text: `question ${i}` })),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const view = (await (await admin(`/v1/agents/${agentId}/trust`)).json()) as TrustReply;
    expect(view.window).toMatchObject({ outcomes: 200, sinceChange: 200, success_rate: 1 });
    expect(await modelRequests(agentId)).toHaveLength(200);
  }, 30_000);
});
