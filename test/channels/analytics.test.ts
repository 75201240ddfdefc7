import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { summarizeChannels } from "../../src/channels/analytics";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import worker, { QUEUES } from "../../src/index";
import type { InteractionRecord } from "../../src/core/messages";
import { admin, createAgent, sendHttp, settled } from "../support/agents";
import { shardDb } from "../support/shards";

type Row = Pick<InteractionRecord, "channel" | "tier" | "outcome" | "urgency" | "latencyMs" | "costMicros" | "createdAt">;

function interaction(agentId: string, row: Row): InteractionRecord {
  return {
    id: crypto.randomUUID(),
    agentId,
    deliveryId: crypto.randomUUID(),
    conversationHash: "h",
    model: row.tier === "intelligent" ? "claude-sonnet-5-5" : null,
    inputTokens: 0,
    outputTokens: 0,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    steps: 1,
    toolCalls: 0,
    deniedTools: [],
    ...row,
  };
}

/** Stores interactions the way production does: through the learning queue's consumer. */
async function learn(bodies: unknown[]): Promise<void> {
  const batch = createMessageBatch(
    QUEUES.learning,
    bodies.map((body, i) => ({ id: `msg-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages).toHaveLength(0);
}

function feed(agentId: string, rows: Row[]): Promise<void> {
  return learn(rows.map((row) => ({ type: "interaction", interaction: interaction(agentId, row) })));
}

interface Stats {
  requests: number;
  latencyMs: { p50: number | null; p95: number | null; max: number | null };
  tiers: Record<string, number>;
  outcomes: Record<string, number>;
  urgent: { high: number; critical: number };
  costUsd: number;
}

interface ChannelAnalytics {
  agentId: string;
  from: string;
  to: string;
  totals: Stats;
  channels: Record<string, Stats & { days: Array<Stats & { day: string }> }>;
}

const DAY1 = (h: number, m = 0) => Date.UTC(2026, 10, 24, h, m);
const DAY2 = (h: number, m = 0) => Date.UTC(2026, 10, 25, h, m);
const RANGE = "from=2026-11-24T00:00:00Z&to=2026-11-26T00:00:00Z";

/**
 * Known traffic over two UTC days. Sorted latencies, for the nearest ranks (rank ⌈n·p/100⌉):
 * http 50 60 70 80 95 110 120 300 900 2000 (p50 = 5th = 95, p95 = 10th = 2000);
 * slack 500 1000 1500 (p50 = 2nd = 1000, p95 = 3rd = 1500); sms 40;
 * all 14: 40 50 60 70 80 95 110 120 300 500 900 1000 1500 2000 (p50 = 7th = 110, p95 = 14th = 2000).
 */
const TRAFFIC: Row[] = [
  { channel: "http", latencyMs: 120, tier: "intelligent", outcome: "success", urgency: "normal", costMicros: 4000, createdAt: DAY1(9) },
  { channel: "http", latencyMs: 80, tier: "rule", outcome: "success", urgency: "high", costMicros: 0, createdAt: DAY1(10) },
  { channel: "http", latencyMs: 300, tier: "intelligent", outcome: "error", urgency: "critical", costMicros: 6000, createdAt: DAY1(11) },
  { channel: "http", latencyMs: 50, tier: "cache", outcome: "success", urgency: "normal", costMicros: 0, createdAt: DAY1(12) },
  // 23:59 UTC still counts on the 24th.
  { channel: "http", latencyMs: 900, tier: "intelligent", outcome: "escalated", urgency: "high", costMicros: 5000, createdAt: DAY1(23, 59) },
  { channel: "http", latencyMs: 60, tier: "similar", outcome: "success", urgency: "normal", costMicros: 0, createdAt: DAY2(0, 1) },
  { channel: "http", latencyMs: 70, tier: "rule", outcome: "success", urgency: "normal", costMicros: 0, createdAt: DAY2(8) },
  { channel: "http", latencyMs: 110, tier: "pattern", outcome: "success", urgency: "normal", costMicros: 0, createdAt: DAY2(9) },
  { channel: "http", latencyMs: 95, tier: "fallback", outcome: "success", urgency: "normal", costMicros: 0, createdAt: DAY2(10) },
  { channel: "http", latencyMs: 2000, tier: "intelligent", outcome: "denied", urgency: "critical", costMicros: 10_000, createdAt: DAY2(11) },
  { channel: "slack", latencyMs: 1500, tier: "intelligent", outcome: "success", urgency: "critical", costMicros: 3000, createdAt: DAY1(14) },
  { channel: "slack", latencyMs: 500, tier: "cache", outcome: "success", urgency: "normal", costMicros: 0, createdAt: DAY2(14) },
  { channel: "slack", latencyMs: 1000, tier: "intelligent", outcome: "error", urgency: "high", costMicros: 2000, createdAt: DAY2(15) },
  { channel: "sms", latencyMs: 40, tier: "rule", outcome: "success", urgency: "normal", costMicros: 0, createdAt: DAY2(16) },
];

const tiers = (t: Partial<Record<string, number>>) => ({ rule: 0, cache: 0, similar: 0, pattern: 0, intelligent: 0, fallback: 0, ...t });
const outcomes = (o: Partial<Record<string, number>>) => ({ success: 0, error: 0, denied: 0, escalated: 0, ...o });

const ZERO: Stats = {
  requests: 0,
  latencyMs: { p50: null, p95: null, max: null },
  tiers: tiers({}),
  outcomes: outcomes({}),
  urgent: { high: 0, critical: 0 },
  costUsd: 0,
};

async function channelAnalytics(agentId: string, query = RANGE): Promise<ChannelAnalytics> {
  const res = await admin(`/v1/agents/${agentId}/channels/analytics?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ChannelAnalytics;
}

describe("GET /v1/agents/:agentId/channels/analytics", () => {
  it("reports requests, nearest-rank latency, tiers, outcomes, urgency and cost per channel, per UTC day and in total", async () => {
    const agentId = await createAgent();
    await feed(agentId, [
      ...TRAFFIC,
      // Outside the range on either side: a millisecond early, a millisecond late.
      { ...TRAFFIC[0]!, latencyMs: 99_999, createdAt: DAY1(0) - 1 },
      { ...TRAFFIC[0]!, latencyMs: 99_999, createdAt: Date.UTC(2026, 10, 26) + 1 },
    ]);
    const body = await channelAnalytics(agentId);

    expect(body).toMatchObject({ agentId, from: "2026-11-24T00:00:00.000Z", to: "2026-11-26T00:00:00.000Z" });
    expect(body.totals).toEqual({
      requests: 14,
      latencyMs: { p50: 110, p95: 2000, max: 2000 },
      tiers: tiers({ rule: 3, cache: 2, similar: 1, pattern: 1, intelligent: 6, fallback: 1 }),
      outcomes: outcomes({ success: 10, error: 2, denied: 1, escalated: 1 }),
      urgent: { high: 3, critical: 3 },
      costUsd: 0.03,
    });
    expect(body.channels.http).toEqual({
      requests: 10,
      latencyMs: { p50: 95, p95: 2000, max: 2000 },
      tiers: tiers({ rule: 2, cache: 1, similar: 1, pattern: 1, intelligent: 4, fallback: 1 }),
      outcomes: outcomes({ success: 7, error: 1, denied: 1, escalated: 1 }),
      urgent: { high: 2, critical: 2 },
      costUsd: 0.025,
      days: [
        {
          day: "2026-11-24",
          requests: 5,
          latencyMs: { p50: 120, p95: 900, max: 900 },
          tiers: tiers({ rule: 1, cache: 1, intelligent: 3 }),
          outcomes: outcomes({ success: 3, error: 1, escalated: 1 }),
          urgent: { high: 2, critical: 1 },
          costUsd: 0.015,
        },
        {
          day: "2026-11-25",
          requests: 5,
          latencyMs: { p50: 95, p95: 2000, max: 2000 },
          tiers: tiers({ rule: 1, similar: 1, pattern: 1, intelligent: 1, fallback: 1 }),
          outcomes: outcomes({ success: 4, denied: 1 }),
          urgent: { high: 0, critical: 1 },
          costUsd: 0.01,
        },
      ],
    });
    expect(body.channels.slack).toEqual({
      requests: 3,
      latencyMs: { p50: 1000, p95: 1500, max: 1500 },
      tiers: tiers({ cache: 1, intelligent: 2 }),
      outcomes: outcomes({ success: 2, error: 1 }),
      urgent: { high: 1, critical: 1 },
      costUsd: 0.005,
      days: [
        {
          day: "2026-11-24",
          requests: 1,
          latencyMs: { p50: 1500, p95: 1500, max: 1500 },
          tiers: tiers({ intelligent: 1 }),
          outcomes: outcomes({ success: 1 }),
          urgent: { high: 0, critical: 1 },
          costUsd: 0.003,
        },
        {
          day: "2026-11-25",
          requests: 2,
          // Two rows: p50 is the 1st (⌈1⌉), p95 the 2nd (⌈1.9⌉).
          latencyMs: { p50: 500, p95: 1000, max: 1000 },
          tiers: tiers({ cache: 1, intelligent: 1 }),
          outcomes: outcomes({ success: 1, error: 1 }),
          urgent: { high: 1, critical: 0 },
          costUsd: 0.002,
        },
      ],
    });
    expect(body.channels.sms).toEqual({
      ...ZERO,
      requests: 1,
      latencyMs: { p50: 40, p95: 40, max: 40 },
      tiers: tiers({ rule: 1 }),
      outcomes: outcomes({ success: 1 }),
      days: [{ day: "2026-11-25", ...ZERO, requests: 1, latencyMs: { p50: 40, p95: 40, max: 40 }, tiers: tiers({ rule: 1 }), outcomes: outcomes({ success: 1 }) }],
    });
    expect(body.channels.email).toEqual({ ...ZERO, days: [] });
    expect(Object.keys(body.channels)).toEqual(["http", "slack", "email", "sms"]);
  });

  it("never counts another agent's interactions", async () => {
    const agentId = await createAgent();
    const other = await createAgent();
    const mine: Row = { channel: "sms", latencyMs: 100, tier: "rule", outcome: "success", urgency: "normal", costMicros: 0, createdAt: DAY1(12) };
    await feed(agentId, [mine]);
    // The other agent's rows share channel, day and range, and would move every figure.
    await feed(other, [
      { ...mine, latencyMs: 50_000, urgency: "critical", tier: "intelligent", costMicros: 9000 },
      { ...mine, channel: "http", latencyMs: 1, outcome: "error" },
    ]);
    const body = await channelAnalytics(agentId);
    expect(body.totals).toEqual({ ...ZERO, requests: 1, latencyMs: { p50: 100, p95: 100, max: 100 }, tiers: tiers({ rule: 1 }), outcomes: outcomes({ success: 1 }) });
    expect(body.channels.http).toEqual({ ...ZERO, days: [] });
    expect((await channelAnalytics(other)).totals.requests).toBe(2);
  });

  it("answers every channel with zeros and null latencies for a range without traffic", async () => {
    const agentId = await createAgent();
    await feed(agentId, [TRAFFIC[0]!]);
    const body = await channelAnalytics(agentId, "from=2026-12-01T00:00:00Z&to=2026-12-31T00:00:00Z");
    expect(body.totals).toEqual(ZERO);
    expect(body.channels).toEqual({
      http: { ...ZERO, days: [] },
      slack: { ...ZERO, days: [] },
      email: { ...ZERO, days: [] },
      sms: { ...ZERO, days: [] },
    });
  });

  it("counts real HTTP channel traffic, with its measured latency, once the learning queue has stored it", async () => {
    const agentId = await createAgent({ optimization: SEED_EXAMPLE_CONFIG.optimization });
    const res = await sendHttp(agentId, { id: "m1", conversation: "c1", from: "u", text: "hello there!" }, { target: settled });
    expect(res.status).toBe(200);
    let body: ChannelAnalytics | undefined;
    for (let i = 0; i < 100; i++) {
      body = await channelAnalytics(agentId, "");
      if (body.totals.requests === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(body?.channels.http).toMatchObject({ requests: 1, tiers: { rule: 1 }, outcomes: { success: 1 }, urgent: { high: 0, critical: 0 } });
    const latency = body?.channels.http?.latencyMs;
    expect(latency?.p50).toBeGreaterThanOrEqual(0);
    expect(latency).toEqual({ p50: latency?.p50, p95: latency?.p50, max: latency?.p50 });
  });

  it("answers 401 with the error envelope for a wrong or missing admin token", async () => {
    const agentId = await createAgent();
    for (const token of ["not-the-token", null]) {
      const res = await admin(`/v1/agents/${agentId}/channels/analytics`, { token });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; requestId: string } };
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    }
  });

  it("answers 404 for an unknown agent", async () => {
    const res = await admin(`/v1/agents/not-an-agent-chan/channels/analytics`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("answers 400 for a from or to that is not a time, and for from after to", async () => {
    const agentId = await createAgent();
    for (const query of ["from=soon", "to=yesterday-ish", "from=2026-13-45T99:00:00Z", "from=2026-11-25&to=2026-11-01"]) {
      const res = await admin(`/v1/agents/${agentId}/channels/analytics?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    }
  });
});

describe("learning queue, latency and urgency", () => {
  it("stores the latency and urgency an interaction carries", async () => {
    const record = interaction(`lq-${crypto.randomUUID().slice(0, 8)}`, { ...TRAFFIC[2]! });
    await learn([{ type: "interaction", interaction: record }]);
    const row = await (await shardDb(record.agentId)).prepare("SELECT latency_ms, urgency FROM interactions WHERE id = ?").bind(record.id).first();
    expect(row).toEqual({ latency_ms: 300, urgency: "critical" });
  });

  it("stores a message from before latencyMs and urgency existed with latency 0 and urgency normal", async () => {
    const { latencyMs: _latency, urgency: _urgency, ...old } = interaction(`lq-${crypto.randomUUID().slice(0, 8)}`, { ...TRAFFIC[2]! });
    await learn([{ type: "interaction", interaction: old }]);
    const row = await (await shardDb(old.agentId)).prepare("SELECT latency_ms, urgency, cost_micros FROM interactions WHERE id = ?").bind(old.id).first();
    expect(row).toEqual({ latency_ms: 0, urgency: "normal", cost_micros: 6000 });
  });
});

describe("summarizeChannels", () => {
  it("keeps a channel it does not know as its own key rather than folding it into another", () => {
    const summary = summarizeChannels(
      [{ channel: "fax", day: "2026-11-25", tier: "rule", outcome: "success", urgency: "normal", requests: 2, costMicros: 0, maxLatencyMs: 7 }],
      [],
    );
    expect(summary.totals.requests).toBe(2);
    expect(summary.channels.http?.requests).toBe(0);
    expect(summary.channels.fax?.requests).toBe(2);
  });
});
