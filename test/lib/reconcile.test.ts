import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ClaudeAgent, createForeman, type LogFields, type Logger } from "../../src/lib";
import { admin, putAgent, uniqueAgentId } from "../support/agents";
import { flushedSql } from "../support/audit";
import { codeHash } from "../../src/lib/reconcile";
import { shards } from "../../src/db/shards";
import { shardDb } from "../support/shards";

const workerEnv = { ...env, SHOP_HTTP_SECRET: "code-secret" } as Env;

function agentNamed(id: string, prompt = "You answer for Acme Bakery.", extra: Partial<ConstructorParameters<typeof ClaudeAgent>[0]> = {}) {
  return new ClaudeAgent({ id, systemPrompt: prompt, trust: { initial: 0.3 }, secretBindings: { http: "SHOP_HTTP_SECRET" }, ...extra });
}

/** A logger that keeps its lines, to see what a reconciliation reported. */
function recordingLogger() {
  const lines: Array<{ level: string; event: string; fields: LogFields }> = [];
  const make = (base: LogFields): Logger => ({
    info: (event, fields = {}) => lines.push({ level: "info", event, fields: { ...base, ...fields } }),
    warn: (event, fields = {}) => lines.push({ level: "warn", event, fields: { ...base, ...fields } }),
    error: (event, fields = {}) => lines.push({ level: "error", event, fields: { ...base, ...fields } }),
    with: (fields) => make({ ...base, ...fields }),
  });
  return { logger: make({}), lines };
}

const auditTrail = (agentId: string, atLeast: number) =>
  flushedSql<{ seq: number; action: string; actor: string }>(agentId, "SELECT seq, action, actor FROM audit_events WHERE agent_id = ? ORDER BY seq", [], atLeast);

async function agentJson(agentId: string) {
  const res = await admin(`/v1/agents/${agentId}`);
  return { status: res.status, body: (await res.json()) as { version: number; managedBy: string; systemPrompt: string; secrets: string[] } };
}

