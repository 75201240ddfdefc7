import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { findUnusualActivity, HOUR_MS, judgeHour, type HourStats } from "../../src/audit/unusual";
import { rollUp } from "../../src/rollups/write";
import { prng } from "../support/prng";

const NOW = Date.UTC(2031, 4, 7, 12); // the judged hour: 12:00-13:00 UTC

type Traffic = Partial<Omit<HourStats, "hour">>;

/** The hour starting at `NOW + offset` hours. */
function hour(offset: number, traffic: Traffic = {}): HourStats {
  return { hour: NOW + offset * HOUR_MS, requests: 0, costMicros: 0, errors: 0, denials: 0, ...traffic };
}

/** The week before NOW, each hour's traffic chosen by `of(i)` (i = 0 is the oldest hour). */
function week(of: (i: number) => Traffic): HourStats[] {
  return Array.from({ length: 168 }, (_, i) => hour(i - 168, of(i)));
}

describe("judgeHour", () => {
  it("flags an hour with ten times the requests of a flat baseline, and nothing else", () => {
    const findings = judgeHour(hour(0, { requests: 1000 }), week(() => ({ requests: 100 })));
    expect(findings).toEqual([
      {
        metric: "volume",
        value: 1000,
        baseline: 100,
        threshold: 160, // 100 + 6 × max(MAD 0, floor 2, 10% of 100)
        basis: "baseline",
        message: "Volume: 1000 requests in the hour, against a baseline of 100 an hour (alert above 160).",
      },
    ]);
  });

  it("still flags a new spike when the baseline holds an older, bigger one", () => {
    const baseline = week((i) => ({ requests: i === 40 ? 2000 : 90 + (i % 21) }));
    const findings = judgeHour(hour(0, { requests: 500 }), baseline);
    expect(findings.map((f) => [f.metric, f.baseline])).toEqual([["volume", 100]]);
    // Mean + 6σ, which the old spike inflates, would have let this hour through.
    const xs = baseline.map((h) => h.requests);
    const mean = xs.reduce((a, b) => a + b) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
    expect(mean + 6 * sd).toBeGreaterThan(500);
  });

  it("does not alert on one more request, one more cent or one more error than a perfectly flat baseline", () => {
    const flat = week(() => ({ requests: 100, costMicros: 1_000_000, errors: 1, denials: 1 }));
    expect(judgeHour(hour(0, { requests: 101, costMicros: 1_010_000, errors: 2, denials: 2 }), flat)).toEqual([]);
  });

  it("flags an error rate that jumps from 1% to 40%, as a rate", () => {
    const findings = judgeHour(hour(0, { requests: 100, errors: 40 }), week(() => ({ requests: 100, errors: 1 })));
    expect(findings).toEqual([
      expect.objectContaining({ metric: "error_rate", value: 0.4, baseline: 0.01, basis: "baseline", message: "Error rate: 40% of 100 requests in the hour, against a baseline of 1% (alert above 31%)." }),
    ]);
    expect(findings[0]!.threshold).toBeCloseTo(0.31, 10);
  });

  it("flags cost far above the hourly baseline", () => {
    const findings = judgeHour(hour(0, { requests: 12, costMicros: 5_000_000 }), week(() => ({ requests: 10, costMicros: 100_000 })));
    expect(findings).toEqual([
      expect.objectContaining({
        metric: "cost",
        value: 5_000_000,
        baseline: 100_000,
        threshold: 400_000,
        message: "Cost: $5.00 in the hour, against a baseline of $0.10 an hour (alert above $0.40).",
      }),
    ]);
  });

  it("says nothing below the minimums: under 20 requests or under $0.50, however large the jump", () => {
    const quiet = week(() => ({ requests: 1, costMicros: 1_000 }));
    expect(judgeHour(hour(0, { requests: 19, costMicros: 490_000, errors: 19, denials: 19 }), quiet)).toEqual([]);
    expect(judgeHour(hour(0, { requests: 20, costMicros: 500_000, errors: 20, denials: 20 }), quiet).map((f) => f.metric)).toEqual([
      "volume",
      "cost",
      "error_rate",
      "denial_rate",
    ]);
  });

  it("compares a busy hour with the agent's hours with traffic, so office hours are not unusual", () => {
    // 9 hours a day busy, 15 idle: the median of all hours would be 0.
    const office = week((i) => (i % 24 >= 8 && i % 24 < 17 ? { requests: 50 + (i % 7) } : {}));
    expect(judgeHour(hour(0, { requests: 60 }), office)).toEqual([]);
    expect(judgeHour(hour(0, { requests: 600 }), office).map((f) => [f.metric, f.baseline])).toEqual([["volume", 53]]);
  });

  it("on a cold start judges only by the fixed thresholds", () => {
    const young = week((i) => (i >= 150 ? { requests: 5, costMicros: 10_000 } : {})); // 18 hours of history
    expect(judgeHour(hour(0, { requests: 900, costMicros: 9_000_000 }), young)).toEqual([]);
    const findings = judgeHour(hour(0, { requests: 1500, costMicros: 12_000_000, errors: 800 }), young);
    expect(findings.map((f) => [f.metric, f.threshold, f.basis])).toEqual([
      ["volume", 1000, "cold_start"],
      ["cost", 10_000_000, "cold_start"],
      ["error_rate", 0.5, "cold_start"],
    ]);
    expect(findings[0]!.message).toBe(
      "Volume: 1500 requests in the hour, with too little history for a baseline (18 hours, median 5 an hour), so the new-agent threshold of 1000 applies.",
    );
    expect(judgeHour(hour(0, { requests: 1500 }), [])).toHaveLength(1);
  });

  it("lets a short history raise the cold-start threshold but never lower it", () => {
    const busyFromDayOne = week((i) => (i >= 160 ? { requests: 2000 } : {}));
    expect(judgeHour(hour(0, { requests: 2100 }), busyFromDayOne)).toEqual([]);
    expect(judgeHour(hour(0, { requests: 9000 }), busyFromDayOne)).toEqual([expect.objectContaining({ metric: "volume", threshold: 3200 })]);
  });

  it("raises nothing over four weeks of ordinary traffic with a daily rhythm, and flags a tenfold hour in it", () => {
    const random = prng(7);
    const poisson = (mean: number) => {
      let k = 0;
      for (let p = random(); p > Math.exp(-mean); p *= random()) k++;
      return k;
    };
    // 50 requests an hour on average, from 25 at night to 75 in the afternoon; 2% errors.
    const traffic = Array.from({ length: 5 * 168 }, (_, i) => {
      const requests = poisson(50 * (1 + 0.5 * Math.sin((2 * Math.PI * (i % 24)) / 24)));
      const errors = Array.from({ length: requests }, () => random() < 0.02).filter(Boolean).length;
      return hour(i - 5 * 168, { requests, costMicros: requests * 2_500, errors });
    });
    const judged = traffic.slice(168).map((h, i) => judgeHour(h, traffic.slice(i, i + 168)));
    expect(judged.flat()).toEqual([]);
    const tenfold = judgeHour(hour(0, { requests: 500, costMicros: 1_250_000, errors: 10 }), traffic.slice(-168));
    expect(tenfold.map((f) => f.metric)).toEqual(["volume", "cost"]);
  });

  it("takes rates only from baseline hours with at least 5 requests", () => {
    // 1-request hours that failed say little; the 10-request hours say errors are rare.
    const baseline = week((i) => (i % 2 === 0 ? { requests: 1, errors: 1 } : { requests: 10 }));
    expect(judgeHour(hour(0, { requests: 40, errors: 16 }), baseline)).toEqual([expect.objectContaining({ metric: "error_rate", baseline: 0 })]);
  });
});

