/**
 * `npm run demo`'s core against the dev worker of the browser suite, with a few questions: a
 * demo agent of its own answers labelled questions with the (fake) model, learns, answers new
 * ones, and the figures printed are the admin API's. Whether a pattern is proven from so few
 * questions is not asserted here; that every figure adds up is. The questions are the
 * repository's own fixture in banking77's form (six intents of 31 to 44 questions), not
 * banking77, which need not be beside a clone (CI's).
 */
import { resolve } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { BANKING77_DIR } from "../../src/dev/banking77.ts";
import { DEMO_AGENT_PREFIX, demoQuestions, formatDemoReport, runDemo } from "../../src/dev/demo-core.ts";
import { LABELLED_QUERIES_DIR } from "./dev-server.ts";

const url = inject("devUrl");
const adminToken = inject("devAdminToken");

describe("the demo's questions", () => {
  it("come from the largest intents, evenly, and never ask a learned question again", () => {
    const q = demoQuestions(LABELLED_QUERIES_DIR, { learn: 40, serve: 20, intents: 4, seed: 77 });
    // The fixture's intents by size: order_status 44, refund_request 42, card_declined 41,
    // password_reset 40, delivery_cost 34, opening_hours 31.
    expect(q.intents).toEqual(["order_status", "refund_request", "card_declined", "password_reset"]);
    expect(q.learn).toHaveLength(40);
    expect(q.serve).toHaveLength(20);
    for (const intent of q.intents) expect(q.learn.filter((r) => r.category === intent)).toHaveLength(10);
    const learned = new Set(q.learn.map((r) => r.text));
    expect(q.serve.filter((r) => learned.has(r.text))).toEqual([]);
  });

  it("refuses more questions than an intent holds, saying what to change", () => {
    expect(() => demoQuestions(LABELLED_QUERIES_DIR, { learn: 5000, serve: 10, intents: 2, seed: 1 })).toThrow(/ask fewer questions or use more intents/);
    // password_reset, the fourth largest, holds 40: 11 learned and 30 served are one too many.
    expect(() => demoQuestions(LABELLED_QUERIES_DIR, { learn: 44, serve: 120, intents: 4, seed: 1 })).toThrow(/intent password_reset has 40 questions, fewer than the 41 asked of it/);
  });

  it("are banking77's beside the checkout when npm run demo runs", () => {
    expect(BANKING77_DIR).toBe(resolve(import.meta.dirname, "../../../shared/data/banking77"));
  });

  it("says where the data was looked for when it is missing", () => {
    expect(() => demoQuestions("/nonexistent/banking77", { learn: 4, serve: 4, intents: 2, seed: 1 })).toThrow(/no banking77 data at \/nonexistent\/banking77\/train\.csv/);
  });
});

describe("the demo against a running Foreman", () => {
  it("replays, learns and reports tiers and costs that add up to the admin API's analytics", { timeout: 90_000 }, async () => {
    const progress: string[] = [];
    const report = await runDemo({ url, adminToken, dataDir: LABELLED_QUERIES_DIR, learn: 120, serve: 40, intents: 4, concurrency: 8, seed: 77, onProgress: (phase, done, total) => progress.push(`${phase} ${done}/${total}`) });

    expect(report.agentId.startsWith(DEMO_AGENT_PREFIX)).toBe(true);
    expect(progress).toContain("learn 120/120");
    expect(progress).toContain("serve 40/40");
    const { learn, serve } = report.phases;
    expect(learn.tiers.reduce((n, t) => n + t.answers, 0)).toBe(120);
    expect(serve.tiers.reduce((n, t) => n + t.answers, 0)).toBe(40);
    // Nothing is learned before the run; the model answered each question with its intent's facts.
    expect(learn.tiers.map((t) => t.tier)).not.toContain("pattern");
    const model = learn.tiers.find((t) => t.tier === "intelligent")!;
    expect(model.right).toBe(model.answers);
    expect(report.learning.learnable).toBeGreaterThan(100);
    expect(report.learning.candidates).toBeGreaterThan(0);

    // The costs are the analytics' own, and the cut is measured against the model-only baseline.
    const analytics = (await (await fetch(`${url}/v1/agents/${report.agentId}/analytics?from=0`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { requests: number; costUsd: number };
    expect(analytics.requests).toBe(160);
    expect(learn.costUsd + serve.costUsd).toBeCloseTo(analytics.costUsd, 6);
    expect(serve.baselineUsd).not.toBeNull();
    expect(serve.savingsUsd!).toBeCloseTo(serve.baselineUsd! - serve.costUsd, 5);

    const printed = formatDemoReport(report);
    expect(printed).toContain("| tier | answers | share | right facts | cost |");
    expect(printed).toContain(`| intelligent | ${model.answers} |`);
    expect(printed).toMatch(/a -?\d+\.\d% cost cut/);
  });

  it("deletes the previous run's agent when it starts again", { timeout: 90_000 }, async () => {
    const first = await runDemo({ url, adminToken, dataDir: LABELLED_QUERIES_DIR, learn: 8, serve: 4, intents: 2, concurrency: 4, seed: 1 });
    const second = await runDemo({ url, adminToken, dataDir: LABELLED_QUERIES_DIR, learn: 8, serve: 4, intents: 2, concurrency: 4, seed: 1 });
    const status = async (id: string) => (await fetch(`${url}/v1/agents/${id}`, { headers: { authorization: `Bearer ${adminToken}` } })).status;
    expect(second.agentId).not.toBe(first.agentId);
    expect(await status(first.agentId)).toBe(404);
    expect(await status(second.agentId)).toBe(200);
  });
});
