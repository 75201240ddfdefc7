import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { flushedSql } from "../support/audit";
import { admin, HTTP_SECRET, putAgent, sendHttp, uniqueAgentId } from "../support/agents";
import { shardDb } from "../support/shards";

const del = (agentId: string, token?: string) => admin(`/v1/agents/${agentId}`, { method: "DELETE", ...(token ? { token } : {}) });

async function actions(agentId: string, atLeast: number) {
  return flushedSql<{ seq: number; action: string; actor: string }>(agentId, "SELECT seq, action, actor FROM audit_events WHERE agent_id = ? ORDER BY seq", [], atLeast);
}

describe("DELETE /v1/agents/:agentId", () => {
  it("deletes the agent: it is gone from reads, listings and channels, and its creation and deletion are audited", async () => {
    const agentId = uniqueAgentId("del");
    await putAgent(agentId, { config: {}, secrets: { http: HTTP_SECRET } });
    const res = await del(agentId);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ agentId, deleted: true, workspaceFiles: 0 });

    expect((await admin(`/v1/agents/${agentId}`)).status).toBe(404);
    expect(await (await shardDb(agentId)).prepare("SELECT 1 FROM agents WHERE id = ?").bind(agentId).first()).toBeNull();
    const message = await sendHttp(agentId, { id: "after-delete", conversation: "c", from: "u", text: "hello?" });
    // A deleted agent is answered like any unknown one: as a bad signature.
    expect(message.status).toBe(401);

    expect((await actions(agentId, 2)).map((e) => [e.seq, e.action, e.actor])).toEqual([
      [1, "agent.created", "admin:bootstrap"],
      [2, "agent.deleted", "admin:bootstrap"],
    ]);
    // Deleting again: there is no agent.
    expect((await del(agentId)).status).toBe(404);
  });

  it("keeps the audit trail readable and intact after the agent is gone", async () => {
    const agentId = uniqueAgentId("del");
    await putAgent(agentId, { config: {} });
    await del(agentId);
    await actions(agentId, 2);
    const listed = (await (await admin(`/v1/agents/${agentId}/audit`)).json()) as { events: Array<{ action: string }> };
    expect(listed.events.map((e) => e.action)).toEqual(["agent.deleted", "agent.created"]);
    expect(await (await admin(`/v1/agents/${agentId}/audit/verify`)).json()).toMatchObject({ ok: true, checked: 2 });
    expect((await admin(`/v1/agents/never-${agentId}/audit`)).status).toBe(404);
  });

  it("finishes a deletion cut short after the agent's object forgot it", async () => {
    const agentId = uniqueAgentId("del");
    await putAgent(agentId, { config: {} });
    await env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)).destroy({ actor: "admin:test", now: Date.now() });
    expect((await del(agentId)).status).toBe(200);
    expect(await (await shardDb(agentId)).prepare("SELECT 1 FROM agents WHERE id = ?").bind(agentId).first()).toBeNull();
    expect((await del(agentId)).status).toBe(404);
  });

  it("refuses with 409 while the agent is under legal hold, deleting nothing", async () => {
    const agentId = uniqueAgentId("del");
    await putAgent(agentId, { config: {} });
    await admin(`/v1/agents/${agentId}/legal-hold`, { method: "PUT", body: JSON.stringify({ reason: "litigation" }) });
    const res = await del(agentId);
    expect(res.status).toBe(409);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("conflict");
    expect(error.message).toContain("legal hold");
    expect((await admin(`/v1/agents/${agentId}`)).status).toBe(200);
  });

  it("removes the agent's secrets, trust and workspace files; a new agent under the id starts afresh but continues the version and the chain", async () => {
    const agentId = uniqueAgentId("del");
    await putAgent(agentId, { config: { trust: { initial: 0.3 } }, secrets: { http: "old-secret" } });
    await admin(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level: 0.7, reason: "trusted" }) });
    await env.WORKSPACE.put(`workspaces/${agentId}/notes.md`, "customer notes");
    await env.WORKSPACE.put(`workspaces/${agentId}/attachments/a/b.pdf`, "attachment");
    await env.WORKSPACE.put(`workspaces/${agentId}-other/keep.md`, "another agent's file");

    const res = await del(agentId);
    expect(await res.json()).toMatchObject({ deleted: true, workspaceFiles: 2 });
    expect(await env.WORKSPACE.get(`workspaces/${agentId}/notes.md`)).toBeNull();
    expect(await env.WORKSPACE.get(`workspaces/${agentId}-other/keep.md`)).not.toBeNull();

    // In the object only the audit outbox and chain head, SMS opt-outs and the retired version hold rows.
    const left = await runInDurableObject(env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)), async (_instance, state) => {
      const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((t) => t.name);
      return Object.fromEntries(
        tables
          .filter((name) => !name.startsWith("_cf_") && !name.startsWith("sqlite_"))
          .map((name) => [name, state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM "${name}"`).one().n] as const)
          .filter(([, n]) => n > 0),
      );
    });
    expect(Object.keys(left).filter((t) => !["kv", "outbox", "audit_chain", "sms_opt_outs"].includes(t))).toEqual([]);
    expect(left.kv).toBe(1);

    const again = await putAgent(agentId, { config: { trust: { initial: 0.3 } } });
    // Version 2: answers cached under version 1 of the deleted agent never serve the new one.
    expect(again).toMatchObject({ version: 2, trustLevel: 0.3, secrets: [] });
    const events = await actions(agentId, 4);
    expect(events.map((e) => e.action)).toEqual(["agent.created", "trust.changed", "agent.deleted", "agent.created"]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(await (await admin(`/v1/agents/${agentId}/audit/verify`)).json()).toMatchObject({ ok: true, checked: 4 });
  });

  it("lets an operator delete its own agent but not another's, and a viewer none", async () => {
    const [mine, theirs] = [uniqueAgentId("del-mine"), uniqueAgentId("del-theirs")];
    for (const agentId of [mine, theirs]) await putAgent(agentId, { config: {} });
    const operator = (await (await admin("/v1/keys", { method: "POST", body: JSON.stringify({ role: "operator", agents: [mine] }) })).json()) as { id: string; key: string };
    const viewer = (await (await admin("/v1/keys", { method: "POST", body: JSON.stringify({ role: "viewer" }) })).json()) as { key: string };
    expect((await del(mine, viewer.key)).status).toBe(403);
    expect((await del(theirs, operator.key)).status).toBe(403);
    expect((await del(mine, operator.key)).status).toBe(200);
    const events = await actions(mine, 2);
    expect(events.at(-1)).toMatchObject({ action: "agent.deleted", actor: `admin:${operator.id}` });
    expect((await admin(`/v1/agents/${theirs}`)).status).toBe(200);
  });
});