interface Rows {
  requests: number;
  costEach?: number;
  errors?: number;
  denials?: number;
  /** All rows at the hour's first millisecond instead of spread over the hour. */
  atStart?: boolean;
}

/** `requests` interactions rows of one agent in the hour starting at `at`, written straight to D1. */
function rows(agentId: string, at: number, r: Rows): D1PreparedStatement {
  return env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?3)
     INSERT INTO interactions (id, agent_id, channel, delivery_id, conversation_hash, tier, model, input_tokens, output_tokens,
       cache_write_tokens, cache_read_tokens, cost_micros, steps, tool_calls, denied_tools, outcome, created_at)
     SELECT ?1 || ':' || ?2 || ':' || i, ?1, 'http', ?1 || ':' || ?2 || ':' || i, 'h', 'intelligent', NULL, 0, 0, 0, 0, ?4, 1, 0,
       CASE WHEN i < ?6 THEN '["Write"]' ELSE '[]' END, CASE WHEN i < ?5 THEN 'error' ELSE 'success' END, ?2 + i * ?7
     FROM n`,
  ).bind(agentId, at, r.requests, r.costEach ?? 1_000, r.errors ?? 0, r.denials ?? 0, r.atStart ? 0 : Math.floor(HOUR_MS / r.requests));
}

/** Rows for each of the 8 days of hours before NOW. */
function eightDays(agentId: string, of: (i: number) => Rows | null): D1PreparedStatement[] {
  return Array.from({ length: 8 * 24 }, (_, i) => [i, of(i)] as const).flatMap(([i, r]) => (r ? [rows(agentId, NOW - (8 * 24 - i) * HOUR_MS, r)] : []));
}

const agentIds = (...names: string[]) => names.map((n) => `unusual-${n}-${crypto.randomUUID().slice(0, 8)}`);

/** What the hourly job does for a page of agents: their hours rolled up (a backlog over several runs), then judged. */
async function judge(ids: readonly string[], hourEnd: number, opts: Parameters<typeof findUnusualActivity>[3] = {}) {
  for (let run = 0; run < 5; run++) await rollUp(env.DB, ids, hourEnd);
  return findUnusualActivity(env.DB, hourEnd, ids, opts);
}

describe("findUnusualActivity", () => {
  it("returns only the agent whose hour is far above its own baseline, with the metrics that are, and no other agent's rows", async () => {
    const [spiking, steady, neighbour] = agentIds("spiking", "steady", "neighbour");
    await env.DB.batch([
      ...eightDays(spiking!, () => ({ requests: 10 })),
      rows(spiking!, NOW, { requests: 200, costEach: 20_000, errors: 80, denials: 100 }),
      ...eightDays(steady!, () => ({ requests: 30, errors: 3 })),
      rows(steady!, NOW, { requests: 33, errors: 4 }),
      // Far busier than both all week, silent in the judged hour: had its rows leaked into their
      // baselines, the spike would hide.
      ...eightDays(neighbour!, () => ({ requests: 300, costEach: 50_000, errors: 300 })),
    ]);

    const found = await judge([spiking!, steady!, neighbour!], NOW + HOUR_MS + 5 * 60_000);

    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ agentId: spiking, hour: NOW });
    expect(found[0]!.findings.map(({ metric, value, baseline, basis }) => ({ metric, value, baseline, basis }))).toEqual([
      { metric: "volume", value: 200, baseline: 10, basis: "baseline" },
      { metric: "cost", value: 4_000_000, baseline: 10_000, basis: "baseline" },
      { metric: "error_rate", value: 0.4, baseline: 0, basis: "baseline" },
      { metric: "denial_rate", value: 0.5, baseline: 0, basis: "baseline" },
    ]);
  });

  it("counts the judged hour from its first millisecond to before the next, and the baseline as the week before", async () => {
    const [edges, returning] = agentIds("edges", "returning");
    await env.DB.batch([
      ...eightDays(edges!, () => ({ requests: 30 })),
      rows(edges!, NOW, { requests: 30, atStart: true }),
      rows(edges!, NOW + HOUR_MS, { requests: 900, atStart: true }), // the next hour's
      // A day of history 8 days ago, outside the week: the agent is judged as new.
      ...eightDays(returning!, (i) => (i < 24 ? { requests: 10 } : null)),
      rows(returning!, NOW, { requests: 200 }),
    ]);

    const found = await judge([edges!, returning!], NOW + HOUR_MS);
    expect(found).toEqual([]);

    // Given the 8 days as its baseline, the returning agent has history, and 200 is a spike.
    const longer = await judge([edges!, returning!], NOW + HOUR_MS, { baselineHours: 8 * 24 });
    expect(longer.find((f) => f.agentId === returning)?.findings.map((f) => [f.metric, f.baseline, f.basis])).toEqual([["volume", 10, "baseline"]]);
  });

  it("reads the baselines of many agents a page at a time", async () => {
    const ids = agentIds("p1", "p2", "p3");
    await env.DB.batch(ids.flatMap((id) => [...eightDays(id, () => ({ requests: 10 })), rows(id, NOW, { requests: 300 })]));
    const found = await judge(ids, NOW + HOUR_MS, { agentsPerQuery: 1 });
    expect(found.map((f) => f.agentId)).toEqual(ids);
    expect(found.every((f) => f.findings.some((x) => x.metric === "volume" && x.baseline === 10))).toBe(true);
  });
});
