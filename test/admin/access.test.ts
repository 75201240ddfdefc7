import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { PACK_FORMAT } from "../../src/learn/packs";
import { admin, putAgent, uniqueAgentId } from "../support/agents";

/**
 * Every admin route × every kind of caller, with the status each must get. The table is checked
 * against the routes the app registers: a new admin route fails this file until it is added.
 */

const CALLERS = ["none", "wrong", "viewer", "otherOperator", "operator", "admin"] as const;
type Caller = (typeof CALLERS)[number];

/** The agents of one caller's request: `agentId` is the one the route is about. */
interface Ids {
  agentId: string;
}

interface Case {
  path: (ids: Ids) => string;
  body?: unknown;
  /** The route deletes or changes what a later caller needs: each caller gets its own agent. */
  fresh?: boolean;
  /** Statuses of the callers that pass auth; the others are fixed below. */
  viewer: number;
  operator: number;
  admin: number;
  /** An operator of other agents; 403 unless given (an agent listing is filtered, not refused). */
  otherOperator?: number;
}

const NOT_MINE = 403;
/** The config of every agent here: learning on, so `learn/run` runs. */
const CONFIG = { learning: { enabled: true } };
const READ = { viewer: 200, operator: 200, admin: 200 } as const;
/** A write an operator of the agent may make. */
const WRITE = { viewer: 403, operator: 200, admin: 200 } as const;