async function firstRequest(foreman: { fetch(r: Request, e: Env, c: ExecutionContext): Response | Promise<Response> }) {
  const ctx = createExecutionContext();
  const res = await foreman.fetch(new Request("https://shop.test/"), workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("agents as code: reconciliation", () => {
  it("creates a declared agent on the isolate's first request: its object, row and directory entry, audited by code", async () => {
    const agentId = uniqueAgentId("code");
    const foreman = createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger });
    expect((await firstRequest(foreman)).status).toBe(200);
    const { status, body } = await agentJson(agentId);
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: 1, managedBy: "code", systemPrompt: "You answer for Acme Bakery.", secrets: ["http"] });
    expect(await env.CACHE.get(`agent:${agentId}`)).toBe(shards(env).place(agentId).name);
    expect((await auditTrail(agentId, 1)).map((e) => [e.action, e.actor])).toEqual([["agent.created", "code"]]);
  });

  it("writes nothing for an unchanged agent: no new version, no audit event", async () => {
    const agentId = uniqueAgentId("code");
    const first = await createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger }).reconcile(workerEnv);
    expect(first.created).toEqual([agentId]);
    // A new isolate (a new createForeman) with the same code.
    const again = await createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger }).reconcile(workerEnv);
    expect(again).toMatchObject({ created: [], updated: [], unchanged: [agentId], failed: [] });
    expect((await agentJson(agentId)).body.version).toBe(1);
    expect((await auditTrail(agentId, 1)).map((e) => e.action)).toEqual(["agent.created"]);
  });

  it("bumps the version of a changed agent and audits agent.updated with actor code", async () => {
    const agentId = uniqueAgentId("code");
    await createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger }).reconcile(workerEnv);
    const report = await createForeman({ agents: [agentNamed(agentId, "You answer for Acme Bakery, politely.")], logger: recordingLogger().logger }).reconcile(workerEnv);
    expect(report.updated).toEqual([agentId]);
    const { body } = await agentJson(agentId);
    expect(body).toMatchObject({ version: 2, systemPrompt: "You answer for Acme Bakery, politely.", managedBy: "code" });
    expect((await auditTrail(agentId, 2)).map((e) => [e.seq, e.action, e.actor])).toEqual([
      [1, "agent.created", "code"],
      [2, "agent.updated", "code"],
    ]);
  });

  it("applies a rotated worker secret as a change", async () => {
    const agentId = uniqueAgentId("code");
    const foreman = () => createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger });
    await foreman().reconcile(workerEnv);
    const report = await foreman().reconcile({ ...workerEnv, SHOP_HTTP_SECRET: "rotated-secret" } as Env);
    expect(report.updated).toEqual([agentId]);
  });

  it("keeps no plain hash of the secrets' values in D1", async () => {
    const agentId = uniqueAgentId("code");
    const agent = agentNamed(agentId);
    await createForeman({ agents: [agent], logger: recordingLogger().logger }).reconcile(workerEnv);
    const row = await (await shardDb(agentId)).prepare("SELECT code_hash FROM agents WHERE id = ?").bind(agentId).first<{ code_hash: string }>();
    // Without the worker's ADMIN_TOKEN, the values cannot be tried against the row.
    expect(row?.code_hash).toBe(await codeHash(agent, { http: "code-secret" }, workerEnv.ADMIN_TOKEN));
    expect(row?.code_hash).not.toBe(await codeHash(agent, { http: "code-secret" }, undefined));
  });

  it("applies a change once when isolates start together", async () => {
    const agentId = uniqueAgentId("code");
    await createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger }).reconcile(workerEnv);
    const changed = () => createForeman({ agents: [agentNamed(agentId, "A new prompt.")], logger: recordingLogger().logger }).reconcile(workerEnv);
    const reports = await Promise.all([changed(), changed(), changed()]);
    expect(reports.flatMap((r) => r.updated)).toEqual([agentId]);
    expect((await agentJson(agentId)).body.version).toBe(2);
  });

  it("reports a code-managed agent the code no longer declares, and never deletes it", async () => {
    const agentId = uniqueAgentId("code");
    await createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger }).reconcile(workerEnv);
    const { logger, lines } = recordingLogger();
    const report = await createForeman({ agents: [], logger }).reconcile(workerEnv);
    expect(report.notInCode).toContain(agentId);
    expect(lines).toContainEqual(expect.objectContaining({ level: "warn", event: "code_agent_not_in_code", fields: expect.objectContaining({ agentId }) }));
    const { status, body } = await agentJson(agentId);
    expect(status).toBe(200);
    expect(body).toMatchObject({ version: 1, managedBy: "code" });
  });

  it("reports missing agents on the cron too", async () => {
    const agentId = uniqueAgentId("code");
    await createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger }).reconcile(workerEnv);
    const { logger, lines } = recordingLogger();
    await createForeman({ agents: [], logger }).scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }), workerEnv);
    expect(lines.filter((l) => l.event === "code_agent_not_in_code").map((l) => l.fields.agentId)).toContain(agentId);
  });

  it("reports an agent whose worker secret is missing, naming the command that sets it, and applies the others", async () => {
    const broken = uniqueAgentId("code");
    const fine = uniqueAgentId("code");
    const { logger, lines } = recordingLogger();
    const report = await createForeman({
      agents: [agentNamed(broken, "p", { secretBindings: { http: "NOT_SET_ANYWHERE" } }), agentNamed(fine)],
      logger,
    }).reconcile(workerEnv);
    expect(report.created).toEqual([fine]);
    expect(report.failed).toEqual([
      expect.objectContaining({ agentId: broken, message: "secretBindings.http: the worker has no secret NOT_SET_ANYWHERE: set it with `wrangler secret put NOT_SET_ANYWHERE` (or in .dev.vars locally)" }),
    ]);
    expect(lines).toContainEqual(expect.objectContaining({ level: "error", event: "code_agent_not_applied" }));
    expect((await admin(`/v1/agents/${broken}`)).status).toBe(404);
  });

  it("reports a config the deployment refuses (encryption without keys), writing nothing", async () => {
    const agentId = uniqueAgentId("code");
    const agent = agentNamed(agentId, "p", { audit: { compliance: { encryption: true } } });
    const report = await createForeman({ agents: [agent], logger: recordingLogger().logger }).reconcile({ ...workerEnv, ENCRYPTION_KEYS: undefined } as unknown as Env);
    expect(report.failed).toEqual([expect.objectContaining({ agentId, message: expect.stringContaining("audit.compliance.encryption: needs the ENCRYPTION_KEYS secret") })]);
    expect((await admin(`/v1/agents/${agentId}`)).status).toBe(404);
  });

  it("takes over an agent of the admin API with the same id", async () => {
    const agentId = uniqueAgentId("code");
    await putAgent(agentId, { config: {} });
    const report = await createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger }).reconcile(workerEnv);
    expect(report.updated).toEqual([agentId]);
    expect((await agentJson(agentId)).body).toMatchObject({ version: 2, managedBy: "code" });
  });
});

