import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEFAULT_EXHAUSTED_REPLY } from "../../src/config";
import { admin, clockedApp, createAgent, type HttpReply, sendHttp } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";
import { shardDb } from "../support/shards";

interface BudgetReply {
  day: string;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  micros: { daily: number; spent: number; reserved: number; remaining: number };
  openReservations: number;
}

async function budget(agentId: string): Promise<BudgetReply> {
  const res = await admin(`/v1/agents/${agentId}/budget`);
  expect(res.status).toBe(200);
  return (await res.json()) as BudgetReply;
}

const question = (id: string) => ({ id, conversation: `conv-${id}`, from: `customer-${id}`, text: "Where is my parcel?" });
const state = (agentId: string) => env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
const cheapUsage = { input_tokens: 50, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

/** The reservation one call of this config makes, read from a probe agent while its call is in flight. */
async function reservationFor(config: Record<string, unknown>): Promise<number> {
  const probe = await createAgent(config);
  await scriptModel(probe, [{ type: "text", text: "slow", delayMs: 400 }]);
  const pending = sendHttp(probe, question("probe"));
  let reserved = 0;
  for (let i = 0; i < 200 && reserved === 0; i++) {
    reserved = (await budget(probe)).micros.reserved;
    if (reserved === 0) await new Promise((r) => setTimeout(r, 10));
  }
  await pending;
  expect(reserved).toBeGreaterThan(0);
  return reserved;
}

describe("daily budget", () => {
  it("lets exactly the affordable calls of 100 concurrent requests reach the model and never overspends", async () => {
    const base = { trust: { minOutcomes: 1000 }, maxTokens: 500 };
    const perCall = await reservationFor(base);
    // Room for 10 worst cases and half of an 11th.
    const daily = (perCall * 10 + perCall / 2) / 1e6;
    const agentId = await createAgent({ ...base, optimization: { budget: { daily, perRequest: daily, alertThreshold: 0.99 } } });
    await scriptModel(agentId, Array.from({ length: 100 }, () => ({ type: "text" as const, text: "On its way.", delayMs: 150, usage: cheapUsage })));

    let watching = true;
    const peaks: number[] = [];
    const watcher = (async () => {
      for (let i = 0; watching && i < 500; i++) {
        const b = await budget(agentId);
        peaks.push(b.micros.spent + b.micros.reserved);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const replies = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const res = await sendHttp(agentId, question(`b-${i}`));
        expect(res.status).toBe(200);
        return (await res.json()) as HttpReply;
      }),
    );
    watching = false;
    await watcher;

    expect(await modelRequests(agentId)).toHaveLength(10);
    expect(replies.filter((r) => r.tier === "intelligent")).toHaveLength(10);
    const refused = replies.filter((r) => r.tier === "fallback");
    expect(refused).toHaveLength(90);
    expect(new Set(refused.map((r) => r.text))).toEqual(new Set([DEFAULT_EXHAUSTED_REPLY]));
    expect(refused.every((r) => r.costUsd === 0)).toBe(true);
    const dailyMicros = Math.round(daily * 1e6);
    expect(peaks.some((p) => p > 0)).toBe(true);
    expect(Math.max(...peaks)).toBeLessThanOrEqual(dailyMicros);
    const after = await budget(agentId);
    expect(after.micros.reserved).toBe(0);
    expect(after.micros.spent).toBeLessThanOrEqual(dailyMicros);
    expect(after.openReservations).toBe(0);

    await runDurableObjectAlarm(state(agentId));
    const alerts = await (await shardDb(agentId)).prepare("SELECT type FROM alerts WHERE agent_id = ?").bind(agentId).all();
    expect(alerts.results).toEqual([{ type: "budget_exhausted" }]);
    // Budget refusals say nothing about the agent's behaviour: they do not count for trust.
    expect((await state(agentId).outcomeSummary()).counts).toEqual({ success: 10 });
  });

  it("answers with the configured reply and never calls the model when the daily budget is 0", async () => {
    const agentId = await createAgent({ optimization: { budget: { daily: 0, exhaustedReply: "We're closed for today, back tomorrow." } } });
    const res = await sendHttp(agentId, question("zero"));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ tier: "fallback", text: "We're closed for today, back tomorrow.", costUsd: 0 });
    expect(await modelRequests(agentId)).toHaveLength(0);
    // Final: the same message again gets the same reply, not a retry of the model.
    expect(await (await sendHttp(agentId, question("zero"))).json()).toMatchObject({ tier: "fallback" });
    expect(await modelRequests(agentId)).toHaveLength(0);
  });

  it("raises one budget_threshold alert per day when spending crosses the threshold", async () => {
    const agentId = await createAgent({ optimization: { budget: { daily: 1, perRequest: 1, alertThreshold: 0.5 } } });
    // Each answer really costs $0.30 (30,000 output tokens at $10 per million).
    const pricey = { input_tokens: 0, output_tokens: 30_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    await scriptModel(agentId, [1, 2, 3].map(() => ({ type: "text" as const, text: "ok", usage: pricey })));
    // Three different questions, so none is answered from the cache.
    for (const id of ["t1", "t2", "t3"]) {
      const reply = (await (await sendHttp(agentId, { ...question(id), text: `Where is parcel ${id}?` })).json()) as HttpReply;
      expect(reply.tier).toBe("intelligent");
    }
    expect((await budget(agentId)).spentUsd).toBeCloseTo(0.9, 10);
    await runDurableObjectAlarm(state(agentId));
    const alerts = await (await shardDb(agentId)).prepare("SELECT type, details FROM alerts WHERE agent_id = ?").bind(agentId).all<{ type: string; details: string }>();
    expect(alerts.results.map((a) => a.type)).toEqual(["budget_threshold"]);
    expect(JSON.parse(alerts.results[0]!.details)).toMatchObject({ spentMicros: 600_000, alertThreshold: 0.5 });
  });
});

