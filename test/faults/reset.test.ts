import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/core/crypto";
import type { AgentState } from "../../src/state/agent-state";
import { createAgent, type HttpReply, sendHttp } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";
import { appOver, capturedLogger, envWith } from "./support";

const stateOf = (agentId: string) => env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));

/** Resets the agent's object as a deploy or an eviction would: the instance is gone, its storage stays. */
async function resetObject(agentId: string): Promise<void> {
  await runInDurableObject(stateOf(agentId), (_instance, state) => state.abort("reset by the test")).catch(() => {});
}

/**
 * The agent namespace, with the object reset once, right after the first `method` call of the
 * request has been answered (the reservation is stored; the rest of the request is not).
 */
function resettingAfter(method: keyof AgentState, agentId: string, opts: { hideReply?: boolean } = {}): DurableObjectNamespace<AgentState> {
  const ns = env.AGENT_STATE;
  let reset = false;
  return new Proxy(ns, {
    get(target, prop) {
      if (prop !== "get") {
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (id: DurableObjectId) => {
        const stub = target.get(id);
        return new Proxy(stub, {
          get(s, p) {
            const value = Reflect.get(s, p);
            // An RPC stub's methods are called on the stub itself (never `bind`: that would be an RPC call too).
            if (typeof p !== "string" || typeof value !== "function") return value;
            const call = (...args: unknown[]) => (s as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[p]!(...args);
            if (p !== method) return call;
            return async (...args: unknown[]) => {
              const result = await call(...args);
              if (!reset) {
                reset = true;
                await resetObject(agentId);
                // The call was applied, but its caller sees only the reset (as when it lands mid-reply).
                if (opts.hideReply) throw Object.assign(new Error("Durable Object reset because its code was updated."), { durableObjectReset: true });
              }
              return result;
            };
          },
        });
      };
    },
  }) as DurableObjectNamespace<AgentState>;
}

describe("the agent's object reset in the middle of a message", () => {
  it("settles the reservation, records the outcome and answers, when the reset falls between reserveCall and finish", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "text", text: "We open at nine." }]);
    const { logger } = capturedLogger();
    const target = appOver(envWith({ AGENT_STATE: resettingAfter("reserveCall", agentId) }), logger);
    const res = await sendHttp(agentId, { id: "r-1", conversation: "rc-1", from: "customer", text: "When do you open?" }, { target });
    expect(res.status).toBe(200);
    expect(((await res.json()) as HttpReply).text).toBe("We open at nine.");

    const stub = stateOf(agentId);
    const budget = await stub.budget(Date.now());
    expect(budget.openReservations).toBe(0);
    expect(budget.reservedMicros).toBe(0);
    expect(budget.spentMicros).toBeGreaterThan(0);
    expect((await stub.outcomeSummary()).counts).toEqual({ success: 1 });

    // The customer's retry of the same message replays the answer; the model is not asked again.
    const again = await sendHttp(agentId, { id: "r-1", conversation: "rc-1", from: "customer", text: "When do you open?" });
    expect(again.status).toBe(200);
    expect(((await again.json()) as HttpReply).text).toBe("We open at nine.");
    expect((await modelRequests(agentId)).length).toBe(1);
  });

  it("answers a rule's reply when the reset falls between admit and finish", async () => {
    const agentId = await createAgent({ optimization: { cacheRules: [{ pattern: "opening hours", ttl: 600, response: "9 to 5." }] } });
    const target = appOver(envWith({ AGENT_STATE: resettingAfter("admit", agentId) }), capturedLogger().logger);
    const res = await sendHttp(agentId, { id: "r-2", conversation: "rc-2", from: "customer", text: "opening hours?" }, { target });
    expect(res.status).toBe(200);
    expect(((await res.json()) as HttpReply).text).toBe("9 to 5.");
  });
});

describe("the agent's object reset as finish replies", () => {
  it("answers once: the finish sent again applies nothing twice", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "text", text: "Yes, we deliver." }]);
    const target = appOver(envWith({ AGENT_STATE: resettingAfter("finish", agentId, { hideReply: true }) }), capturedLogger().logger);
    const res = await sendHttp(agentId, { id: "r-3", conversation: "rc-3", from: "customer", text: "Do you deliver?" }, { target });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as HttpReply;
    expect(reply.text).toBe("Yes, we deliver.");
    const stub = stateOf(agentId);
    const budget = await stub.budget(Date.now());
    expect(budget.openReservations).toBe(0);
    // The call's cost, counted once.
    expect(budget.spentMicros).toBe(Math.round(reply.costUsd * 1e6));
    expect((await stub.outcomeSummary()).counts).toEqual({ success: 1 });
    expect((await modelRequests(agentId)).length).toBe(1);
  });
});