const TABLE: Record<string, Case> = {
  "GET /v1/agents": { path: () => "/v1/agents", ...READ, otherOperator: 200 },
  "PUT /v1/agents/:agentId": { path: (i) => `/v1/agents/${i.agentId}`, body: { config: CONFIG }, ...WRITE },
  "GET /v1/agents/:agentId": { path: (i) => `/v1/agents/${i.agentId}`, ...READ },
  "DELETE /v1/agents/:agentId": { path: (i) => `/v1/agents/${i.agentId}`, fresh: true, ...WRITE },
  "GET /v1/agents/:agentId/trust": { path: (i) => `/v1/agents/${i.agentId}/trust`, ...READ },
  "POST /v1/agents/:agentId/trust": { path: (i) => `/v1/agents/${i.agentId}/trust`, body: { action: "freeze", reason: "checking access" }, ...WRITE },
  // The interaction is unknown: 404 shows the request got past access control to the route.
  "POST /v1/agents/:agentId/feedback": { path: (i) => `/v1/agents/${i.agentId}/feedback`, body: { interactionId: "int_unknown", outcome: "success" }, viewer: 403, operator: 404, admin: 404 },
  "GET /v1/agents/:agentId/trust/analytics": { path: (i) => `/v1/agents/${i.agentId}/trust/analytics`, ...READ },
  "GET /v1/agents/:agentId/approvals": { path: (i) => `/v1/agents/${i.agentId}/approvals`, ...READ },
  "POST /v1/agents/:agentId/approvals/:approvalId": { path: (i) => `/v1/agents/${i.agentId}/approvals/apr_unknown`, body: { decision: "approve" }, viewer: 403, operator: 404, admin: 404 },
  "GET /v1/agents/:agentId/analytics": { path: (i) => `/v1/agents/${i.agentId}/analytics`, ...READ },
  "GET /v1/agents/:agentId/budget": { path: (i) => `/v1/agents/${i.agentId}/budget`, ...READ },
  "GET /v1/agents/:agentId/channels/analytics": { path: (i) => `/v1/agents/${i.agentId}/channels/analytics`, ...READ },
  "GET /v1/agents/:agentId/conversations": { path: (i) => `/v1/agents/${i.agentId}/conversations`, ...READ },
  // A well-formed id the agent has no conversation for: 404 once past access control.
  "GET /v1/agents/:agentId/conversations/:conversationId": { path: (i) => `/v1/agents/${i.agentId}/conversations/${"0".repeat(32)}`, viewer: 404, operator: 404, admin: 404 },
  "GET /v1/agents/:agentId/audit/verify": { path: (i) => `/v1/agents/${i.agentId}/audit/verify`, ...READ },
  "GET /v1/agents/:agentId/audit": { path: (i) => `/v1/agents/${i.agentId}/audit`, ...READ },
  "GET /v1/agents/:agentId/alerts": { path: (i) => `/v1/agents/${i.agentId}/alerts`, ...READ },
  // An unknown alert: 404 once past access control.
  "POST /v1/agents/:agentId/alerts/:alertId/acknowledge": { path: (i) => `/v1/agents/${i.agentId}/alerts/alert-unknown/acknowledge`, viewer: 403, operator: 404, admin: 404 },
  "GET /v1/agents/:agentId/reports/:standard": { path: (i) => `/v1/agents/${i.agentId}/reports/SOC2`, ...READ },
  "GET /v1/agents/:agentId/legal-hold": { path: (i) => `/v1/agents/${i.agentId}/legal-hold`, ...READ },
  "PUT /v1/agents/:agentId/legal-hold": { path: (i) => `/v1/agents/${i.agentId}/legal-hold`, body: { reason: "litigation" }, fresh: true, ...WRITE },
  // Lifting a hold lets retention erase the trail: admin keys only.
  "DELETE /v1/agents/:agentId/legal-hold": { path: (i) => `/v1/agents/${i.agentId}/legal-hold`, viewer: 403, operator: 403, admin: 200 },
  // Moving an agent rewrites all of its rows: admin keys only. A shard no D1_SHARDS lists is
  // refused by the route (400): past access control, and nothing moves.
  "POST /v1/agents/:agentId/move": { path: (i) => `/v1/agents/${i.agentId}/move`, body: { shard: "NOT_A_SHARD" }, viewer: 403, operator: 403, admin: 400 },
  "POST /v1/agents/:agentId/learn/run": { path: (i) => `/v1/agents/${i.agentId}/learn/run`, ...WRITE },
  "GET /v1/agents/:agentId/patterns": { path: (i) => `/v1/agents/${i.agentId}/patterns`, ...READ },
  "GET /v1/agents/:agentId/learning/analytics": { path: (i) => `/v1/agents/${i.agentId}/learning/analytics`, ...READ },
  "GET /v1/agents/:agentId/patterns/export": { path: (i) => `/v1/agents/${i.agentId}/patterns/export`, ...READ },
  // An empty pack is refused by the route (400): past access control.
  "POST /v1/agents/:agentId/patterns/import": {
    path: (i) => `/v1/agents/${i.agentId}/patterns/import`,
    body: { format: PACK_FORMAT, exportedAt: new Date(0).toISOString(), patterns: [] },
    viewer: 403,
    operator: 400,
    admin: 400,
  },
  "GET /v1/agents/:agentId/patterns/:patternId": { path: (i) => `/v1/agents/${i.agentId}/patterns/pat_unknown`, viewer: 404, operator: 404, admin: 404 },
  "POST /v1/agents/:agentId/patterns/:patternId/:action{approve|reject|rollback}": {
    path: (i) => `/v1/agents/${i.agentId}/patterns/pat_unknown/approve`,
    viewer: 403,
    operator: 404,
    admin: 404,
  },
  "GET /v1/agents/:agentId/dead-letters": { path: (i) => `/v1/agents/${i.agentId}/dead-letters`, ...READ },
  "POST /v1/agents/:agentId/dead-letters/replay": { path: (i) => `/v1/agents/${i.agentId}/dead-letters/replay`, viewer: 403, operator: 202, admin: 202 },
  // An unknown dead letter: 404 once past access control.
  "POST /v1/agents/:agentId/dead-letters/:id/replay": { path: (i) => `/v1/agents/${i.agentId}/dead-letters/dlq-unknown/replay`, viewer: 403, operator: 404, admin: 404 },
  // Keys are managed by admin keys only, whatever their agents.
  "POST /v1/keys": { path: () => "/v1/keys", body: { role: "viewer", name: "made by the access table" }, viewer: 403, operator: 403, admin: 201, otherOperator: 403 },
  "GET /v1/keys": { path: () => "/v1/keys", viewer: 403, operator: 403, admin: 200, otherOperator: 403 },
  // An unknown (well-formed) key id: 404 once past access control.
  "DELETE /v1/keys/:id": { path: () => "/v1/keys/key_000000000000000000000000", viewer: 403, operator: 403, admin: 404, otherOperator: 403 },
  // The API's description holds no agent's data: every valid key reads it.
  "GET /v1/openapi.json": { path: () => "/v1/openapi.json", ...READ, otherOperator: 200 },
};

