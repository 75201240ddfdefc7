import { describe, expect, it } from "vitest";
import { retentionShortfall } from "../../src/admin/retention-floor";
import { parseAgentConfig } from "../../src/config";
import { flushedSql } from "../support/audit";
import { admin, putAgent, uniqueAgentId } from "../support/agents";
import { shardDb } from "../support/shards";

async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const res = await admin("/v1/keys", { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

const hipaa = (duration?: string) => ({ audit: { compliance: { standards: ["HIPAA"] }, ...(duration ? { retention: { duration } } : {}) } });

function config(raw: unknown) {
  const parsed = parseAgentConfig(raw);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

describe("retentionShortfall", () => {
  it("finds retention below HIPAA's six years, from the new or the previous standards, only when it shortens", () => {
    expect(retentionShortfall(undefined, config(hipaa("1d")))).toEqual({ standards: ["HIPAA"], required: "6y", from: null, to: "1d" });
    expect(retentionShortfall(undefined, config(hipaa()))).toMatchObject({ to: "90d" });
    expect(retentionShortfall(undefined, config(hipaa("6y")))).toBeNull();
    expect(retentionShortfall(undefined, config(hipaa("7y")))).toBeNull();
    // Dropping HIPAA in the same change does not lift its floor.
    expect(retentionShortfall(config(hipaa("6y")), config({ audit: { retention: { duration: "1d" } } }))).toMatchObject({ from: "6y", to: "1d" });
    // Without a standard that sets a floor, any retention is the operator's to choose.
    expect(retentionShortfall(undefined, config({ audit: { compliance: { standards: ["SOC2"] }, retention: { duration: "1d" } } }))).toBeNull();
    // Keeping (or lengthening) an already short retention erases nothing more.
    expect(retentionShortfall(config(hipaa("30d")), config(hipaa("30d")))).toBeNull();
    expect(retentionShortfall(config(hipaa("30d")), config(hipaa("60d")))).toBeNull();
    expect(retentionShortfall(config(hipaa("60d")), config(hipaa("30d")))).toMatchObject({ from: "60d", to: "30d" });
  });
});

describe("changes that erase audit events need an admin key", () => {
  it("refuses an operator shortening a HIPAA agent's retention to 1d with 403, changing nothing", async () => {
    const agentId = uniqueAgentId();
    await putAgent(agentId, { config: hipaa("6y") });
    const operator = await createKey({ role: "operator", agents: [agentId] });
    const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: hipaa("1d") }), token: operator.key });
    expect(res.status).toBe(403);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("forbidden");
    expect(error.message).toContain("audit.retention.duration");
    expect(error.message).toContain("6y");
    const agent = (await (await admin(`/v1/agents/${agentId}`)).json()) as { version: number; config: { audit: { retention: { duration: string } } } };
    expect(agent).toMatchObject({ version: 1, config: { audit: { retention: { duration: "6y" } } } });
  });

  it("refuses an operator creating a HIPAA agent with the default 90-day retention", async () => {
    const agentId = uniqueAgentId();
    const operator = await createKey({ role: "operator", agents: [agentId] });
    const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: hipaa() }), token: operator.key });
    expect(res.status).toBe(403);
    expect((await admin(`/v1/agents/${agentId}`)).status).toBe(404);
    // Within the floor it may.
    expect((await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: hipaa("6y") }), token: operator.key })).status).toBe(201);
  });

  it("lets an admin key shorten it, audited with the key's id", async () => {
    const agentId = uniqueAgentId();
    await putAgent(agentId, { config: hipaa("6y") });
    const adminKey = await createKey({ role: "admin" });
    const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: hipaa("1d") }), token: adminKey.key });
    expect(res.status).toBe(200);
    const [event] = await flushedSql<{ actor: string; details: string }>(agentId, "SELECT actor, details FROM audit_events WHERE agent_id = ? AND action = 'audit.retention_shortened'");
    expect(event!.actor).toBe(`admin:${adminKey.id}`);
    expect(JSON.parse(event!.details)).toEqual({ standards: ["HIPAA"], required: "6y", from: "6y", to: "1d" });
  });

  it("lets an operator change retention where no standard sets a floor", async () => {
    const agentId = uniqueAgentId();
    await putAgent(agentId, { config: {} });
    const operator = await createKey({ role: "operator", agents: [agentId] });
    const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: { audit: { retention: { duration: "1d" } } } }), token: operator.key });
    expect(res.status).toBe(200);
  });

  it("lets only an admin key lift a legal hold, audited with the key's id", async () => {
    const agentId = uniqueAgentId();
    await putAgent(agentId, { config: {} });
    const operator = await createKey({ role: "operator", agents: [agentId] });
    const adminKey = await createKey({ role: "admin" });
    const path = `/v1/agents/${agentId}/legal-hold`;
    expect((await admin(path, { method: "PUT", body: JSON.stringify({ reason: "court order" }), token: operator.key })).status).toBe(200);

    const refused = await admin(path, { method: "DELETE", token: operator.key });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("admin key");
    expect(await (await admin(path)).json()).toMatchObject({ held: true });

    expect((await admin(path, { method: "DELETE", token: adminKey.key })).status).toBe(200);
    const events = await flushedSql<{ action: string; actor: string }>(
      agentId,
      "SELECT action, actor FROM audit_events WHERE agent_id = ? AND action LIKE 'legal_hold.%' ORDER BY seq",
      [],
      2,
    );
    expect(events).toEqual([
      { action: "legal_hold.placed", actor: `admin:${operator.id}` },
      { action: "legal_hold.lifted", actor: `admin:${adminKey.id}` },
    ]);
    expect(await (await shardDb(agentId)).prepare("SELECT 1 FROM legal_holds WHERE agent_id = ?").bind(agentId).first()).toBeNull();
  });
});
