import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/core/crypto";
import { flushedSql } from "../support/audit";
import { admin, putAgent, uniqueAgentId } from "../support/agents";
import { shardDb } from "../support/shards";

interface CreatedKey {
  id: string;
  key: string;
  role: string;
  agents: string[] | null;
  name: string | null;
}

interface ErrorReply {
  error: { code: string; message: string };
}

async function createKey(body: Record<string, unknown>): Promise<CreatedKey> {
  const res = await admin("/v1/keys", { method: "POST", body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as CreatedKey;
}

describe("POST /v1/keys", () => {
  it("answers 201 with the key once, recognisable by its prefix, and stores only its SHA-256", async () => {
    const created = await createKey({ role: "viewer", name: "dashboards" });
    expect(created.id).toMatch(/^key_[0-9a-f]{24}$/);
    // 32 random bytes in base64url after the prefix.
    expect(created.key).toMatch(/^fmk_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ role: "viewer", agents: null, name: "dashboards" });

    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(created.id).first<Record<string, unknown>>();
    expect(row!.hash).toBe(await sha256Hex(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key.slice(4));

    const listed = await (await admin("/v1/keys")).text();
    expect(listed).toContain(created.id);
    expect(listed).not.toContain(created.key.slice(4));
    expect(listed).not.toContain(row!.hash as string);
  });

  it("makes a different key every time", async () => {
    const [a, b] = [await createKey({ role: "viewer" }), await createKey({ role: "viewer" })];
    expect(a.key).not.toBe(b.key);
    expect(a.id).not.toBe(b.id);
  });

  it("answers 400 naming the field for a bad role, an operator without agents, an admin limited to agents, or a bad agent id, and stores nothing", async () => {
    const before = (await env.DB.prepare("SELECT COUNT(*) AS n FROM api_keys").first<{ n: number }>())!.n;
    for (const [body, field] of [
      [{ role: "owner" }, "role"],
      [{ role: "operator" }, "agents"],
      [{ role: "operator", agents: [] }, "agents"],
      [{ role: "admin", agents: ["shop"] }, "agents"],
      [{ role: "viewer", agents: ["no spaces"] }, "agents"],
      [{ role: "viewer", extra: true }, "extra"],
    ] as const) {
      const res = await admin("/v1/keys", { method: "POST", body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as ErrorReply).error.message, JSON.stringify(body)).toContain(field);
    }
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM api_keys").first<{ n: number }>())!.n).toBe(before);
  });
});

describe("using a key", () => {
  it("works as a bearer token like ADMIN_TOKEN, and an admin key manages keys", async () => {
    const adminKey = await createKey({ role: "admin" });
    const made = await admin("/v1/keys", { method: "POST", body: JSON.stringify({ role: "viewer" }), token: adminKey.key });
    expect(made.status).toBe(201);
    expect((await admin("/v1/keys", { token: adminKey.key })).status).toBe(200);
  });

  it("stops working at once when revoked, and stays listed as revoked", async () => {
    const agentId = uniqueAgentId();
    await putAgent(agentId, { config: {} });
    const key = await createKey({ role: "operator", agents: [agentId] });
    expect((await admin(`/v1/agents/${agentId}`, { token: key.key })).status).toBe(200);

    const revoked = await admin(`/v1/keys/${key.id}`, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    const first = (await revoked.json()) as { revokedAt: string };
    expect(first).toMatchObject({ id: key.id, revokedBy: "admin:bootstrap", revokedAt: expect.any(String) });
    expect((await admin(`/v1/agents/${agentId}`, { token: key.key })).status).toBe(401);

    // Revoking again changes nothing; an unknown id is 404, a malformed one 400.
    const again = (await (await admin(`/v1/keys/${key.id}`, { method: "DELETE" })).json()) as { revokedAt: string };
    expect(again.revokedAt).toBe(first.revokedAt);
    expect((await admin("/v1/keys/key_ffffffffffffffffffffffff", { method: "DELETE" })).status).toBe(404);
    expect((await admin("/v1/keys/not-a-key", { method: "DELETE" })).status).toBe(400);
    const { keys } = (await (await admin("/v1/keys")).json()) as { keys: Array<{ id: string; revokedAt: string | null }> };
    expect(keys.find((k) => k.id === key.id)?.revokedAt).toEqual(expect.any(String));
  });

  it("lists to an operator only the agents it operates", async () => {
    const [mine, theirs] = [uniqueAgentId("list-mine"), uniqueAgentId("list-theirs")];
    for (const agentId of [mine, theirs]) await putAgent(agentId, { config: {} });
    const key = await createKey({ role: "operator", agents: [mine] });
    const { agents } = (await (await admin("/v1/agents?limit=200", { token: key.key })).json()) as { agents: Array<{ agentId: string }> };
    expect(agents.map((a) => a.agentId)).toEqual([mine]);
  });

  it("names the key's id, never the key, as the actor of what it changes", async () => {
    const agentId = uniqueAgentId();
    await putAgent(agentId, { config: {} });
    const key = await createKey({ role: "operator", agents: [agentId] });
    const res = await admin(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "freeze", reason: "review" }), token: key.key });
    expect(res.status).toBe(200);
    const [event] = await flushedSql<{ actor: string }>(agentId, "SELECT actor FROM audit_events WHERE agent_id = ? AND action = 'trust.freeze'");
    expect(event!.actor).toBe(`admin:${key.id}`);
    const all = JSON.stringify((await (await shardDb(agentId)).prepare("SELECT * FROM audit_events WHERE agent_id = ?").bind(agentId).all()).results);
    expect(all).not.toContain(key.key.slice(4));
  });
});