describe("per-request budget", () => {
  it("ends a tool loop whose next call the per-request budget cannot cover", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 }, optimization: { budget: { daily: 50, perRequest: 0.05 } } });
    // The first call really costs $0.045 (4,500 output tokens); the second cannot fit in $0.005.
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Read", input: { path: "a.txt" } }], text: "Let me check.", usage: { ...cheapUsage, input_tokens: 0, output_tokens: 4_500 } },
      { type: "text", text: "never reached" },
    ]);
    const reply = (await (await sendHttp(agentId, question("loop"))).json()) as HttpReply;
    expect(reply).toMatchObject({ tier: "intelligent", text: "Let me check.", costUsd: 0.045 });
    expect(await modelRequests(agentId)).toHaveLength(1);
  });

  it("calls the model for a config whose maxTokens is below the usual floor", async () => {
    const agentId = await createAgent({ maxTokens: 40 });
    expect(((await (await sendHttp(agentId, question("tiny"))).json()) as HttpReply).tier).toBe("intelligent");
    expect((((await modelRequests(agentId))[0]?.body) as { max_tokens: number }).max_tokens).toBe(40);
  });

  it("lowers max_tokens so that the worst case of a call fits the per-request budget", async () => {
    const agentId = await createAgent({ maxTokens: 4000, optimization: { budget: { daily: 50, perRequest: 0.02 } } });
    await sendHttp(agentId, question("fit"));
    const [request] = await modelRequests(agentId);
    const maxTokens = (request?.body as { max_tokens: number }).max_tokens;
    // $0.02 at $10 per million output tokens allows under 2,000 tokens once the input is paid for.
    expect(maxTokens).toBeLessThan(2000);
    expect(maxTokens).toBeGreaterThanOrEqual(64);
  });
});

describe("reservations", () => {
  it("charges a reservation nobody settled within ten minutes at its worst case, and corrects it on a late settlement", async () => {
    const { clock, target } = clockedApp(Date.UTC(2026, 10, 25, 9));
    const agentId = await createAgent({ optimization: { budget: { daily: 1 } } }, {}, target);
    const reserved = await state(agentId).reserve(400_000, clock.now());
    expect(reserved.ok).toBe(true);
    expect((await state(agentId).budget(clock.now())).reservedMicros).toBe(400_000);
    expect((await state(agentId).reserve(700_000, clock.now())).ok).toBe(false);

    clock.advance(10 * 60_000);
    // The call may have been billed (a worker died mid-call): its worst case counts as spent.
    expect(await state(agentId).budget(clock.now())).toMatchObject({ reservedMicros: 0, spentMicros: 400_000 });
    if (reserved.ok) await state(agentId).settle(reserved.reservationId, 123_456, clock.now());
    expect((await state(agentId).budget(clock.now())).spentMicros).toBe(123_456);
  });

  it("starts a new day at midnight in the configured time zone", async () => {
    const { clock, target } = clockedApp(Date.UTC(2026, 10, 25, 10, 30));
    const agentId = await createAgent({ optimization: { budget: { daily: 1, timeZone: "Pacific/Auckland" } } }, {}, target);
    // 10:30 UTC is 23:30 in Auckland (UTC+13 in November).
    const first = await state(agentId).reserve(900_000, clock.now());
    expect(first.ok).toBe(true);
    if (first.ok) await state(agentId).settle(first.reservationId, 900_000, clock.now());
    expect(await state(agentId).budget(clock.now())).toMatchObject({ day: "2026-11-25", spentMicros: 900_000 });
    expect((await state(agentId).reserve(200_000, clock.now())).ok).toBe(false);
    clock.advance(31 * 60_000);
    expect(await state(agentId).budget(clock.now())).toMatchObject({ day: "2026-11-26", spentMicros: 0 });
    expect((await state(agentId).reserve(200_000, clock.now())).ok).toBe(true);
  });

  it("answers 404 for the budget of an unknown agent", async () => {
    expect((await admin("/v1/agents/no-such-agent-xyz/budget")).status).toBe(404);
  });
});
