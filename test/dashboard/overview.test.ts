import { describe, expect, it } from "vitest";
import { overviewSpan } from "../../src/dashboard/overview-data";
import { admin, clockedApp, createAgent } from "../support/agents";
import { createKey, figuresOf, page, signIn } from "./support";
import { shardDb } from "../support/shards";

async function insertInteractions(agentId: string, rows: Array<{ tier: string; cost: number; at: number }>): Promise<void> {
  const db = await shardDb(agentId);
  await db.batch(
    rows.map((r) =>
      db.prepare(
        `INSERT INTO interactions (id, agent_id, channel, delivery_id, conversation_hash, tier, model, input_tokens, output_tokens,
         cache_write_tokens, cache_read_tokens, cost_micros, steps, tool_calls, denied_tools, outcome, created_at)
         VALUES (?, ?, 'http', ?, 'h', ?, NULL, 0, 0, 0, 0, ?, 1, 0, '[]', 'success', ?)`,
      ).bind(crypto.randomUUID(), agentId, crypto.randomUUID(), r.tier, r.cost, r.at),
    ),
  );
}

async function insertAlerts(agentId: string, ats: number[], delivered: boolean): Promise<void> {
  const db = await shardDb(agentId);
  await db.batch(
    ats.map((at) =>
      db.prepare("INSERT INTO alerts (id, agent_id, at, type, message, details, delivered_at) VALUES (?, ?, ?, 'unusual_activity', 'm', '{}', ?)").bind(
        crypto.randomUUID(),
        agentId,
        at,
        delivered ? at : null,
      ),
    ),
  );
}

const DAY = 86_400_000;

describe("dashboard overview", () => {
  it("shows the same figures as the JSON API for the same fourteen days", async () => {
    const now = Date.UTC(2026, 10, 30, 15);
    const { target } = clockedApp(now);
    const agentId = await createAgent({}, {}, target);
    await insertInteractions(agentId, [
      { tier: "intelligent", cost: 4000, at: now - 2 * DAY },
      { tier: "intelligent", cost: 6000, at: now - 2 * DAY },
      { tier: "cache", cost: 0, at: now - 2 * DAY },
      { tier: "rule", cost: 0, at: now - DAY },
      { tier: "similar", cost: 0, at: now - 13 * DAY },
      // Before the span: counted by neither.
      { tier: "cache", cost: 0, at: now - 20 * DAY },
    ]);
    await insertAlerts(agentId, [now - DAY, now - 3 * DAY], true);
    await insertAlerts(agentId, [now - 5 * DAY], false);
    await insertAlerts(agentId, [now - 30 * DAY], false);

    const { from, to } = overviewSpan(now);
    const range = `from=${from}&to=${to}`;
    const json = (await (await admin(`/v1/agents/${agentId}/analytics?${range}`, { target })).json()) as {
      requests: number;
      costUsd: number;
      savingsUsd: number;
      tiers: Record<string, { requests: number; costUsd: number }>;
      days: Array<{ day: string; requests: number }>;
    };
    const alerts = (await (await admin(`/v1/agents/${agentId}/alerts?${range}&limit=200`, { target })).json()) as { alerts: unknown[] };
    const approvals = (await (await admin(`/v1/agents/${agentId}/approvals?status=pending`, { target })).json()) as { approvals: unknown[] };
    const budget = (await (await admin(`/v1/agents/${agentId}/budget`, { target })).json()) as { spentUsd: number };

    const { key } = await createKey({ role: "viewer" });
    const { cookie } = await signIn(key, target);
    const res = await page(`/dashboard/agents/${agentId}`, { cookie, target });
    expect(res.status).toBe(200);
    const html = await res.text();
    const figures = figuresOf(html);
    expect(json.requests).toBe(5);
    expect(Number(figures.requests)).toBe(json.requests);
    expect(Number(figures["cost-usd"])).toBe(json.costUsd);
    expect(Number(figures["savings-usd"])).toBe(json.savingsUsd);
    expect(Number(figures.alerts)).toBe(alerts.alerts.length);
    expect(alerts.alerts).toHaveLength(3);
    expect(html).toContain("1 not delivered");
    expect(Number(figures["pending-approvals"])).toBe(approvals.approvals.length);
    expect(Number(figures["budget-spent-usd"])).toBe(budget.spentUsd);
    // Each tier's row, and each day's bar, match the JSON.
    for (const [tier, t] of Object.entries(json.tiers)) {
      expect(html).toContain(`data-tier="${tier}" data-requests="${t.requests}" data-cost-usd="${t.costUsd}"`);
    }
    const bars = [...html.matchAll(/<g data-day="([^"]+)" data-requests="(\d+)"/g)].map((m) => ({ day: m[1], requests: Number(m[2]) }));
    expect(bars).toHaveLength(14);
    expect(bars[0]?.day).toBe("2026-11-17");
    expect(bars.at(-1)?.day).toBe("2026-11-30");
    expect(bars.filter((b) => b.requests > 0)).toEqual(json.days.map((d) => ({ day: d.day, requests: d.requests })));
  });

  it("is refused for an agent the key may not reach, and 404 for an unknown agent", async () => {
    const agentId = await createAgent();
    const other = await createAgent();
    const { key } = await createKey({ role: "viewer", agents: [agentId] });
    const { cookie } = await signIn(key);
    expect((await page(`/dashboard/agents/${agentId}`, { cookie })).status).toBe(200);
    const refused = await page(`/dashboard/agents/${other}`, { cookie });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(`not allowed to reach agent &quot;${other}&quot;`);
    const admins = await signIn();
    expect((await page("/dashboard/agents/no-such-agent", { cookie: admins.cookie })).status).toBe(404);
  });
});
