/**
 * The dashboard's alerts page: the same listing, filters, cursors and open count as
 * `GET /v1/agents/:agentId/alerts`; acknowledging through the page as the admin route does it
 * (audited with the key's id); a viewer refused.
 */
import { describe, expect, it } from "vitest";
import { admin, createAgent } from "../support/agents";
import { flushedSql } from "../support/audit";
import { createKey, csrfOf, figuresOf, page, signIn } from "./support";
import { shardDb } from "../support/shards";

interface AlertView {
  id: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

/** Stores alerts as the agent's alarm flushes them (every other one delivered); their ids, oldest first. */
async function withAlerts(agentId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  const base = Date.now() - 3_600_000;
  for (let i = 0; i < count; i++) {
    const id = crypto.randomUUID();
    await (await shardDb(agentId)).prepare("INSERT INTO alerts (id, agent_id, at, type, message, details, delivered_at, delivery_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(id, agentId, base + i * 1000, i % 2 === 0 ? "urgent_message" : "budget_threshold", `alert number ${i}`, JSON.stringify({ n: i }), i % 2 ? base + i * 1000 + 5 : null, i % 2 ? null : "no alert channel configured")
      .run();
    ids.push(id);
  }
  return ids;
}

async function listed(agentId: string, query = ""): Promise<{ alerts: AlertView[]; nextCursor: string | null }> {
  const res = await admin(`/v1/agents/${agentId}/alerts${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { alerts: AlertView[]; nextCursor: string | null };
}

/** The alerts a page lists, in order, with who acknowledged each. */
const rowsOf = (html: string) => [...html.matchAll(/data-alert-id="([^"]+)" data-type="[^"]+" data-acknowledged-by="([^"]*)"/g)].map((m) => ({ id: m[1], by: m[2] }));
/** The cursor of a page's "Older alerts" link. */
const olderCursor = (html: string) => {
  const href = /<a href="([^"]+)" data-testid="older"/.exec(html)?.[1];
  return href ? new URL(href.replace(/&amp;/g, "&"), "https://foreman.test").searchParams.get("cursor") : null;
};

const acknowledgeJson = (agentId: string, id: string) => admin(`/v1/agents/${agentId}/alerts/${id}/acknowledge`, { method: "POST" });

describe("dashboard alerts page", () => {
  it("lists the same alerts, filters, pages and open count as the JSON API, and the overview links to it", async () => {
    const agentId = await createAgent();
    const ids = await withAlerts(agentId, 5);
    for (const id of [ids[0]!, ids[3]!]) expect((await acknowledgeJson(agentId, id)).status).toBe(200);
    const { key } = await createKey({ role: "viewer" });
    const { cookie } = await signIn(key);

    for (const query of ["", "?status=open", "?status=acknowledged", "?type=urgent_message", "?status=open&type=budget_threshold"]) {
      const json = await listed(agentId, query);
      const res = await page(`/dashboard/agents/${agentId}/alerts${query}`, { cookie });
      expect(res.status, query).toBe(200);
      const html = await res.text();
      expect(rowsOf(html), query).toEqual(json.alerts.map((a) => ({ id: a.id, by: a.acknowledgedBy ?? "" })));
      expect(Number(figuresOf(html).listed)).toBe(json.alerts.length);
    }

    // Page by page with the JSON route's own cursors.
    let cursor: string | null = null;
    const seen: string[] = [];
    do {
      const q: string = `?status=open&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const json = await listed(agentId, q);
      const html = await (await page(`/dashboard/agents/${agentId}/alerts${q}`, { cookie })).text();
      expect(rowsOf(html).map((r) => r.id)).toEqual(json.alerts.map((a) => a.id));
      expect(olderCursor(html)).toBe(json.nextCursor);
      seen.push(...json.alerts.map((a) => a.id));
      cursor = json.nextCursor;
    } while (cursor);
    expect(seen).toEqual([ids[4]!, ids[2]!, ids[1]!]);

    const open = (await listed(agentId, "?status=open&limit=200")).alerts.length;
    const html = await (await page(`/dashboard/agents/${agentId}/alerts`, { cookie })).text();
    expect(Number(figuresOf(html)["open-alerts"])).toBe(open);
    expect(html).toContain("alert number 2");
    expect(html).toContain("no alert channel configured");

    const overview = await (await page(`/dashboard/agents/${agentId}`, { cookie })).text();
    expect(Number(figuresOf(overview)["open-alerts"])).toBe(open);
    expect(overview).toContain(`href="/dashboard/agents/${agentId}/alerts?status=open" data-testid="alerts-link"`);

    // Bad filters are the JSON route's 400s.
    const bad = await page(`/dashboard/agents/${agentId}/alerts?status=closed`, { cookie });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("status must be one of open, acknowledged");
  });