describe("the agent's object reset as reserveCall replies", () => {
  it("answers with one reservation, settled to the call's cost, and the claim still this attempt's", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [{ type: "text", text: "Parcels take two days." }]);
    const target = appOver(envWith({ AGENT_STATE: resettingAfter("reserveCall", agentId, { hideReply: true }) }), capturedLogger().logger);
    const res = await sendHttp(agentId, { id: "r-4", conversation: "rc-4", from: "customer", text: "How long does shipping take?" }, { target });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as HttpReply;
    const budget = await stateOf(agentId).budget(Date.now());
    expect(budget).toMatchObject({ openReservations: 0, reservedMicros: 0, spentMicros: Math.round(reply.costUsd * 1e6) });
    expect((await stateOf(agentId).outcomeSummary()).counts).toEqual({ success: 1 });
  });
});

describe("finish repeated by the attempt that already finished", () => {
  it("changes nothing the second time: no second settlement, outcome or audit event", async () => {
    const agentId = await createAgent();
    const stub = stateOf(agentId);
    const now = Date.now();
    const claim = { deliveryId: "d-1", fingerprint: await sha256Hex("d-1"), owner: "attempt-1" };
    const reserved = await stub.reserveCall({ amount: 50_000, now, claim });
    if (reserved.kind !== "reserved") throw new Error(`not reserved: ${reserved.kind}`);
    const finish = {
      now,
      claim,
      response: JSON.stringify({ text: "ok" }),
      settle: [{ reservationId: reserved.reservationId, actualMicros: 1234 }],
      outcome: { interactionId: "i-1", outcome: "success" as const, denials: [] },
      events: [{ level: "minimal" as const, event: { at: now, actor: "customer", action: "message.answered", resource: "d-1", decision: "recorded" as const, details: {} } }],
    };
    expect(await stub.finish(finish)).toEqual({ kind: "done" });
    const outboxBefore = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n);
    expect(await stub.finish(finish)).toEqual({ kind: "done" });
    expect((await stub.budget(now)).spentMicros).toBe(1234);
    expect((await stub.outcomeSummary()).counts).toEqual({ success: 1 });
    const outboxAfter = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n);
    expect(outboxAfter).toBeLessThanOrEqual(outboxBefore);
  });

  it("gives a failed attempt's claim back once: a repeat records no second error outcome or settlement", async () => {
    const agentId = await createAgent();
    const stub = stateOf(agentId);
    const now = Date.now();
    const claim = { deliveryId: "d-3", fingerprint: await sha256Hex("d-3"), owner: "attempt-3" };
    const reserved = await stub.reserveCall({ amount: 50_000, now, claim });
    if (reserved.kind !== "reserved") throw new Error(`not reserved: ${reserved.kind}`);
    const failed = { now, claim, settle: [{ reservationId: reserved.reservationId, actualMicros: 99 }], outcome: { interactionId: "i-3", outcome: "error" as const, denials: [] } };
    expect(await stub.finish(failed)).toEqual({ kind: "done" });
    expect(await stub.finish(failed)).toEqual({ kind: "done" });
    expect((await stub.budget(now)).spentMicros).toBe(99);
    expect((await stub.outcomeSummary()).counts).toEqual({ error: 1 });
  });

  it("gives a reserveCall sent again the same reservation, so none is left to expire at its worst case", async () => {
    const agentId = await createAgent();
    const stub = stateOf(agentId);
    const now = Date.now();
    const claim = { deliveryId: "d-4", fingerprint: await sha256Hex("d-4"), owner: "attempt-4" };
    const input = { amount: 50_000, now, claim, callId: "attempt-4:1" };
    const first = await stub.reserveCall(input);
    const again = await stub.reserveCall(input);
    expect(first.kind).toBe("reserved");
    expect(again).toEqual(first);
    expect(await stub.budget(now)).toMatchObject({ openReservations: 1, reservedMicros: 50_000 });
  });

  it("keeps the claim of a repeated reserveCall by its own attempt, and counts a repeated settlement once", async () => {
    const agentId = await createAgent();
    const stub = stateOf(agentId);
    const now = Date.now();
    const claim = { deliveryId: "d-2", fingerprint: await sha256Hex("d-2"), owner: "attempt-2" };
    const first = await stub.reserveCall({ amount: 50_000, now, claim });
    if (first.kind !== "reserved") throw new Error(`not reserved: ${first.kind}`);
    const settle = [{ reservationId: first.reservationId, actualMicros: 777 }];
    const second = await stub.reserveCall({ amount: 50_000, now, settle });
    expect(second.kind).toBe("reserved");
    // The same round trip again, as after a reset that hid its reply: the claim is still this attempt's.
    const repeated = await stub.reserveCall({ amount: 50_000, now, claim, settle });
    expect(repeated.kind).toBe("reserved");
    expect((await stub.budget(now)).spentMicros).toBe(777);
  });
});
