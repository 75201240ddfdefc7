/**
 * The learning page: an agent's patterns by status and its learning analytics, equal to the
 * JSON API's; the approve / reject / roll back forms through the admin route's code (audited
 * with the key's id); the pack's download and upload; a viewer refused every action.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PATTERN_STATUSES } from "../../src/learn/lifecycle";
import { admin, worker } from "../support/agents";
import { flushedSql } from "../support/audit";
import { getPattern, learnRun, type PatternJson, type RunJson, trafficAgent } from "../support/learning";
import { createKey, csrfOf, figuresOf, page, SAME_ORIGIN, signIn } from "./support";

/** The count and pattern ids of each status list on the page. */
function listsOf(html: string): Record<string, { count: number; ids: string[] }> {
  const lists: Record<string, { count: number; ids: string[] }> = {};
  const sections = html.split(/(?=<section class="card wide" data-status-list=)/);
  for (const section of sections) {
    const head = /^<section class="card wide" data-status-list="([a-z_]+)" data-count="(\d+)"/.exec(section);
    if (!head) continue;
    const body = section.slice(0, section.indexOf("</section>"));
    lists[head[1]!] = { count: Number(head[2]), ids: [...body.matchAll(/<li class="pattern" data-pattern="([^"]+)"/g)].map((m) => m[1]!) };
  }
  return lists;
}

/** A multipart upload of a pack, as the import form sends it. */
async function upload(agentId: string, cookie: string, csrf: string | null, pack: string): Promise<Response> {
  const form = new FormData();
  if (csrf !== null) form.set("_csrf", csrf);
  form.set("pack", new File([pack], "pack.json", { type: "application/json" }));
  // Encoded by a Request, as a browser encodes the form.
  const encoded = new Request("https://foreman.test/", { method: "POST", body: form });
  const headers = new Headers({ cookie, ...SAME_ORIGIN, "content-type": encoded.headers.get("content-type")! });
  const path = `https://foreman.test/dashboard/agents/${agentId}/learning/import`;
  return worker.fetch(new Request(path, { method: "POST", headers, body: await encoded.arrayBuffer(), redirect: "manual" }));
}

describe("dashboard learning page", { timeout: 60_000 }, () => {
  let agentId: string;
  let run: RunJson;
  let cookie: string;
  beforeAll(async () => {
    agentId = await trafficAgent(60);
    run = await learnRun(agentId);
    cookie = (await signIn()).cookie;
  }, 60_000);

  it("lists each status's patterns and the analytics exactly as the JSON API does", async () => {
    const res = await page(`/dashboard/agents/${agentId}/learning`, { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    const json = (await (await admin(`/v1/agents/${agentId}/patterns`)).json()) as { patterns: PatternJson[] };
    expect(json.patterns.length).toBe(run.candidates.length);
    const lists = listsOf(html);
    for (const status of PATTERN_STATUSES) {
      const ids = json.patterns.filter((p) => p.status === status).map((p) => p.id);
      expect(lists[status], status).toEqual({ count: ids.length, ids });
    }
    for (const p of json.patterns) {
      // Each canonical answer, escaped as the page shows it, and the examples count.
      expect(html).toContain(`data-pattern="${p.id}" data-status="${p.status}" data-examples="${p.examples}"`);
      expect(html).toContain(p.canonicalAnswer.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;"));
    }
    const first = json.patterns[0]!;
    expect(html).toContain(`<dd data-field="threshold">${first.report!.threshold!.toFixed(3)}</dd>`);

    const match = /(\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})/.exec(html);
    expect(match).not.toBeNull();
    const analytics = (await (await admin(`/v1/agents/${agentId}/learning/analytics`)).json()) as { served: number; savingsUsd: number | null };
    const figures = figuresOf(html);
    expect(figures.served).toBe(String(analytics.served));
    expect(figures["savings-usd"]).toBe(String(analytics.savingsUsd));
    expect(figures["error-rate"]).toBe("0.01");
    expect(figures["confidence-threshold"]).toBe("0.95");
  });

  it("links the page from the agent's overview", async () => {
    const html = await (await page(`/dashboard/agents/${agentId}`, { cookie })).text();
    expect(html).toContain(`href="/dashboard/agents/${agentId}/learning"`);
  });

  it("approves a pending pattern into canary through the admin route's code, audited with the key's id, and shows its rollout", async () => {
    const { key, id } = await createKey({ role: "admin" });
    const session = (await signIn(key)).cookie;
    const pending = run.candidates.find((c) => c.status === "pending_approval")!;
    const html = await (await page(`/dashboard/agents/${agentId}/learning`, { cookie: session })).text();
    expect(html).toContain(`data-testid="approve-${pending.id}"`);
    const res = await page(`/dashboard/agents/${agentId}/learning/${pending.id}/approve`, { cookie: session, form: { _csrf: csrfOf(html), note: "reads right" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/agents/${agentId}/learning`);
    expect((await getPattern(agentId, pending.id)).status).toBe("canary");
    const events = await flushedSql<{ action: string; actor: string; details: string }>(
      agentId,
      "SELECT action, actor, details FROM audit_events WHERE agent_id = ? AND action = 'pattern.approved'",
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.actor).toBe(`admin:${id}`);

    const after = await (await page(`/dashboard/agents/${agentId}/learning`, { cookie: session })).text();
    expect(listsOf(after).canary?.ids).toContain(pending.id);
    const listed = await getPattern(agentId, pending.id);
    expect(after).toContain(
      `data-pattern="${pending.id}" data-shadow="${listed.rollout!.shadow}" data-disagreed="${listed.rollout!.disagreed}" data-served="${listed.rollout!.served}" data-negative-feedback="${listed.rollout!.negativeFeedback}"`,
    );

    // Approving a canary is a promotion; approving it again from active is a 409 page with the envelope's message.
    const promote = await page(`/dashboard/agents/${agentId}/learning/${pending.id}/approve`, { cookie: session, form: { _csrf: csrfOf(after) } });
    expect(promote.status).toBe(303);
    const wrong = await page(`/dashboard/agents/${agentId}/learning/${pending.id}/approve`, { cookie: session, form: { _csrf: csrfOf(after) } });
    expect(wrong.status).toBe(409);
    expect(await wrong.text()).toContain(`pattern &quot;${pending.id}&quot; is active; approve applies to a pattern that is validated, pending_approval, canary, shadow`);

    // The active pattern offers a roll back, which ends its serving.
    const active = await (await page(`/dashboard/agents/${agentId}/learning`, { cookie: session })).text();
    expect(active).toContain(`data-testid="rollback-${pending.id}"`);
    const rolledBack = await page(`/dashboard/agents/${agentId}/learning/${pending.id}/rollback`, { cookie: session, form: { _csrf: csrfOf(active), note: "wrong tone" } });
    expect(rolledBack.status).toBe(303);
    expect(await getPattern(agentId, pending.id)).toMatchObject({ status: "rolled_back", changed: { by: `admin:${id}`, reason: "wrong tone" } });
  });

  it("refuses a viewer every action, with and without the CSRF token, and shows it the forms disabled", async () => {
    const { key } = await createKey({ role: "viewer" });
    const viewer = (await signIn(key)).cookie;
    const res = await page(`/dashboard/agents/${agentId}/learning`, { cookie: viewer });
    expect(res.status).toBe(200);
    const html = await res.text();
    const target = run.candidates.filter((c) => c.status === "pending_approval").at(-1)!;
    expect(html).toMatch(new RegExp(`data-testid="approve-${target.id}"[\\s\\S]*?<button type="submit" disabled=""`));
    for (const action of ["approve", "reject"]) {
      for (const form of [{ _csrf: csrfOf(html) }, {} as Record<string, string>]) {
        const refused = await page(`/dashboard/agents/${agentId}/learning/${target.id}/${action}`, { cookie: viewer, form });
        expect(refused.status).toBe(403);
      }
    }
    const pack = await (await admin(`/v1/agents/${agentId}/patterns/export`)).text();
    expect((await upload(agentId, viewer, csrfOf(html), pack)).status).toBe(403);
    expect((await upload(agentId, viewer, null, pack)).status).toBe(403);
    expect((await getPattern(agentId, target.id)).status).toBe("pending_approval");
  });

  it("refuses an operator of another agent the page and its actions", async () => {
    const { key } = await createKey({ role: "operator", agents: ["someone-else"] });
    const operator = (await signIn(key)).cookie;
    expect((await page(`/dashboard/agents/${agentId}/learning`, { cookie: operator })).status).toBe(403);
    expect((await page(`/dashboard/agents/${agentId}/learning/export`, { cookie: operator })).status).toBe(403);
    const own = await (await page("/dashboard/agents", { cookie: operator })).text();
    const target = run.candidates.filter((c) => c.status === "pending_approval").at(-1)!;
    const refused = await page(`/dashboard/agents/${agentId}/learning/${target.id}/reject`, { cookie: operator, form: { _csrf: csrfOf(own) } });
    expect(refused.status).toBe(403);
    expect((await getPattern(agentId, target.id)).status).toBe("pending_approval");
  });

  it("downloads the export as an attachment with the JSON route's body, and imports a pack into another agent", async () => {
    // One active pattern to export: approved into canary, then promoted.
    const exported = run.candidates.filter((c) => c.status === "pending_approval")[1]!;
    for (let i = 0; i < 2; i++) expect((await admin(`/v1/agents/${agentId}/patterns/${exported.id}/approve`, { method: "POST" })).status).toBe(200);
    const download = await page(`/dashboard/agents/${agentId}/learning/export`, { cookie });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toBe(`attachment; filename="${agentId}-patterns.json"`);
    const body = await download.text();
    const json = await (await admin(`/v1/agents/${agentId}/patterns/export`)).text();
    const strip = (s: string) => s.replace(/"exportedAt":"[^"]+"/, "");
    expect(strip(body)).toBe(strip(json));
    const pack = JSON.parse(body) as { patterns: unknown[] };
    expect(pack.patterns).toHaveLength(1);

    const other = await trafficAgent(0);
    const html = await (await page(`/dashboard/agents/${other}/learning`, { cookie })).text();
    // Without the token, nothing is imported.
    expect((await upload(other, cookie, null, body)).status).toBe(403);
    const bad = await upload(other, cookie, csrfOf(html), '{"format":"nope"}');
    expect(bad.status).toBe(400);
    const res = await upload(other, cookie, csrfOf(html), body);
    expect(res.status).toBe(303);
    const imported = (await (await admin(`/v1/agents/${other}/patterns?status=imported`)).json()) as { patterns: PatternJson[] };
    expect(imported.patterns).toHaveLength(pack.patterns.length);
    const after = await (await page(`/dashboard/agents/${other}/learning`, { cookie })).text();
    expect(listsOf(after).imported?.count).toBe(pack.patterns.length);
  });
});
