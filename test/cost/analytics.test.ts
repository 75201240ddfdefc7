import { describe, expect, it } from "vitest";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { admin, createAgent, sendHttp, settled } from "../support/agents";
import { scriptModel } from "../support/model";
import { shardDb } from "../support/shards";

async function insert(agentId: string, rows: Array<{ tier: string; cost: number; at: number }>): Promise<void> {
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

interface Analytics {
  requests: number;
  costUsd: number;
  baselineUsd: number | null;
  savingsUsd: number | null;
  savingsShare: number | null;
  tiers: Record<string, { requests: number; share: number; costUsd: number }>;
  days: Array<{ day: string; requests: number; costUsd: number; baselineUsd: number | null; tiers: Record<string, number> }>;
}

describe("GET /v1/agents/:agentId/analytics", () => {
  it("reports requests and cost per tier, the always-intelligent baseline, savings and days", async () => {
    const agentId = await createAgent();
    const day1 = Date.UTC(2026, 10, 24, 12);
    const day2 = Date.UTC(2026, 10, 25, 12);
    await insert(agentId, [
      { tier: "intelligent", cost: 4000, at: day1 },
      { tier: "intelligent", cost: 6000, at: day1 },
      { tier: "cache", cost: 0, at: day1 },
      { tier: "rule", cost: 0, at: day2 },
      { tier: "similar", cost: 0, at: day2 },
      { tier: "cache", cost: 0, at: day2 },
    ]);
    const res = await admin(`/v1/agents/${agentId}/analytics?from=2026-11-24T00:00:00Z&to=2026-11-26T00:00:00Z`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Analytics;
    // Mean intelligent cost $0.005 × 6 requests = $0.03 baseline; $0.01 spent.
    expect(body).toMatchObject({ requests: 6, costUsd: 0.01, baselineUsd: 0.03, savingsUsd: 0.02 });
    expect(body.savingsShare).toBeCloseTo(2 / 3, 10);
    expect(body.tiers).toEqual({
      intelligent: { requests: 2, share: 2 / 6, costUsd: 0.01 },
      cache: { requests: 2, share: 2 / 6, costUsd: 0 },
      rule: { requests: 1, share: 1 / 6, costUsd: 0 },
      similar: { requests: 1, share: 1 / 6, costUsd: 0 },
    });
    expect(body.days).toEqual([
      { day: "2026-11-24", requests: 3, costUsd: 0.01, baselineUsd: 0.015, tiers: { intelligent: 2, cache: 1 } },
      { day: "2026-11-25", requests: 3, costUsd: 0, baselineUsd: 0.015, tiers: { rule: 1, similar: 1, cache: 1 } },
    ]);
  });

  it("takes the baseline from all history when the range has no intelligent answer, and says null when none exists", async () => {
    const agentId = await createAgent();
    await insert(agentId, [
      { tier: "intelligent", cost: 2000, at: Date.UTC(2026, 0, 1) },
      { tier: "cache", cost: 0, at: Date.UTC(2026, 10, 25) },
    ]);
    const body = (await (await admin(`/v1/agents/${agentId}/analytics?from=2026-11-01T00:00:00Z&to=2026-11-30T00:00:00Z`)).json()) as Analytics;
    expect(body).toMatchObject({ requests: 1, baselineUsd: 0.002, savingsUsd: 0.002 });

    const fresh = await createAgent();
    const empty = (await (await admin(`/v1/agents/${fresh}/analytics`)).json()) as Analytics;
    expect(empty).toMatchObject({ requests: 0, costUsd: 0, baselineUsd: null, savingsUsd: null, tiers: {}, days: [] });
  });

  it("counts real traffic once the learning queue has stored it, and never another agent's", async () => {
    const agentId = await createAgent({ optimization: SEED_EXAMPLE_CONFIG.optimization });
    const other = await createAgent();
    await scriptModel(agentId, [{ type: "text", text: "Open 9-5." }]);
    for (const [i, text] of ["hello there!", "When are you open?", "When are you open?"].entries()) {
      await sendHttp(agentId, { id: `a${i}`, conversation: `c${i}`, from: "u", text }, { target: settled });
    }
    await sendHttp(other, { id: "o", conversation: "c", from: "u", text: "hi there, question" }, { target: settled });
    let body: Analytics | undefined;
    for (let i = 0; i < 100; i++) {
      body = (await (await admin(`/v1/agents/${agentId}/analytics`)).json()) as Analytics;
      if (body.requests === 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(body?.tiers).toMatchObject({ rule: { requests: 1 }, intelligent: { requests: 1 }, cache: { requests: 1 } });
  });

  it("answers 400 for a bad range and 404 for an unknown agent", async () => {
    const agentId = await createAgent();
    expect((await admin(`/v1/agents/${agentId}/analytics?from=soon`)).status).toBe(400);
    expect((await admin(`/v1/agents/${agentId}/analytics?from=2026-11-25&to=2026-11-01`)).status).toBe(400);
    // A number no Date can hold is a bad range too, not a server error.
    expect((await admin(`/v1/agents/${agentId}/analytics?to=99999999999999999`)).status).toBe(400);
    expect((await admin(`/v1/agents/not-an-agent-abc/analytics`)).status).toBe(404);
  });
});
