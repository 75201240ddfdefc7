/**
 * The OpenAPI document against the app: every route the app registers under /v1 is described
 * (and nothing else), and what every route really answers, with real keys and real data, fits
 * the document's schema for its status; request bodies the document accepts are accepted, and
 * bodies it rejects are refused by the route.
 */
import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Validator } from "@cfworker/json-schema";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { toOpenApiPath } from "../../src/admin/openapi/catalogue";
import { buildOpenApiDocument, ERROR_SCHEMA_REF, type JsonSchema, type OpenApiDocument } from "../../src/admin/openapi/document";
import { silentLogger } from "../../src/core/logger";
import type { WorkMessage } from "../../src/core/messages";
import { consumeDeadLetters } from "../../src/queues/consumer";
import { shardOf, shards } from "../../src/db/shards";
import { admin, createAgent, type HttpReply, putAgent, sendHttp, uniqueAgentId } from "../support/agents";
import { flushedSql } from "../support/audit";
import { learnRun, trafficAgent } from "../support/learning";
import { scriptModel } from "../support/model";
import { shardDb } from "../support/shards";

type Operation = { requestBody?: { content: Record<string, { schema: JsonSchema }> }; responses: Record<string, { content: Record<string, { schema: JsonSchema }> }> };

let doc: OpenApiDocument;
const operation = (method: string, honoPath: string): Operation => {
  const op = (doc.paths[toOpenApiPath(honoPath)] as Record<string, Operation> | undefined)?.[method.toLowerCase()];
  if (!op) throw new Error(`the document has no ${method} ${honoPath}`);
  return op;
};

function schemaOf(method: string, honoPath: string, status: number, type = "application/json"): JsonSchema {
  const response = operation(method, honoPath).responses[String(status)];
  if (!response) throw new Error(`${method} ${honoPath} documents no ${status}`);
  const schema = response.content[type]?.schema;
  if (!schema) throw new Error(`${method} ${honoPath} ${status} documents no ${type} body`);
  return schema.$ref === ERROR_SCHEMA_REF ? doc.components.schemas.Error : schema;
}

const problems = (schema: JsonSchema, value: unknown) => {
  const result = new Validator(schema as never, "2020-12", false).validate(value);
  return result.valid ? [] : result.errors.map((e) => `${e.instanceLocation}: ${e.error}`).slice(0, 8);
};

/** `METHOD path status` of every answer checked against the document. */
const checked = new Set<string>();

