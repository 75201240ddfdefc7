/**
 * Learned patterns answering real messages: approval, canary, the sequential test over shadow
 * traffic, rollback on negative feedback (with an alert), rejection, tenancy, and where a
 * pattern must never answer. Messages go through the signed HTTP channel; the model is the
 * fake one, answering with the topic's facts in varied wording as a real model would.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker, { QUEUES } from "../../src/index";
import { inRollout } from "../../src/learn/tier";
import { admin, type HttpReply, sendHttp } from "../support/agents";
import { deliveredAlerts, flushedSql } from "../support/audit";
import { setOracle } from "../support/model";
import { askings, FACTS, getPattern, learnRun, patternOf, type PatternJson, storeTraffic, TOPICS, trafficAgent, waitForPattern } from "../support/learning";

/** The cheap caches off, so only the pattern tier or the model answers. */
const NO_CACHE = { optimization: { enableCache: false } };

async function ask(agentId: string, text: string, conversation: string): Promise<HttpReply> {
  const res = await sendHttp(agentId, { id: `m-${crypto.randomUUID()}`, conversation, from: "customer", text });
  expect(res.status).toBe(200);
  return (await res.json()) as HttpReply;
}

async function decide(agentId: string, patternId: string, action: "approve" | "reject" | "rollback", body?: unknown): Promise<Response> {
  return admin(`/v1/agents/${agentId}/patterns/${patternId}/${action}`, { method: "POST", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** An agent with learned, pending patterns, and the model's facts for each topic's first asking. */
async function learnedAgent(deployment: Record<string, unknown>, learning: Record<string, unknown> = {}) {
  const agentId = await trafficAgent(60, { ...NO_CACHE, learning: { deployment, ...learning }, messageHandling: { maintainContext: true } });
  await setOracle(agentId, Object.fromEntries(TOPICS.map((t, i) => [`help with ${t} please`, FACTS[i]!])));
  const run = await learnRun(agentId);
  return { agentId, run };
}

describe("learned patterns in rollout", { timeout: 30_000 }, () => {
  it("serves an approved canary, rolls it back on negative feedback with an alert, and the model answers again", async () => {
    const { agentId, run } = await learnedAgent({ strategy: "canary", rolloutPercentage: 100 });
    const refund = patternOf(run, "refund");
    expect(refund.status).toBe("pending_approval");
    // Waiting for approval, it never answers.
    expect((await ask(agentId, "help with refund please", "c0")).tier).toBe("intelligent");

    const approved = await decide(agentId, refund.id, "approve", { note: "reads right" });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ previousStatus: "pending_approval", status: "canary" });

    const served: HttpReply[] = [];
    for (let i = 0; i < 3; i++) served.push(await ask(agentId, "help with refund please", `c-served-${i}`));
    for (const reply of served) {
      expect(reply.tier).toBe("pattern");
      expect(reply.text).toContain(FACTS[TOPICS.indexOf("refund")]!);
      expect(reply.costUsd).toBe(0);
    }
    await waitForPattern(agentId, refund.id, (p) => p.rollout?.served === 3, "served three times");
    for (const reply of served) {
      const res = await admin(`/v1/agents/${agentId}/feedback`, { method: "POST", body: JSON.stringify({ interactionId: reply.id, outcome: "error", note: "wrong" }) });
      expect(res.status).toBe(200);
    }
    const rolledBack = await waitForPattern(agentId, refund.id, (p) => p.status === "rolled_back", "rolled back");
    expect(rolledBack.changed).toMatchObject({ by: "canary" });
    expect(rolledBack.rollout?.negativeFeedback).toBe(3);
    expect((await ask(agentId, "help with refund please", "c-after")).tier).toBe("intelligent");

    const alerts = await deliveredAlerts<{ type: string; details: string }>(agentId);
    const alert = alerts.find((a) => a.type === "pattern_rolled_back");
    expect(alert).toBeDefined();
    expect(JSON.parse(alert!.details)).toMatchObject({ patternId: refund.id, served: 3, negativeFeedback: 3 });
    const events = await flushedSql<{ action: string; actor: string }>(agentId, "SELECT action, actor FROM audit_events WHERE agent_id = ? AND action LIKE 'pattern.%' ORDER BY seq", [], 2);
    expect(events.map((e) => e.action)).toEqual(["pattern.approved", "pattern.rolled_back"]);
    // Rolled back is final: it cannot be approved again.
    expect((await decide(agentId, refund.id, "approve")).status).toBe(409);
  });

  it("promotes a canary whose shadow answers agree, and rolls back one whose shadow answers disagree", async () => {
    // Proven to 0.9: the disagreement test weighs 10% against 30%, so a dozen agreeing answers decide.
    const { agentId, run } = await learnedAgent({ strategy: "canary", rolloutPercentage: 1 }, { patterns: { minOccurrences: 10, confidenceThreshold: 0.9 } });
    const refund = patternOf(run, "refund");
    const topUp = patternOf(run, "top up");
    await decide(agentId, refund.id, "approve");
    await decide(agentId, topUp.id, "approve");
    // The model now answers top-up questions with another topic's facts: the canary would be wrong.
    await setOracle(agentId, { "help with refund please": FACTS[TOPICS.indexOf("refund")]!, "help with top up please": FACTS[TOPICS.indexOf("statement")]! }, "merge");
    for (let i = 0; i < 16; i++) await ask(agentId, "help with refund please", `agree-${i}`);
    for (let i = 0; i < 6; i++) await ask(agentId, "help with top up please", `disagree-${i}`);
    const promoted = await waitForPattern(agentId, refund.id, (p) => p.status === "active", "active");
    expect(promoted.changed?.by).toBe("canary");
    expect(promoted.rollout?.disagreed).toBe(0);
    const rolledBack = await waitForPattern(agentId, topUp.id, (p) => p.status === "rolled_back", "rolled back");
    expect(rolledBack.rollout?.disagreed).toBeGreaterThanOrEqual(3);
  });

  it("compares a pattern waiting for approval in shadow, so its canary starts with that evidence", async () => {
    const { agentId, run } = await learnedAgent({ strategy: "canary", rolloutPercentage: 1 }, { patterns: { minOccurrences: 10, confidenceThreshold: 0.9 } });
    const refund = patternOf(run, "refund");
    for (let i = 0; i < 14; i++) expect((await ask(agentId, "help with refund please", `pending-${i}`)).tier).toBe("intelligent");
    const waiting = await waitForPattern(agentId, refund.id, (p) => (p.rollout?.shadow ?? 0) >= 14, "compared 14 times");
    expect(waiting).toMatchObject({ status: "pending_approval", rollout: { served: 0, disagreed: 0 } });
    await decide(agentId, refund.id, "approve");
    // A conversation outside the 1% the canary answers, so the model answers and is compared.
    const outside = Array.from({ length: 50 }, (_, i) => `after-${i}`).find((c) => !inRollout(agentId, c, 1))!;
    expect((await ask(agentId, "help with refund please", outside)).tier).toBe("intelligent");
    await waitForPattern(agentId, refund.id, (p) => p.status === "active", "promoted");
  });

  it("never serves a rejected pattern", async () => {
    const { agentId, run } = await learnedAgent({ strategy: "canary", rolloutPercentage: 100 });
    const refund = patternOf(run, "refund");
    const pin = patternOf(run, "pin change");
    expect((await decide(agentId, pin.id, "reject", { note: "not our wording" })).status).toBe(200);
    expect((await ask(agentId, "help with pin change please", "r0")).tier).toBe("intelligent");
    await decide(agentId, refund.id, "approve");
    expect((await ask(agentId, "help with refund please", "r1")).tier).toBe("pattern");
    const rejected = await decide(agentId, refund.id, "reject");
    expect(await rejected.json()).toMatchObject({ previousStatus: "canary", status: "rejected" });
    expect((await ask(agentId, "help with refund please", "r2")).tier).toBe("intelligent");
    // A new run keeps it rejected.
    await learnRun(agentId);
    expect((await admin(`/v1/agents/${agentId}/patterns/${refund.id}`).then((r) => r.json()) as PatternJson).status).toBe("rejected");
    expect((await ask(agentId, "help with refund please", "r3")).tier).toBe("intelligent");
    // What KV keeps: one manifest (the current version) and one matcher (the run that serves).
    const manifests = await env.CACHE.list({ prefix: `learn:manifest:${agentId}:` });
    expect(manifests.keys).toHaveLength(1);
    expect((await env.CACHE.list({ prefix: `learn:matcher:${agentId}:` })).keys).toHaveLength(1);
  });

  it("serves after validation alone with requireApproval off and strategy immediate", async () => {
    const { agentId, run } = await learnedAgent({ strategy: "immediate" }, { capabilities: { requireApproval: false } });
    expect(run.candidates.every((c) => c.status === "active")).toBe(true);
    const tiers = [];
    for (let i = 0; i < 3; i++) tiers.push((await ask(agentId, "help with refund please", `i-${i}`)).tier);
    expect(tiers).toContain("pattern");
    const [event] = await flushedSql<{ details: string }>(agentId, "SELECT details FROM audit_events WHERE agent_id = ? AND action = 'pattern.deployed' LIMIT 1");
    expect(JSON.parse(event!.details)).toMatchObject({ to: "active", reason: "requireApproval is off" });

    // Learning analytics: what each pattern served and saved, and each tier's share of the day.
    const served = tiers.filter((t) => t === "pattern").length;
    let analytics: { patterns: Array<{ id: string; served: number; savingsUsd: number | null }>; served: number; byStatus: Record<string, number>; days: Array<{ shares: Record<string, number> }> } | undefined;
    for (let i = 0; i < 100 && (analytics?.served ?? 0) < served; i++) {
      analytics = (await (await admin(`/v1/agents/${agentId}/learning/analytics`)).json()) as typeof analytics;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(analytics!.served).toBe(served);
    expect(analytics!.byStatus).toEqual({ active: run.candidates.length });
    expect(analytics!.patterns.find((p) => p.id === patternOf(run, "refund").id)?.served).toBe(served);
    expect(analytics!.days.at(-1)!.shares.pattern).toBeGreaterThan(0);
    expect((await admin(`/v1/agents/${agentId}/learning/analytics?from=tomorrow`)).status).toBe(400);
    expect((await admin(`/v1/agents/no-such-${crypto.randomUUID().slice(0, 6)}/learning/analytics`)).status).toBe(404);
  });

  it("never answers a critical message, a follow-up, or another agent's customers", async () => {
    const { agentId } = await learnedAgent({ strategy: "immediate" }, { capabilities: { requireApproval: false } });
    expect((await ask(agentId, "help with refund please, my card was stolen, block it now!", "k0")).tier).toBe("intelligent");
    await ask(agentId, "Hello, I have a few questions", "k1");
    expect((await ask(agentId, "help with refund please", "k1")).tier).toBe("intelligent");

    const other = await trafficAgent(0, NO_CACHE);
    const reply = await ask(other, "help with refund please", "o1");
    expect(reply.tier).toBe("intelligent");
    expect(reply.text).not.toContain(FACTS[TOPICS.indexOf("refund")]!);
  });

  it("refuses decisions that do not apply (409), unknown patterns and other agents' (404), bad bodies (400), wrong keys (401)", async () => {
    const { agentId, run } = await learnedAgent({ strategy: "canary" });
    const refund = patternOf(run, "refund");
    expect((await decide(agentId, refund.id, "rollback")).status).toBe(409);
    const other = await trafficAgent(0);
    expect((await decide(other, refund.id, "approve")).status).toBe(404);
    expect((await decide(agentId, "pat_nothing", "approve")).status).toBe(404);
    expect((await decide(agentId, refund.id, "approve", { note: "x".repeat(1001) })).status).toBe(400);
    expect((await decide(agentId, refund.id, "approve", { nope: 1 })).status).toBe(400);
    expect((await admin(`/v1/agents/${agentId}/patterns/${refund.id}/approve`, { method: "POST", body: "{not json" })).status).toBe(400);
    expect((await admin(`/v1/agents/${agentId}/patterns/${refund.id}/approve`, { method: "POST", token: "wrong" })).status).toBe(401);
    expect((await admin(`/v1/agents/${agentId}/patterns/${refund.id}/promote`, { method: "POST" })).status).toBe(404);
    expect((await getStatus(agentId, refund.id))).toBe("pending_approval");
  });

  it("exports active patterns as a pack with no request text, and imports them to wait for the new agent's own traffic", async () => {
    const { agentId, run } = await learnedAgent({ strategy: "immediate" }, { capabilities: { requireApproval: false } });
    const res = await admin(`/v1/agents/${agentId}/patterns/export`);
    expect(res.status).toBe(200);
    const pack = (await res.json()) as { format: string; patterns: Array<{ canonicalAnswer: string; signature: number[] }> };
    expect(pack.format).toBe("foreman.patterns/1");
    expect(pack.patterns).toHaveLength(run.candidates.length);
    const text = JSON.stringify(pack);
    for (const question of TOPICS.flatMap(askings)) expect(text).not.toContain(question);
    expect(text).not.toContain("You asked about");

    // Another agent: imported, never serving before its own traffic proves them.
    const other = await trafficAgent(0, { ...NO_CACHE, learning: { capabilities: { requireApproval: false }, deployment: { strategy: "immediate" } } });
    await setOracle(other, { "help with refund please": FACTS[TOPICS.indexOf("refund")]! });
    const imported = await admin(`/v1/agents/${other}/patterns/import`, { method: "POST", body: text });
    expect(imported.status).toBe(200);
    expect(((await imported.json()) as { imported: string[] }).imported).toHaveLength(pack.patterns.length);
    const again = (await (await admin(`/v1/agents/${other}/patterns/import`, { method: "POST", body: text })).json()) as { imported: string[]; skipped: number };
    expect(again).toMatchObject({ imported: [], skipped: pack.patterns.length });
    const listed = (await (await admin(`/v1/agents/${other}/patterns?status=imported`)).json()) as { patterns: PatternJson[] };
    expect(listed.patterns).toHaveLength(pack.patterns.length);
    expect((await decide(other, listed.patterns[0]!.id, "approve")).status).toBe(409);
    expect((await ask(other, "help with refund please", "p0")).tier).toBe("intelligent");

    await storeTraffic(other, 60);
    const rerun = await learnRun(other);
    expect(rerun.candidates).toHaveLength(0);
    expect(rerun.known).toBe(pack.patterns.length);
    const refund = listed.patterns.find((p) => p.canonicalAnswer.includes(FACTS[TOPICS.indexOf("refund")]!))!;
    expect(await getStatus(other, refund.id)).toBe("active");
    expect((await ask(other, "help with refund please", "p1")).tier).toBe("pattern");
  });

  it("refuses a pack that is not one (400), naming the field", async () => {
    const agentId = await trafficAgent(0);
    const post = (body: string) => admin(`/v1/agents/${agentId}/patterns/import`, { method: "POST", body });
    expect((await post("{nope")).status).toBe(400);
    const wrongFormat = await post(JSON.stringify({ format: "other/1", exportedAt: "x", patterns: [] }));
    expect(wrongFormat.status).toBe(400);
    expect(await wrongFormat.text()).toContain("format");
    const requestText = await post(JSON.stringify({ format: "foreman.patterns/1", exportedAt: "x", patterns: [{ canonicalAnswer: "a", signature: [1, 2, 3], examples: 1, question: "leaked?" }] }));
    expect(requestText.status).toBe(400);
    expect((await post(JSON.stringify({ format: "foreman.patterns/1", exportedAt: "x", patterns: [{ canonicalAnswer: "a", signature: [1], examples: 1 }] }))).status).toBe(400);
    // An answer that does not say what its signature says (another pack's facts, or anything else).
    const mismatched = await post(JSON.stringify({ format: "foreman.patterns/1", exportedAt: "x", patterns: [{ canonicalAnswer: "Send your password to this address.", signature: [11, 22, 33], examples: 5 }] }));
    expect(mismatched.status).toBe(400);
    expect(await mismatched.text()).toContain("patterns.0.canonicalAnswer");
    expect((await post("x".repeat(5 * 1024 * 1024))).status).toBe(413);
    expect(((await (await admin(`/v1/agents/${agentId}/patterns`)).json()) as { patterns: unknown[] }).patterns).toEqual([]);
  });

  it("counts negative feedback that arrives in the same batch as the answer, and lets feedback on a model answer go", async () => {
    const { agentId, run } = await learnedAgent({ strategy: "canary", rolloutPercentage: 100 });
    const refund = patternOf(run, "refund");
    await decide(agentId, refund.id, "approve");
    const at = Date.now();
    const interactionId = crypto.randomUUID();
    const bodies = [
      { type: "pattern_sample", sample: { agentId, interactionId, patternId: refund.id, kind: "served", error: false, at } },
      { type: "feedback", feedback: { agentId, interactionId, outcome: "error", at } },
      // Feedback on an interaction not stored yet waits; after its last look, it goes.
      { type: "feedback", feedback: { agentId, interactionId: "not-stored-yet", outcome: "error", at } },
    ];
    const batch = createMessageBatch(QUEUES.learning, bodies.map((body, i) => ({ id: `f-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })));
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual([batch.messages[2]!.id]);
    expect((await getPattern(agentId, refund.id)).rollout).toMatchObject({ served: 1, negativeFeedback: 1 });

    const last = createMessageBatch(QUEUES.learning, [{ id: `f-last-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 4, body: bodies[2]! }]);
    const ctx2 = createExecutionContext();
    await worker.queue(last, env, ctx2);
    expect((await getQueueResult(last, ctx2)).retryMessages).toEqual([]);
  });
});

async function getStatus(agentId: string, patternId: string): Promise<string> {
  return ((await (await admin(`/v1/agents/${agentId}/patterns/${patternId}`)).json()) as PatternJson).status;
}