/** `METHOD path` of every admin route the app registers (middleware entries are `ALL`). */
function registeredAdminRoutes(): string[] {
  const routes = createApp().routes.filter((r) => r.path.startsWith("/v1/") && r.method !== "ALL");
  return [...new Set(routes.map((r) => `${r.method} ${r.path}`))].sort();
}

async function createKey(body: Record<string, unknown>): Promise<string> {
  const res = await admin("/v1/keys", { method: "POST", body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST /v1/keys failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** The agent each (route, caller) request is about: shared, or its own for `fresh` routes. */
const agentFor = new Map<string, string>();
const shared = uniqueAgentId("access");
const other = uniqueAgentId("access-other");
const freshIds = (route: string, caller: Caller) => `${route}|${caller}`;

const tokens = {} as Record<Caller, string | null>;

beforeAll(async () => {
  for (const [route, c] of Object.entries(TABLE)) {
    for (const caller of CALLERS) agentFor.set(freshIds(route, caller), c.fresh ? uniqueAgentId("access-fresh") : shared);
  }
  const mine = [...new Set(agentFor.values())];
  for (const agentId of [...mine, other]) await putAgent(agentId, { config: CONFIG });
  tokens.none = null;
  tokens.wrong = `fmk_${"A".repeat(43)}`;
  tokens.viewer = await createKey({ role: "viewer", name: "access viewer" });
  tokens.operator = await createKey({ role: "operator", agents: mine, name: "access operator" });
  tokens.otherOperator = await createKey({ role: "operator", agents: [other] });
  tokens.admin = await createKey({ role: "admin", name: "access admin" });
});

describe("admin access", () => {
  it("has a row for every admin route the app registers, and none for a route that is gone", () => {
    const registered = registeredAdminRoutes();
    expect(registered.filter((r) => !(r in TABLE)), "routes missing from the access table").toEqual([]);
    expect(Object.keys(TABLE).filter((r) => !registered.includes(r)), "rows for routes that no longer exist").toEqual([]);
  });

  for (const [route, c] of Object.entries(TABLE)) {
    it(`${route}: no key 401, wrong key 401, viewer ${c.viewer}, other operator ${c.otherOperator ?? NOT_MINE}, operator ${c.operator}, admin ${c.admin}`, async () => {
      const method = route.split(" ")[0]!;
      const expected: Record<Caller, number> = {
        none: 401,
        wrong: 401,
        viewer: c.viewer,
        otherOperator: c.otherOperator ?? NOT_MINE,
        operator: c.operator,
        admin: c.admin,
      };
      const got = {} as Record<Caller, number>;
      for (const caller of CALLERS) {
        const agentId = agentFor.get(freshIds(route, caller))!;
        // A hold to lift, placed by the bootstrap token, before each caller tries.
        if (route === "DELETE /v1/agents/:agentId/legal-hold") {
          await admin(`/v1/agents/${agentId}/legal-hold`, { method: "PUT", body: JSON.stringify({ reason: "to be lifted" }) });
        }
        const res = await admin(c.path({ agentId }), {
          method,
          token: tokens[caller],
          ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
        });
        got[caller] = res.status;
        await res.body?.cancel();
      }
      expect(got).toEqual(expected);
    });
  }
});

describe("admin access through encoded paths", () => {
  it("judges the agent the route will serve, however its path is spelled", async () => {
    const encode = (id: string) => [...id].map((ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");
    const status = async (path: string) => (await admin(path, { token: tokens.operator })).status;
    // Another agent, spelled so that a plain string match on the path would miss it.
    expect(await status(`/v1/%61gents/${other}/trust`)).toBe(403);
    expect(await status(`/v1/agents/${encode(other)}/trust`)).toBe(403);
    expect(await status(`/v1/agents/x/../${other}/trust`)).toBe(403);
    // Its own agent, encoded, is still its own.
    expect(await status(`/v1/agents/${encode(shared)}/trust`)).toBe(200);
    expect(await status(`/v1/%61gents/${shared}/trust`)).toBe(200);
  });
});