/** Sends the request, expects `status`, and checks the body against the document's schema for it. */
async function call(method: string, honoPath: string, path: string, status: number, body?: unknown, token?: string): Promise<any> {
  const res = await admin(path, { method, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }), ...(token ? { token } : {}) });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text.slice(0, 300)}`).toBe(status);
  const json = JSON.parse(text) as unknown;
  expect(problems(schemaOf(method, honoPath, status), json), `${method} ${honoPath} ${status}: ${text.slice(0, 300)}`).toEqual([]);
  checked.add(`${method} ${honoPath} ${status}`);
  return json;
}

/** A request body the document accepts (and the route takes), or one it rejects (and the route refuses). */
function expectRequest(method: string, honoPath: string, body: unknown, accepted: boolean) {
  const schema = operation(method, honoPath).requestBody?.content["application/json"]?.schema;
  if (!schema) throw new Error(`${method} ${honoPath} documents no request body`);
  expect(problems(schema, body).length === 0, `${method} ${honoPath} ${JSON.stringify(body).slice(0, 200)}`).toBe(accepted);
}

/** A body the document rejects must be refused by the route, with the error envelope. */
async function refused(method: string, honoPath: string, path: string, body: unknown) {
  expectRequest(method, honoPath, body, false);
  const res = await admin(path, { method, body: JSON.stringify(body) });
  expect([400, 422], `${method} ${path} took ${JSON.stringify(body)}`).toContain(res.status);
  const refusal = (await res.json()) as { error: { details?: { issues?: unknown[] } } };
  expect(problems(schemaOf(method, honoPath, res.status), refusal)).toEqual([]);
  // The refusal names the field, as the route's schema does.
  expect(refusal.error.details?.issues?.length, JSON.stringify(refusal)).toBeGreaterThan(0);
  checked.add(`${method} ${honoPath} ${res.status}`);
}

const SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";
let agentId: string;
let learner: string;
let reply: HttpReply;
let deadLetterId: string;
const unknown = uniqueAgentId("nobody");

beforeAll(async () => {
  doc = (await (await admin("/v1/openapi.json")).json()) as OpenApiDocument;
  // An agent with a slack channel (for a dead letter), an `ask` tool, and traffic through the HTTP channel.
  agentId = await createAgent(
    { trust: { initial: 0.3, ask: ["Write"] }, channels: [{ type: "slack" }], learning: { enabled: true } },
    { secrets: { http: "test-http-secret", slack: { signingSecret: SIGNING, botToken: `xoxb-${crypto.randomUUID()}` } } },
  );
  await scriptModel(agentId, [
    { type: "tool_use", calls: [{ name: "Write", input: { path: "refund.txt", content: "refund order 42" } }] },
    { type: "text", text: "{{tool_result}}" },
  ]);
  const asked = await sendHttp(agentId, { id: "m-ask", conversation: "c1", from: "customer", text: "Refund my order" });
  expect(asked.status).toBe(200);
  const hello = await sendHttp(agentId, { id: "m-hello", conversation: "c2", from: "customer", text: "When do you open?" });
  reply = (await hello.json()) as HttpReply;
  await flushedSql(agentId, "SELECT id FROM audit_events WHERE agent_id = ?");
  // Interactions reach D1 through the learning queue, in its next batch: the analytics read them once there.
  for (let i = 0; i < 200; i++) {
    const row = await (await shardDb(agentId)).prepare("SELECT COUNT(*) AS n FROM interactions WHERE agent_id = ?").bind(agentId).first<{ n: number }>();
    if ((row?.n ?? 0) >= 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await (await shardDb(agentId)).prepare("INSERT INTO alerts (id, agent_id, at, type, message, details, delivered_at, delivery_error) VALUES (?, ?, ?, 'budget_threshold', 'half the budget is spent', '{\"share\":0.5}', NULL, 'no alert channel configured')")
    .bind(`al-${crypto.randomUUID()}`, agentId, Date.now() - 1000)
    .run();
  const work: WorkMessage = {
    type: "channel_message",
    message: { agentId, channel: "slack", deliveryId: `Ev${crypto.randomUUID()}`, conversationKey: "C123ABC456:1700.0200", sender: "U061F7AUR", text: "Are you open?", receivedAt: Date.now() },
    reply: { kind: "slack", channelId: "C123ABC456", ts: "1700.0200", threadTs: "1700.0200" },
  };
  deadLetterId = `dlq-${crypto.randomUUID()}`;
  await consumeDeadLetters(createMessageBatch("foreman-dlq", [{ id: deadLetterId, timestamp: new Date(), attempts: 6, body: work }]), env, silentLogger);
  // Learned patterns, deployed at once, so there is a pack to export.
  learner = await trafficAgent(60, { optimization: { enableCache: false }, learning: { deployment: { strategy: "immediate" }, capabilities: { requireApproval: false } } });
  await learnRun(learner);
}, 60_000);

describe("GET /v1/openapi.json", () => {
  it("describes every method and path the app registers under /v1, and nothing else", () => {
    const registered = [
      ...new Set(
        createApp()
          .routes.filter((r) => r.path.startsWith("/v1/") && r.method !== "ALL")
          .map((r) => `${r.method} ${toOpenApiPath(r.path)}`),
      ),
    ].sort();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(registered.filter((r) => !documented.includes(r)), "routes missing from the document").toEqual([]);
    expect(documented.filter((d) => !registered.includes(d)), "documented routes that do not exist").toEqual([]);
  });

  it("serves the document the catalogue builds, readable by any valid key, and refuses none", async () => {
    expect(doc).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    const viewer = ((await call("POST", "/v1/keys", "/v1/keys", 201, { role: "viewer", name: "reads the document" })) as { key: string }).key;
    await call("GET", "/v1/openapi.json", "/v1/openapi.json", 200, undefined, viewer);
    const res = await admin("/v1/openapi.json", { token: null });
    expect(res.status).toBe(401);
    expect(problems(schemaOf("GET", "/v1/openapi.json", 401), await res.json())).toEqual([]);
    checked.add("GET /v1/openapi.json 401");
  });
});

describe("agents", () => {
  it("PUT, GET, list and DELETE answer as documented", async () => {
    const id = uniqueAgentId("doc");
    const body = { config: { name: "Doc shop" }, systemPrompt: "Be brief." };
    expectRequest("PUT", "/v1/agents/:agentId", body, true);
    await call("PUT", "/v1/agents/:agentId", `/v1/agents/${id}`, 201, body);
    await call("PUT", "/v1/agents/:agentId", `/v1/agents/${id}`, 200, { config: { name: "Doc shop" }, secrets: { extra: "s3cret" } });
    await refused("PUT", "/v1/agents/:agentId", `/v1/agents/${id}`, { configuration: { name: "renamed field" } });
    await refused("PUT", "/v1/agents/:agentId", `/v1/agents/${id}`, { config: {}, model: "" });
    const agent = (await call("GET", "/v1/agents/:agentId", `/v1/agents/${id}`, 200)) as Record<string, unknown>;
    // Strict enough to notice a renamed or a missing field.
    const { agentId: renamed, ...rest } = agent;
    expect(problems(schemaOf("GET", "/v1/agents/:agentId", 200), { ...rest, agent_id: renamed })).not.toEqual([]);
    expect(problems(schemaOf("GET", "/v1/agents/:agentId", 200), rest)).not.toEqual([]);
    await call("GET", "/v1/agents/:agentId", `/v1/agents/${unknown}`, 404);
    await call("GET", "/v1/agents/:agentId", "/v1/agents/-not-an-id", 400);
    await call("GET", "/v1/agents", "/v1/agents?limit=2", 200);
    await call("DELETE", "/v1/agents/:agentId", `/v1/agents/${id}`, 200);
    await call("DELETE", "/v1/agents/:agentId", `/v1/agents/${id}`, 404);
    const res = await admin("/v1/agents", { token: null });
    expect(problems(schemaOf("GET", "/v1/agents", 401), await res.json())).toEqual([]);
    checked.add("GET /v1/agents 401");
  });
});

describe("moving an agent", () => {
  it("moves to another shard, answers alreadyThere for its own, and refuses as documented", async () => {
    const id = await createAgent({ name: "Moving shop" });
    const path = "/v1/agents/:agentId/move";
    const here = (await shardOf(env, id)).name;
    const there = shards(env).all.find((s) => s.name !== here)!.name;
    expectRequest("POST", path, { shard: there }, true);
    const moved = (await call("POST", path, `/v1/agents/${id}/move`, 200, { shard: there })) as { from: string; to: string; moved: { agents: number } };
    expect([moved.from, moved.to, moved.moved.agents]).toEqual([here, there, 1]);
    const again = (await call("POST", path, `/v1/agents/${id}/move`, 200, { shard: there })) as { alreadyThere: boolean };
    expect(again.alreadyThere).toBe(true);
    await refused("POST", path, `/v1/agents/${id}/move`, { to: there });
    await refused("POST", path, `/v1/agents/${id}/move`, { shard: "not a binding" });
    const unknownShard = (await call("POST", path, `/v1/agents/${id}/move`, 400, { shard: "DB_9" })) as { error: { message: string } };
    expect(unknownShard.error.message).toContain("DB, DB_2");
    await call("POST", path, `/v1/agents/${unknown}/move`, 404, { shard: there });
  });
});

describe("trust and approvals", () => {
  it("trust, overrides, feedback and analytics answer as documented", async () => {
    await call("GET", "/v1/agents/:agentId/trust", `/v1/agents/${agentId}/trust`, 200);
    await call("GET", "/v1/agents/:agentId/trust", `/v1/agents/${unknown}/trust`, 404);
    const set = { action: "set", level: 0.4, reason: "checking the document" };
    expectRequest("POST", "/v1/agents/:agentId/trust", set, true);
    await call("POST", "/v1/agents/:agentId/trust", `/v1/agents/${agentId}/trust`, 200, set);
    await refused("POST", "/v1/agents/:agentId/trust", `/v1/agents/${agentId}/trust`, { action: "set", level: 2, reason: "too high" });
    await refused("POST", "/v1/agents/:agentId/trust", `/v1/agents/${agentId}/trust`, { action: "freeze", why: "renamed field" });
    const feedback = { interactionId: reply.id, outcome: "success", note: "right answer" };
    expectRequest("POST", "/v1/agents/:agentId/feedback", feedback, true);
    await call("POST", "/v1/agents/:agentId/feedback", `/v1/agents/${agentId}/feedback`, 200, feedback);
    await call("POST", "/v1/agents/:agentId/feedback", `/v1/agents/${agentId}/feedback`, 404, { interactionId: "int_unknown", outcome: "error" });
    await refused("POST", "/v1/agents/:agentId/feedback", `/v1/agents/${agentId}/feedback`, { interaction: reply.id, outcome: "success" });
    await call("GET", "/v1/agents/:agentId/trust/analytics", `/v1/agents/${agentId}/trust/analytics`, 200);
    await call("GET", "/v1/agents/:agentId/trust/analytics", `/v1/agents/${agentId}/trust/analytics?from=yesterday`, 400);
  });

  it("approvals list and decide as documented", async () => {
    const listed = (await call("GET", "/v1/agents/:agentId/approvals", `/v1/agents/${agentId}/approvals?status=pending`, 200)) as { approvals: Array<{ id: string }> };
    expect(listed.approvals).toHaveLength(1);
    await call("GET", "/v1/agents/:agentId/approvals", `/v1/agents/${agentId}/approvals?status=maybe`, 400);
    const path = "/v1/agents/:agentId/approvals/:approvalId";
    const decision = { decision: "approve", note: "ok by owner" };
    expectRequest("POST", path, decision, true);
    await refused("POST", path, `/v1/agents/${agentId}/approvals/${listed.approvals[0]!.id}`, { decision: "maybe" });
    await call("POST", path, `/v1/agents/${agentId}/approvals/${listed.approvals[0]!.id}`, 200, decision);
    await call("POST", path, `/v1/agents/${agentId}/approvals/${listed.approvals[0]!.id}`, 409, decision);
    await call("POST", path, `/v1/agents/${agentId}/approvals/apr_unknown`, 404, decision);
  });
});

describe("budget, analytics, audit, alerts and reports", () => {
  it("answer as documented, and refuse bad queries with the envelope", async () => {
    const a = `/v1/agents/${agentId}`;
    await call("GET", "/v1/agents/:agentId/analytics", `${a}/analytics`, 200);
    await call("GET", "/v1/agents/:agentId/analytics", `${a}/analytics?from=2026-02-01&to=2026-01-01`, 400);
    await call("GET", "/v1/agents/:agentId/budget", `${a}/budget`, 200);
    await call("GET", "/v1/agents/:agentId/budget", `/v1/agents/${unknown}/budget`, 404);
    const channels = (await call("GET", "/v1/agents/:agentId/channels/analytics", `${a}/channels/analytics`, 200)) as { totals: { requests: number } };
    expect(channels.totals.requests).toBe(2);
    await call("GET", "/v1/agents/:agentId/channels/analytics", `/v1/agents/${unknown}/channels/analytics`, 404);
    const audit = (await call("GET", "/v1/agents/:agentId/audit", `${a}/audit?limit=5`, 200)) as { events: unknown[] };
    expect(audit.events.length).toBeGreaterThan(0);
    await call("GET", "/v1/agents/:agentId/audit", `${a}/audit?decision=perhaps`, 400);
    await call("GET", "/v1/agents/:agentId/audit/verify", `${a}/audit/verify`, 200);
    await call("GET", "/v1/agents/:agentId/audit/verify", `/v1/agents/${unknown}/audit/verify`, 404);
    const alerts = (await call("GET", "/v1/agents/:agentId/alerts", `${a}/alerts`, 200)) as { alerts: Array<{ id: string }> };
    expect(alerts.alerts.length).toBeGreaterThan(0);
    await call("GET", "/v1/agents/:agentId/alerts", `${a}/alerts?type=meteor`, 400);
    await call("GET", "/v1/agents/:agentId/alerts", `${a}/alerts?status=open`, 200);
    await call("GET", "/v1/agents/:agentId/alerts", `${a}/alerts?status=forgotten`, 400);
    const ack = "/v1/agents/:agentId/alerts/:alertId/acknowledge";
    const alertId = alerts.alerts[0]!.id;
    expectRequest("POST", ack, { note: "seen, topping up" }, true);
    await refused("POST", ack, `${a}/alerts/${alertId}/acknowledge`, { note: 42 });
    await refused("POST", ack, `${a}/alerts/${alertId}/acknowledge`, { comment: "renamed field" });
    const acknowledged = (await call("POST", ack, `${a}/alerts/${alertId}/acknowledge`, 200, { note: "seen, topping up" })) as { alert: { acknowledgedBy: string } };
    expect(acknowledged.alert.acknowledgedBy).toBe("admin:bootstrap");
    await call("POST", ack, `${a}/alerts/-not-an-id/acknowledge`, 400, {});
    await call("POST", ack, `${a}/alerts/al-unknown/acknowledge`, 404, {});
    const list = "/v1/agents/:agentId/conversations";
    const conversations = (await call("GET", list, `${a}/conversations`, 200)) as { conversations: Array<{ id: string }> };
    expect(conversations.conversations.length).toBe(2);
    await call("GET", list, `${a}/conversations?channel=fax`, 400);
    const one = "/v1/agents/:agentId/conversations/:conversationId";
    const transcript = (await call("GET", one, `${a}/conversations/${conversations.conversations[0]!.id}`, 200)) as { turns: unknown[] };
    expect(transcript.turns.length).toBeGreaterThan(0);
    await call("GET", one, `${a}/conversations/not-a-conversation`, 400);
    await call("GET", one, `${a}/conversations/${"0".repeat(32)}`, 404);
    await call("GET", "/v1/agents/:agentId/reports/:standard", `${a}/reports/SOC2`, 200);
    await call("GET", "/v1/agents/:agentId/reports/:standard", `${a}/reports/HIPAA?format=xml`, 400);
    const csv = await admin(`${a}/reports/HIPAA?format=csv`);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(problems(schemaOf("GET", "/v1/agents/:agentId/reports/:standard", 200, "text/csv"), await csv.text())).toEqual([]);
  });

  it("legal holds answer as documented", async () => {
    const path = "/v1/agents/:agentId/legal-hold";
    const a = `/v1/agents/${agentId}/legal-hold`;
    await call("GET", path, a, 200);
    expectRequest("PUT", path, { reason: "litigation" }, true);
    await refused("PUT", path, a, { reason: "" });
    await refused("PUT", path, a, { why: "renamed field" });
    await call("PUT", path, a, 200, { reason: "litigation" });
    await call("GET", path, a, 200);
    await call("DELETE", path, a, 200);
    await call("GET", path, `/v1/agents/${unknown}/legal-hold`, 404);
    await call("PUT", path, `/v1/agents/${unknown}/legal-hold`, 404, { reason: "litigation" });
    await call("DELETE", path, `/v1/agents/${unknown}/legal-hold`, 404);
  });
});

describe("patterns and dead letters", () => {
  it("learning runs, review, packs and analytics answer as documented", { timeout: 30_000 }, async () => {
    const l = `/v1/agents/${learner}`;
    await call("POST", "/v1/agents/:agentId/learn/run", `${l}/learn/run`, 200);
    await call("POST", "/v1/agents/:agentId/learn/run", `/v1/agents/${agentId}/learn/run`, 200);
    await call("POST", "/v1/agents/:agentId/learn/run", `/v1/agents/${unknown}/learn/run`, 404);
    const listed = (await call("GET", "/v1/agents/:agentId/patterns", `${l}/patterns`, 200)) as { patterns: Array<{ id: string; status: string }> };
    const active = listed.patterns.find((p) => p.status === "active");
    expect(active, JSON.stringify(listed.patterns.map((p) => p.status))).toBeDefined();
    await call("GET", "/v1/agents/:agentId/patterns", `${l}/patterns?status=great`, 400);
    await call("GET", "/v1/agents/:agentId/patterns/:patternId", `${l}/patterns/${active!.id}`, 200);
    await call("GET", "/v1/agents/:agentId/patterns/:patternId", `${l}/patterns/pat_unknown`, 404);
    await call("GET", "/v1/agents/:agentId/learning/analytics", `${l}/learning/analytics`, 200);
    await call("GET", "/v1/agents/:agentId/learning/analytics", `${l}/learning/analytics?to=never`, 400);
    const pack = (await call("GET", "/v1/agents/:agentId/patterns/export", `${l}/patterns/export`, 200)) as { patterns: unknown[] };
    expect(pack.patterns.length).toBeGreaterThan(0);
    await call("GET", "/v1/agents/:agentId/patterns/export", `/v1/agents/${unknown}/patterns/export`, 404);
    const imports = "/v1/agents/:agentId/patterns/import";
    expectRequest("POST", imports, pack, true);
    await call("POST", imports, `/v1/agents/${agentId}/patterns/import`, 200, pack);
    await refused("POST", imports, `/v1/agents/${agentId}/patterns/import`, { ...pack, format: "foreman.patterns/0" });
    await refused("POST", imports, `/v1/agents/${agentId}/patterns/import`, { ...pack, patterns: [] });
    const decide = "/v1/agents/:agentId/patterns/:patternId/:action{approve|reject|rollback}";
    expectRequest("POST", decide, { note: "wrong hours" }, true);
    await refused("POST", decide, `${l}/patterns/${active!.id}/rollback`, { comment: "renamed field" });
    await call("POST", decide, `${l}/patterns/${active!.id}/rollback`, 200, { note: "wrong hours" });
    await call("POST", decide, `${l}/patterns/${active!.id}/approve`, 409);
    await call("POST", decide, `${l}/patterns/pat_unknown/reject`, 404);
  });

  it("dead letters list and replay as documented", async () => {
    const a = `/v1/agents/${agentId}/dead-letters`;
    const listed = (await call("GET", "/v1/agents/:agentId/dead-letters", a, 200)) as { deadLetters: Array<{ id: string }> };
    expect(listed.deadLetters.map((d) => d.id)).toContain(deadLetterId);
    await call("GET", "/v1/agents/:agentId/dead-letters", `${a}?cursor=dlq-unknown`, 400);
    await call("POST", "/v1/agents/:agentId/dead-letters/:id/replay", `${a}/${deadLetterId}/replay`, 202);
    await call("POST", "/v1/agents/:agentId/dead-letters/:id/replay", `${a}/${deadLetterId}/replay`, 409);
    await call("POST", "/v1/agents/:agentId/dead-letters/:id/replay", `${a}/dlq-unknown/replay`, 404);
    await call("POST", "/v1/agents/:agentId/dead-letters/replay", `${a}/replay`, 202);
    await call("POST", "/v1/agents/:agentId/dead-letters/replay", `/v1/agents/${unknown}/dead-letters/replay`, 404);
  });
});

describe("keys", () => {
  it("create, list and revoke answer as documented", async () => {
    const body = { role: "operator", agents: [agentId], name: "documented" };
    expectRequest("POST", "/v1/keys", body, true);
    const created = (await call("POST", "/v1/keys", "/v1/keys", 201, body)) as { id: string };
    await refused("POST", "/v1/keys", "/v1/keys", { role: "owner" });
    await refused("POST", "/v1/keys", "/v1/keys", { role: "viewer", label: "renamed field" });
    await call("GET", "/v1/keys", "/v1/keys", 200);
    const res = await admin("/v1/keys", { token: "fmk_" + "A".repeat(43) });
    expect(problems(schemaOf("GET", "/v1/keys", 401), await res.json())).toEqual([]);
    checked.add("GET /v1/keys 401");
    await call("DELETE", "/v1/keys/:id", `/v1/keys/${created.id}`, 200);
    await call("DELETE", "/v1/keys/:id", "/v1/keys/key_000000000000000000000000", 404);
    await call("DELETE", "/v1/keys/:id", "/v1/keys/not-a-key", 400);
  });
});

describe("conformance coverage", () => {
  it("drove every documented route to a success and to an error, and checked both bodies", () => {
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const seen = [...checked].filter((c) => c.startsWith(`${method.toUpperCase()} `) && toOpenApiPath(c.split(" ")[1]!) === path).map((c) => Number(c.split(" ")[2]));
        if (!seen.some((s) => s < 300)) missing.push(`${method.toUpperCase()} ${path}: no success checked`);
        if (!seen.some((s) => s >= 400)) missing.push(`${method.toUpperCase()} ${path}: no error checked`);
      }
    }
    expect(missing).toEqual([]);
  });
});