  it("acknowledges through the page as an operator, audited with the key's id, and comes back to the same filter", async () => {
    const agentId = await createAgent();
    const [alertId] = await withAlerts(agentId, 1);
    const { key, id } = await createKey({ role: "operator", agents: [agentId] });
    const { cookie } = await signIn(key);
    const html = await (await page(`/dashboard/agents/${agentId}/alerts?status=open`, { cookie })).text();
    expect(html).toContain(`action="/dashboard/agents/${agentId}/alerts/${alertId}/acknowledge"`);
    expect(html).not.toMatch(/data-testid="acknowledge-form"[^]*?disabled/);

    const path = `/dashboard/agents/${agentId}/alerts/${alertId}/acknowledge`;
    const res = await page(path, { cookie, form: { _csrf: csrfOf(html), back: "status=open&evil=https://elsewhere.example", note: "seen it" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/agents/${agentId}/alerts?status=open`);
    const [alert] = (await listed(agentId)).alerts;
    expect(alert).toMatchObject({ id: alertId, acknowledgedBy: `admin:${id}` });
    const [event] = await flushedSql<{ actor: string; details: string }>(agentId, "SELECT actor, details FROM audit_events WHERE agent_id = ? AND action = 'alert.acknowledged'");
    expect(event!.actor).toBe(`admin:${id}`);
    expect(JSON.parse(event!.details)).toMatchObject({ note: "seen it" });

    // The open listing is empty now; acknowledging again changes nothing.
    const after = await (await page(`/dashboard/agents/${agentId}/alerts?status=open`, { cookie })).text();
    expect(rowsOf(after)).toEqual([]);
    expect(figuresOf(after)["open-alerts"]).toBe("0");
    expect((await page(path, { cookie, form: { _csrf: csrfOf(html) } })).status).toBe(303);
    expect((await listed(agentId)).alerts[0]).toEqual(alert);
  });

  it("refuses a bad note, a garbage id and an unknown alert, changing nothing", async () => {
    const agentId = await createAgent();
    const [alertId] = await withAlerts(agentId, 1);
    const { cookie } = await signIn();
    const csrf = csrfOf(await (await page(`/dashboard/agents/${agentId}/alerts`, { cookie })).text());
    const long = await page(`/dashboard/agents/${agentId}/alerts/${alertId}/acknowledge`, { cookie, form: { _csrf: csrf, note: "n".repeat(1001) } });
    expect(long.status).toBe(400);
    expect(await long.text()).toContain("note: must be at most 1000 characters");
    expect((await page(`/dashboard/agents/${agentId}/alerts/${encodeURIComponent("<b>")}/acknowledge`, { cookie, form: { _csrf: csrf } })).status).toBe(400);
    expect((await page(`/dashboard/agents/${agentId}/alerts/${crypto.randomUUID()}/acknowledge`, { cookie, form: { _csrf: csrf } })).status).toBe(404);
    const other = await createAgent();
    expect((await page(`/dashboard/agents/${other}/alerts/${alertId}/acknowledge`, { cookie, form: { _csrf: csrf } })).status).toBe(404);
    expect((await listed(agentId)).alerts[0]!.acknowledgedAt).toBeNull();
  });

  it("shows a viewer the forms disabled and refuses its acknowledgement, with and without the CSRF token", async () => {
    const agentId = await createAgent();
    const [alertId] = await withAlerts(agentId, 1);
    const { key } = await createKey({ role: "viewer" });
    const { cookie } = await signIn(key);
    const html = await (await page(`/dashboard/agents/${agentId}/alerts`, { cookie })).text();
    expect(html).toMatch(/<button type="submit" disabled="">\s*Acknowledge/);
    expect(html).toContain("This key is read-only.");

    const path = `/dashboard/agents/${agentId}/alerts/${alertId}/acknowledge`;
    const withToken = await page(path, { cookie, form: { _csrf: csrfOf(html) } });
    expect(withToken.status).toBe(403);
    expect(await withToken.text()).toContain("viewer keys are read-only");
    expect((await page(path, { cookie, form: { note: "no token" } })).status).toBe(403);
    expect((await listed(agentId)).alerts[0]!.acknowledgedAt).toBeNull();

    // A key of other agents sees neither the page nor the action.
    const { key: otherKey } = await createKey({ role: "operator", agents: ["someone-else"] });
    const { cookie: otherCookie } = await signIn(otherKey);
    expect((await page(`/dashboard/agents/${agentId}/alerts`, { cookie: otherCookie })).status).toBe(403);
    expect((await page(path, { cookie: otherCookie, form: { _csrf: csrfOf(await (await page("/dashboard/agents", { cookie: otherCookie })).text()) } })).status).toBe(403);
  });
});
