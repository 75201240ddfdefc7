import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { costReport } from "../../src/admin/cost";
import { agentDb } from "../../src/db/shards";
import { percentileOf } from "../../src/rollups/sketch";
import { rollupMark, splitSpan } from "../../src/rollups/read";
import { HOUR_MS, MAX_HOURS_PER_RUN, rollUp } from "../../src/rollups/write";
import { createAgent } from "../support/agents";
import { prng } from "../support/prng";

const HOUR = HOUR_MS;
const DAY = 24 * HOUR;
const NOW = Math.floor(Date.now() / HOUR) * HOUR + 17 * 60_000; // 17 minutes into the current hour
const TIERS = ["rule", "cache", "similar", "pattern", "intelligent", "fallback"];

/** Random traffic of an agent over `days` days up to NOW (the current, unfinished hour included). */
async function traffic(db: D1Database, agentId: string, days: number, seed: number): Promise<number> {
  const random = prng(seed);
  const insert = db.prepare(
    `INSERT INTO interactions (id, agent_id, channel, delivery_id, conversation_hash, tier, model, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens,
       cost_micros, steps, tool_calls, denied_tools, outcome, created_at, latency_ms, urgency, learnable)
     VALUES (?, ?, ?, ?, 'c', ?, 'm', 1, 1, 0, 0, ?, 1, 0, ?, ?, ?, ?, ?, ?)`,
  );
  const rows: D1PreparedStatement[] = [];
  for (let at = NOW - days * DAY; at < NOW; at += Math.floor(random() * 40 * 60_000)) {
    const tier = TIERS[Math.floor(random() * TIERS.length)]!;
    const cost = tier === "intelligent" ? 2_000 + Math.floor(random() * 9_000) : tier === "fallback" ? 0 : Math.floor(random() * 50);
    rows.push(
      insert.bind(
        crypto.randomUUID(),
        agentId,
        ["http", "slack", "sms", "email"][Math.floor(random() * 4)]!,
        `d-${rows.length}`,
        tier,
        cost,
        random() < 0.1 ? '["Write"]' : "[]",
        random() < 0.05 ? "error" : "success",
        at,
        Math.floor(random() * 3_000),
        random() < 0.1 ? "high" : "normal",
        random() < 0.3 ? 1 : 0,
      ),
    );
  }
  for (let i = 0; i < rows.length; i += 200) await db.batch(rows.slice(i, i + 200));
  return rows.length;
}

/** Ranges with whole hours, ragged edges, one hour, and the hours after the rollups. */
const RANGES: Array<[number, number]> = [
  [NOW - 30 * DAY, NOW],
  [NOW - 5 * DAY - 7 * 60_000, NOW - DAY + 13 * 60_000],
  [NOW - 3 * DAY, NOW - 2 * DAY - 1],
  [NOW - 10 * HOUR + 60_000, NOW - 10 * HOUR + 50 * 60_000],
  [NOW - 2 * HOUR, NOW],
  [NOW - 40 * DAY, NOW - 35 * DAY],
];

async function reports(db: D1Database, agentId: string) {
  return Promise.all(RANGES.map(([from, to]) => costReport(db, agentId, from, to)));
}

