import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { shards } from "../../src/db/shards";
import { agentKey } from "../../src/state/agent-directory";
import { admin, createAgent, uniqueAgentId } from "../support/agents";
import { mutate, mutation } from "./mutate";
import { anyJson, anyText, nearly, objectRows, RUNS } from "./support";

/** A PUT body: the seed config (or a small one) with a few changes, and odd prompts, models and secrets. */
const putBody = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        fc.constantFrom<unknown>(SEED_EXAMPLE_CONFIG, { trust: { initial: 0.5 } }, {}, { name: "Shop", optimization: { budget: { daily: 5 } } }),
        fc.array(mutation, { minLength: 0, maxLength: 2 }),
        fc.record(
          { systemPrompt: fc.oneof(fc.string({ maxLength: 30 }), anyJson), model: fc.oneof(fc.constant("claude-sonnet-5-5"), anyJson), secrets: fc.oneof(fc.constant({ http: "s3cret" }), anyJson) },
          { requiredKeys: [] },
        ),
        fc.boolean(),
      )
      .map(([config, changes, extra, plain]) => ({ config: mutate(config, changes), ...(plain ? {} : extra) })),
  },
  { weight: 1, arbitrary: anyJson },
);

async function agentLeftBehind(agentId: string): Promise<string[]> {
  const left: string[] = [];
  for (const shard of shards(env).all) {
    const row = await shard.db.prepare("SELECT id FROM agents WHERE id = ?").bind(agentId).first();
    if (row) left.push(`D1 agents row in ${shard.name}`);
  }
  if ((await env.CACHE.get(agentKey(agentId))) !== null) left.push("KV directory key");
  const wanted = env.AGENT_STATE.idFromName(agentId).toString();
  if ((await listDurableObjectIds(env.AGENT_STATE)).some((id) => id.toString() === wanted)) left.push("agent object");
  return left;
}

describe("PUT /v1/agents/:agentId with any body", () => {
  it("never answers 5xx, and a refused body leaves no D1 row, no directory key and no agent object", async () => {
    let refused = 0;
    let created = 0;
    await fc.assert(
      fc.asyncProperty(putBody, async (body) => {
        const agentId = uniqueAgentId("prop");
        const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify(body) });
        expect(res.status, JSON.stringify(body)).toBeLessThan(500);
        if (res.status < 400) {
          created += 1;
          return;
        }
        refused += 1;
        const json = (await res.json()) as { error: { code: string; message: string } };
        expect(json.error.message.length).toBeGreaterThan(0);
        expect(await agentLeftBehind(agentId), JSON.stringify(body)).toEqual([]);
      }),
      RUNS,
    );
    expect(refused).toBeGreaterThan(0);
    expect(created).toBeGreaterThan(0);
  });
});

/** Agent-scoped admin bodies, each refused body leaving the agent's object as it was. */
const ROUTES: Array<{ name: string; method: string; path: (agentId: string) => string; body: fc.Arbitrary<unknown> }> = [
  {
    name: "POST /trust",
    method: "POST",
    path: (a) => `/v1/agents/${a}/trust`,
    body: nearly({ action: fc.constantFrom("set", "freeze", "unfreeze", "raise"), level: fc.oneof(fc.double(), fc.integer()), reason: anyText }),
  },
  {
    name: "POST /feedback",
    method: "POST",
    path: (a) => `/v1/agents/${a}/feedback`,
    body: nearly({ interactionId: fc.oneof(fc.uuid(), anyText), outcome: fc.constantFrom("success", "error", "escalated", "great"), note: anyText }),
  },
  {
    name: "POST /approvals/:id",
    method: "POST",
    path: (a) => `/v1/agents/${a}/approvals/apr_${crypto.randomUUID()}`,
    body: nearly({ decision: fc.constantFrom("approve", "reject", "maybe"), note: anyText }),
  },
  {
    name: "PUT /legal-hold",
    method: "PUT",
    path: (a) => `/v1/agents/${a}/legal-hold`,
    body: nearly({ reason: anyText }),
  },
  {
    name: "POST /patterns/import",
    method: "POST",
    path: (a) => `/v1/agents/${a}/patterns/import`,
    body: nearly({ version: fc.integer(), patterns: fc.array(anyJson, { maxLength: 3 }), agentId: anyText }),
  },
  {
    name: "POST /patterns/:id/approve",
    method: "POST",
    path: (a) => `/v1/agents/${a}/patterns/p-${crypto.randomUUID().slice(0, 8)}/approve`,
    body: nearly({ note: anyText }),
  },
];

describe("agent-scoped admin bodies", () => {
  for (const route of ROUTES) {
    it(`${route.name}: never 5xx, and a refused body changes nothing in the agent's object`, async () => {
      const agentId = await createAgent();
      await fc.assert(
        fc.asyncProperty(fc.oneof(route.body, anyJson), async (body) => {
          const before = await objectRows(agentId);
          const res = await admin(route.path(agentId), { method: route.method, body: JSON.stringify(body) ?? "" });
          expect(res.status, JSON.stringify(body)).toBeLessThan(500);
          if (res.status >= 400) expect(await objectRows(agentId)).toEqual(before);
        }),
        { seed: RUNS.seed, numRuns: 15 },
      );
    });
  }
});

describe("POST /v1/keys with any body", () => {
  it("never answers 5xx, and a refused body stores no key", async () => {
    const count = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM api_keys").first<{ n: number }>())!.n;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(nearly({ role: fc.constantFrom("admin", "operator", "viewer", "root"), agents: fc.array(fc.oneof(fc.constant("agent-1"), anyText), { maxLength: 3 }), name: anyText }), anyJson),
        async (body) => {
          const before = await count();
          const res = await admin("/v1/keys", { method: "POST", body: JSON.stringify(body) ?? "" });
          expect(res.status, JSON.stringify(body)).toBeLessThan(500);
          if (res.status >= 400) expect(await count()).toBe(before);
        },
      ),
      RUNS,
    );
  });
});
