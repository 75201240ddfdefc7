/**
 * From stored interactions to candidate patterns through the API: learnable model answers that
 * say the same facts become one candidate each, with a canonical answer, listed per agent and
 * never across agents. (How an answered message becomes a learnable interaction is tested in
 * interactions.test.ts; grouping itself in test/unit/learn-detect.test.ts.)
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { admin, createAgent } from "../support/agents";
import { flushedSql } from "../support/audit";
import { FACTS, PER_TOPIC, type RunJson as Report, TOPICS, trafficAgent } from "../support/learning";

describe("POST /v1/agents/:agentId/learn/run", () => {
  it("validates the patterns a matcher can tell apart with proven precision and enough coverage, and keeps the report", async () => {
    const agentId = await trafficAgent(60);
    const report = (await (await admin(`/v1/agents/${agentId}/learn/run`, { method: "POST" })).json()) as Report;
    expect(report.candidates).toHaveLength(TOPICS.length);
    for (const c of report.candidates) {
      // Valid, and with requireApproval on (the default) waiting for a person.
      expect(c.status).toBe("pending_approval");
      expect(c.report?.valid).toBe(true);
      expect(c.report?.threshold).toBeGreaterThan(0);
      expect(c.report?.errorBound).toBeLessThanOrEqual(0.05);
      expect(c.report?.coverage).toBeGreaterThanOrEqual(0.9);
      expect(c.report?.heldOut).toBeGreaterThan(0);
    }
    const validated = (await (await admin(`/v1/agents/${agentId}/patterns?status=pending_approval`)).json()) as { patterns: Array<{ report: { valid: boolean } }> };
    expect(validated.patterns).toHaveLength(TOPICS.length);
    expect(validated.patterns.every((p) => p.report.valid)).toBe(true);
  });

  it("turns each request type the model answered alike into one candidate, with its canonical answer, and lists it", async () => {
    const agentId = await trafficAgent();
    const res = await admin(`/v1/agents/${agentId}/learn/run`, { method: "POST" });
    expect(res.status).toBe(200);
    const report = (await res.json()) as Report;
    expect(report.learnable).toBe(TOPICS.length * PER_TOPIC);
    expect(report.candidates).toHaveLength(TOPICS.length);
    for (const c of report.candidates) {
      // Fifteen examples a pattern are too few to prove 0.95: candidates, each with its report.
      expect(c.status).toBe("candidate");
      expect(c.report).toMatchObject({ valid: false, threshold: null, target: 0.95 });
      expect(c.examples).toBe(PER_TOPIC);
      expect(FACTS.some((f) => c.canonicalAnswer.includes(f))).toBe(true);
    }
    const listed = (await (await admin(`/v1/agents/${agentId}/patterns?status=candidate`)).json()) as { patterns: Array<{ id: string }> };
    expect(listed.patterns.map((p) => p.id).sort()).toEqual(report.candidates.map((c) => c.id).sort());
    const one = await admin(`/v1/agents/${agentId}/patterns/${report.candidates[0]!.id}`);
    expect(((await one.json()) as { id: string }).id).toBe(report.candidates[0]!.id);
    const [event] = await flushedSql<{ details: string }>(agentId, "SELECT details FROM audit_events WHERE agent_id = ? AND action = 'learning.detected'");
    expect(JSON.parse(event!.details)).toMatchObject({ learnable: TOPICS.length * PER_TOPIC, candidates: TOPICS.length });
  });

  it("replaces the previous candidates on a new run, and never shows one agent's patterns to another", async () => {
    const agentId = await trafficAgent();
    const first = (await (await admin(`/v1/agents/${agentId}/learn/run`, { method: "POST" })).json()) as Report;
    const second = (await (await admin(`/v1/agents/${agentId}/learn/run`, { method: "POST" })).json()) as Report;
    const listed = (await (await admin(`/v1/agents/${agentId}/patterns`)).json()) as { patterns: Array<{ id: string }> };
    expect(listed.patterns.map((p) => p.id).sort()).toEqual(second.candidates.map((c) => c.id).sort());
    expect(listed.patterns.some((p) => first.candidates.some((c) => c.id === p.id))).toBe(false);

    const other = await createAgent({ learning: { enabled: true } });
    expect((await admin(`/v1/agents/${other}/patterns/${second.candidates[0]!.id}`)).status).toBe(404);
    expect(((await (await admin(`/v1/agents/${other}/patterns`)).json()) as { patterns: unknown[] }).patterns).toEqual([]);
  });

  it("refuses with 409 while learning is off, 400 for an unknown status, 404 for an unknown agent, 401 for a wrong key", async () => {
    const off = await createAgent({});
    const res = await admin(`/v1/agents/${off}/learn/run`, { method: "POST" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("learning.enabled");
    expect((await admin(`/v1/agents/${off}/patterns?status=bogus`)).status).toBe(400);
    expect((await admin(`/v1/agents/no-such-agent-${crypto.randomUUID().slice(0, 8)}/learn/run`, { method: "POST" })).status).toBe(404);
    expect((await admin(`/v1/agents/${off}/learn/run`, { method: "POST", token: "wrong" })).status).toBe(401);
    expect((await admin(`/v1/agents/${off}/patterns/pat_nothing`)).status).toBe(404);
  });

  it("runs hourly from the cron for agents that learned something new, unless optimization.patterns.autoDetect is off", async () => {
    const on = await trafficAgent(60);
    const off = await trafficAgent(60, { optimization: { patterns: { autoDetect: false } } });
    // The cron only enqueues; the jobs queue's consumer finds the agents and detects, one message each.
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "5 * * * *" }), env);
    await vi.waitFor(
      async () => {
        const listed = (await (await admin(`/v1/agents/${on}/patterns`)).json()) as { patterns: Array<{ status: string }> };
        expect(listed.patterns).toHaveLength(TOPICS.length);
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(((await (await admin(`/v1/agents/${off}/patterns`)).json()) as { patterns: unknown[] }).patterns).toEqual([]);
    const [event] = await flushedSql<{ actor: string }>(on, "SELECT actor FROM audit_events WHERE agent_id = ? AND action = 'learning.detected'");
    expect(event!.actor).toBe("system:learning");
    // Two agents' traffic and a detection run each: more than the default 5 s on a busy machine.
  }, 30_000);
});