describe("analytics from hourly rollups", () => {
  it("reports the same figures from rollups as from raw rows, for whole hours and ragged edges alike", async () => {
    const agentId = await createAgent({});
    const db = await agentDb(env, agentId);
    const count = await traffic(db, agentId, 12, 7);
    expect(count).toBeGreaterThan(500);
    const raw = await reports(db, agentId);
    expect(raw[0]!.requests).toBe(count);
    // Whole hours only: read from the rollups alone once they exist.
    const hour = Math.floor(NOW / HOUR) * HOUR;
    const whole = () => costReport(db, agentId, hour - 9 * DAY, hour - DAY - 1);
    const wholeRaw = await whole();

    // The first run rolls up the last week, later runs the older history: equal at every step.
    for (let run = 0; run < 3; run++) {
      await rollUp(db, [agentId], NOW);
      expect(await reports(db, agentId)).toEqual(raw);
    }
    const mark = await rollupMark(db, agentId);
    expect(mark.until).toBe(Math.floor(NOW / HOUR) * HOUR);
    expect(mark.from).toBeLessThanOrEqual(NOW - 12 * DAY);

    // Whole hours are read from the rollups: with their raw rows gone the figures stay.
    await db.prepare("DELETE FROM interactions WHERE agent_id = ? AND created_at >= ? AND created_at < ?").bind(agentId, hour - 9 * DAY, hour - DAY).run();
    expect(await whole()).toEqual(wholeRaw);
    expect(wholeRaw.requests).toBeGreaterThan(100);
  });

  it("rolls up an agent with a long history the recent week first, then backwards, a bounded span per run", async () => {
    const agentId = await createAgent({});
    const db = await agentDb(env, agentId);
    await traffic(db, agentId, 20, 11);
    const first = await rollUp(db, [agentId], NOW);
    expect(first.hours).toBeLessThanOrEqual(2 * MAX_HOURS_PER_RUN);
    const mark = await rollupMark(db, agentId);
    expect(mark.until - mark.from).toBeLessThanOrEqual(2 * MAX_HOURS_PER_RUN * HOUR);
    expect(mark.until).toBe(Math.floor(NOW / HOUR) * HOUR);
    await rollUp(db, [agentId], NOW);
    expect((await rollupMark(db, agentId)).from).toBeLessThan(mark.from);
  });

  it("a repeated run writes the same rollups, and an idle agent's run writes nothing", async () => {
    const agentId = await createAgent({});
    const db = await agentDb(env, agentId);
    await traffic(db, agentId, 2, 3);
    await rollUp(db, [agentId], NOW);
    const snapshot = () => db.prepare("SELECT * FROM agent_hours WHERE agent_id = ? ORDER BY hour, channel, tier, outcome, urgency").bind(agentId).all();
    const before = (await snapshot()).results;
    await rollUp(db, [agentId], NOW);
    expect((await snapshot()).results).toEqual(before);
    const idle = await createAgent({});
    expect(await rollUp(db, [idle], NOW)).toEqual({ agents: 0, hours: 0 });
    expect(await db.prepare("SELECT 1 FROM rollup_marks WHERE agent_id = ?").bind(idle).first()).toBeNull();
  });

  it("splits a range into whole rolled-up hours and raw edges", () => {
    const mark = { from: 10 * HOUR, until: 20 * HOUR };
    expect(splitSpan(9 * HOUR + 5, 15 * HOUR + 7, mark)).toEqual({ from: 9 * HOUR + 5, to: 15 * HOUR + 7, rolledFrom: 10 * HOUR, rolledTo: 15 * HOUR });
    // `to` is included: a range ending on an hour's last millisecond takes that hour whole.
    expect(splitSpan(11 * HOUR, 13 * HOUR - 1, mark)).toMatchObject({ rolledFrom: 11 * HOUR, rolledTo: 13 * HOUR });
    expect(splitSpan(21 * HOUR, 25 * HOUR, mark)).toMatchObject({ rolledFrom: 21 * HOUR, rolledTo: 21 * HOUR });
    expect(splitSpan(12 * HOUR + 1, 12 * HOUR + 9, mark)).toMatchObject({ rolledFrom: 12 * HOUR + 1, rolledTo: 12 * HOUR + 1 });
  });

  it("reads a latency percentile from a sketch as its bucket's upper edge, never below the true value", () => {
    expect(percentileOf([0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 50, 80)).toBe(50);
    expect(percentileOf([0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 95, 80)).toBe(80);
    expect(percentileOf(Array(13).fill(0), 50, 0)).toBeNull();
    expect(percentileOf([...Array(12).fill(0), 2], 50, 90_000)).toBe(90_000);
  });
});
