import { describe, expect, it } from "vitest";
import { countAlerts } from "../../src/admin/alerts";
import { admin, clockedApp, createAgent, type Target, worker } from "../support/agents";
import { flushedSql } from "../support/audit";
import { shardDb } from "../support/shards";

interface AlertView {
  id: string;
  type: string;
  deliveredAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

async function createKey(body: Record<string, unknown>): Promise<{ key: string; id: string }> {
  const res = await admin("/v1/keys", { method: "POST", body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST /v1/keys failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { key: string; id: string };
}

/** Stores alerts as the agent's alarm flushes them; their ids. */
async function withAlerts(agentId: string, count: number, at = Date.now() - 3_600_000): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = crypto.randomUUID();
    await (await shardDb(agentId)).prepare("INSERT INTO alerts (id, agent_id, at, type, message, details) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(id, agentId, at + i * 1000, i % 2 === 0 ? "urgent_message" : "budget_threshold", `alert ${i}`, JSON.stringify({ n: i }))
      .run();
    ids.push(id);
  }
  return ids;
}

const acknowledge = (agentId: string, alertId: string, init: { token?: string; body?: unknown; raw?: string; target?: Target } = {}) =>
  admin(`/v1/agents/${agentId}/alerts/${alertId}/acknowledge`, {
    method: "POST",
    token: init.token,
    target: init.target ?? worker,
    ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });

async function listed(agentId: string, query = "", token?: string): Promise<{ alerts: AlertView[]; nextCursor: string | null }> {
  const res = await admin(`/v1/agents/${agentId}/alerts${query}`, { token });
  expect(res.status).toBe(200);
  return (await res.json()) as { alerts: AlertView[]; nextCursor: string | null };
}

const stored = async (agentId: string, id: string) => (await shardDb(agentId)).prepare("SELECT acknowledged_at, acknowledged_by FROM alerts WHERE id = ?").bind(id).first<{ acknowledged_at: number | null; acknowledged_by: string | null }>();

describe("POST /v1/agents/:agentId/alerts/:alertId/acknowledge", () => {
  it("acknowledges an alert with the key's id and time, audited as alert.acknowledged with the note", async () => {
    const now = Date.UTC(2026, 11, 1, 9);
    const { target } = clockedApp(now);
    const agentId = await createAgent();
    const [alertId] = await withAlerts(agentId, 1, now - 60_000);
    const { key, id } = await createKey({ role: "operator", agents: [agentId] });

    const res = await acknowledge(agentId, alertId!, { token: key, body: { note: "called the customer back" }, target });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { agentId: string; alert: AlertView };
    expect(body.agentId).toBe(agentId);
    expect(body.alert).toMatchObject({ id: alertId, type: "urgent_message", acknowledgedAt: new Date(now).toISOString(), acknowledgedBy: `admin:${id}` });

    const [event] = await flushedSql<{ actor: string; resource: string; decision: string; details: string }>(
      agentId,
      "SELECT actor, resource, decision, details FROM audit_events WHERE agent_id = ? AND action = 'alert.acknowledged'",
    );
    expect(event).toMatchObject({ actor: `admin:${id}`, resource: `alert:${alertId}`, decision: "changed" });
    expect(JSON.parse(event!.details)).toMatchObject({ type: "urgent_message", note: "called the customer back" });
  });

  it("accepts no body at all, and is idempotent: a second acknowledgement answers 200 with the first kept, audited once", async () => {
    const agentId = await createAgent();
    const [alertId] = await withAlerts(agentId, 1);
    const first = await acknowledge(agentId, alertId!);
    expect(first.status).toBe(200);
    const firstAlert = ((await first.json()) as { alert: AlertView }).alert;
    expect(firstAlert.acknowledgedBy).toBe("admin:bootstrap");

    const { key } = await createKey({ role: "admin" });
    const again = await acknowledge(agentId, alertId!, { token: key, body: { note: "me too" } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { alert: AlertView }).alert).toEqual(firstAlert);

    // Two at once on a fresh alert: one acknowledgement, one audit event.
    const [racing] = await withAlerts(agentId, 1);
    const both = await Promise.all([acknowledge(agentId, racing!), acknowledge(agentId, racing!, { token: key })]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    const [a, b] = (await Promise.all(both.map((r) => r.json()))) as Array<{ alert: AlertView }>;
    expect(a!.alert).toEqual(b!.alert);

    const events = await flushedSql<{ resource: string }>(agentId, "SELECT resource FROM audit_events WHERE agent_id = ? AND action = 'alert.acknowledged'", [], 2);
    expect(events.map((e) => e.resource).sort()).toEqual([`alert:${alertId}`, `alert:${racing}`].sort());
  });

  it("answers 404 for another agent's alert and an unknown one, and leaves them open", async () => {
    const agentId = await createAgent();
    const other = await createAgent();
    const [theirs] = await withAlerts(other, 1);
    const wrongTenant = await acknowledge(agentId, theirs!);
    expect(wrongTenant.status).toBe(404);
    expect(((await wrongTenant.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect(await stored(other, theirs!)).toEqual({ acknowledged_at: null, acknowledged_by: null });
    expect((await acknowledge(agentId, crypto.randomUUID())).status).toBe(404);
    expect((await acknowledge(`no-such-agent-${crypto.randomUUID().slice(0, 8)}`, theirs!)).status).toBe(404);
  });

  it("refuses a viewer and an operator of other agents, and changes nothing", async () => {
    const agentId = await createAgent();
    const [alertId] = await withAlerts(agentId, 1);
    const viewer = await createKey({ role: "viewer" });
    const elsewhere = await createKey({ role: "operator", agents: ["someone-else"] });
    expect((await acknowledge(agentId, alertId!, { token: viewer.key })).status).toBe(403);
    expect((await acknowledge(agentId, alertId!, { token: elsewhere.key })).status).toBe(403);
    expect(await stored(agentId, alertId!)).toEqual({ acknowledged_at: null, acknowledged_by: null });
  });

  it("refuses a garbage id and a bad body with 400 naming the field, and changes nothing", async () => {
    const agentId = await createAgent();
    const [alertId] = await withAlerts(agentId, 1);
    const garbage = await acknowledge(agentId, encodeURIComponent("<script>alert(1)</script>"));
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { error: { message: string } }).error.message).toContain("alertId");
    expect((await acknowledge(agentId, "x".repeat(200))).status).toBe(400);

    for (const [body, field] of [
      [{ note: 5 }, "note:"],
      [{ note: "n".repeat(1001) }, "note: must be at most 1000 characters"],
      [{ reason: "typo" }, "(root)"],
    ] as const) {
      const res = await acknowledge(agentId, alertId!, { body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field);
    }
    const notJson = await acknowledge(agentId, alertId!, { raw: "{note" });
    expect(notJson.status).toBe(400);
    expect(await stored(agentId, alertId!)).toEqual({ acknowledged_at: null, acknowledged_by: null });
  });
});

describe("GET /v1/agents/:agentId/alerts: acknowledgement", () => {
  it("shows who acknowledged each alert, filters by status across pages, and counts the open ones", async () => {
    const agentId = await createAgent();
    const ids = await withAlerts(agentId, 5);
    for (const id of [ids[1]!, ids[3]!]) expect((await acknowledge(agentId, id)).status).toBe(200);

    const all = await listed(agentId);
    expect(all.alerts.map((a) => a.id)).toEqual([...ids].reverse());
    expect(Object.keys(all.alerts[0]!)).toEqual(["id", "at", "type", "message", "details", "deliveredAt", "deliveryError", "acknowledgedAt", "acknowledgedBy"]);
    const byId = new Map(all.alerts.map((a) => [a.id, a]));
    expect(byId.get(ids[1]!)!.acknowledgedBy).toBe("admin:bootstrap");
    expect(byId.get(ids[0]!)).toMatchObject({ acknowledgedAt: null, acknowledgedBy: null });

    const open: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await listed(agentId, `?status=open&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      open.push(...page.alerts.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(open).toEqual([ids[4]!, ids[2]!, ids[0]!]);
    expect((await listed(agentId, "?status=acknowledged")).alerts.map((a) => a.id)).toEqual([ids[3]!, ids[1]!]);
    expect((await listed(agentId, "?status=open&type=budget_threshold")).alerts).toEqual([]);

    // A cursor of one status does not page another.
    const firstOpen = await listed(agentId, "?status=open&limit=1");
    expect((await admin(`/v1/agents/${agentId}/alerts?status=acknowledged&limit=1&cursor=${encodeURIComponent(firstOpen.nextCursor!)}`)).status).toBe(400);

    const bad = await admin(`/v1/agents/${agentId}/alerts?status=closed`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe("status must be one of open, acknowledged");

    const counts = await countAlerts(await shardDb(agentId), agentId, 0, Date.now());
    expect(counts).toEqual({ total: 5, undelivered: 5, open: 3 });
    expect(counts.open).toBe(open.length);
  });
});
