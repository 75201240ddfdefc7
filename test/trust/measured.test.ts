import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { TrustStore } from "../../src/trust/store";
import { admin, createAgent, type HttpReply, sendHttp } from "../support/agents";

async function level(agentId: string): Promise<{ level: number; window: { outcomes: number } }> {
  return (await (await admin(`/v1/agents/${agentId}/trust`)).json()) as { level: number; window: { outcomes: number } };
}

describe("trust measures the agent's own work", () => {
  it("never rises on answers no model made: 25 greetings answered by a rule leave it where it was", async () => {
    const agentId = await createAgent({ trust: SEED_EXAMPLE_CONFIG.trust, optimization: SEED_EXAMPLE_CONFIG.optimization });
    for (let i = 0; i < 25; i++) {
      const res = await sendHttp(agentId, { id: `h${i}`, conversation: `c${i}`, from: `s${i}`, text: "hello" });
      expect(((await res.json()) as HttpReply).tier).toBe("rule");
    }
    const now = await level(agentId);
    expect(now.level).toBe(0.3);
    expect(now.window.outcomes).toBe(0);
    // The answers are still there to give feedback on.
    const res = await sendHttp(agentId, { id: "h-last", conversation: "c-last", from: "s-last", text: "hi" });
    const { id } = (await res.json()) as HttpReply;
    const feedback = await admin(`/v1/agents/${agentId}/feedback`, { method: "POST", body: JSON.stringify({ interactionId: id, outcome: "error" }) });
    expect(feedback.status).toBe(200);
  });
});

describe("feedback by who gave it", () => {
  const stub = () => env.AGENT_STATE.get(env.AGENT_STATE.idFromName(`trust-store-${crypto.randomUUID()}`));
  const state = { level: 0.3, frozen: false, frozenReason: null, lastChangeAt: null, lastEvaluatedAt: null, windowStartSeq: 0 };

  it("lets a customer make an answer worse, never better, and never undo an operator's word", async () => {
    await runInDurableObject(stub(), (_instance, ctx) => {
      const store = new TrustStore(ctx.storage.sql);
      store.record("a", "error", 1);
      store.record("b", "success", 2);
      store.record("c", "success", 3);
      // 👍 on an error changes nothing; 👎 on a success counts.
      expect(store.feedback("a", "success", "+1", "customer")).toEqual({ applied: false });
      expect(store.feedback("b", "error", "-1", "customer")).toEqual({ applied: true });
      // The operator decides, and a customer cannot overturn it.
      expect(store.feedback("c", "success", "checked", "operator")).toEqual({ applied: true });
      expect(store.feedback("c", "error", "-1", "customer")).toEqual({ applied: false });
      expect(store.feedback("a", "success", "was right after all", "operator")).toEqual({ applied: true });
      expect(store.feedback("zzz", "error", null, "operator")).toBeNull();
      expect(store.window(state, 100, null, 1).sort()).toEqual(["error", "success", "success"]);
    });
  });

  it("lets customers' feedback decide at most a fifth of the measured window", async () => {
    await runInDurableObject(stub(), (_instance, ctx) => {
      const store = new TrustStore(ctx.storage.sql);
      for (let i = 0; i < 20; i++) store.record(`m${i}`, "success", i);
      // One customer thumbs-down every answer.
      for (let i = 0; i < 20; i++) store.feedback(`m${i}`, "error", "-1", "customer");
      const window = store.window(state, 100, null);
      expect(window.filter((o) => o === "error")).toHaveLength(4);
      // An operator's verdicts are not capped.
      for (let i = 0; i < 10; i++) store.feedback(`m${i}`, "error", "confirmed", "operator");
      expect(store.window(state, 100, null).filter((o) => o === "error")).toHaveLength(14);
    });
  });

  it("keeps unmeasured answers out of the window and its count", async () => {
    await runInDurableObject(stub(), (_instance, ctx) => {
      const store = new TrustStore(ctx.storage.sql);
      store.record("rule-1", "success", 1, false);
      store.record("model-1", "success", 2, true);
      expect(store.window(state, 100, null)).toEqual(["success"]);
      expect(store.sinceChange(state)).toBe(1);
      expect(store.feedback("rule-1", "error", null, "operator")).toEqual({ applied: true });
    });
  });
});