describe("agents as code: the admin API beside them", () => {
  it("refuses a PUT on a code-managed agent with 409, saying to change the code", async () => {
    const agentId = uniqueAgentId("code");
    await createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger }).reconcile(workerEnv);
    const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: { trust: { initial: 0.9 } } }) });
    expect(res.status).toBe(409);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("conflict");
    expect(error.message).toContain("is defined in the worker's code (createForeman({ agents })): change it there and deploy");
    // Another system prompt is a change too.
    const prompt = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: {}, systemPrompt: "Something else." }) });
    expect(prompt.status).toBe(409);
    expect((await agentJson(agentId)).body.version).toBe(1);
  });

  it("sets a code-managed agent's secrets through the API when the PUT carries its config unchanged", async () => {
    const agentId = uniqueAgentId("code");
    const agent = agentNamed(agentId);
    await createForeman({ agents: [agent], logger: recordingLogger().logger }).reconcile(workerEnv);
    const body = { config: agent.configInput(), secrets: { slack: { signingSecret: "s", botToken: "xoxb-1" } } };
    const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ managedBy: "code", secrets: ["http", "slack.botToken", "slack.signingSecret"] });
    // Still code-managed, and the code's next start finds nothing to change.
    const report = await createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger }).reconcile(workerEnv);
    expect(report.unchanged).toEqual([agentId]);
    expect((await agentJson(agentId)).body).toMatchObject({ managedBy: "code", secrets: ["http", "slack.botToken", "slack.signingSecret"] });
  });

  it("lists which agents are managed by code and which by the API", async () => {
    const byCode = uniqueAgentId("list-code");
    const byApi = uniqueAgentId("list-api");
    await createForeman({ agents: [agentNamed(byCode)], logger: recordingLogger().logger }).reconcile(workerEnv);
    await putAgent(byApi, { config: {} });
    const res = await admin("/v1/agents?limit=200");
    const { agents } = (await res.json()) as { agents: Array<{ agentId: string; managedBy: string }> };
    expect(agents.find((a) => a.agentId === byCode)?.managedBy).toBe("code");
    expect(agents.find((a) => a.agentId === byApi)?.managedBy).toBe("api");
    expect((await agentJson(byApi)).body.managedBy).toBe("api");
  });

  it("still deletes a code-managed agent on an explicit DELETE", async () => {
    const agentId = uniqueAgentId("code");
    await createForeman({ agents: [agentNamed(agentId)], logger: recordingLogger().logger }).reconcile(workerEnv);
    const res = await admin(`/v1/agents/${agentId}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect((await admin(`/v1/agents/${agentId}`)).status).toBe(404);
  });
});
