import { describe, expect, it } from "vitest";
import { admin, clockedApp, createAgent, type Target, worker } from "../support/agents";
import { fiveEvents, verify } from "../audit/helpers";
import { createKey, page, signIn } from "./support";
import { shardDb } from "../support/shards";

interface SearchBody {
  events: Array<{ id: string; seq: number | null; at: string; actor: string; action: string; resource: string; decision: string; details: unknown; hash: string | null }>;
  nextCursor: string | null;
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** The events an audit page shows, with each one's details read back from its formatted JSON. */
function eventsOf(html: string) {
  const details = new Map([...html.matchAll(/<pre class="json" data-details-for="([^"]+)">([\s\S]*?)<\/pre>/g)].map((m) => [m[1]!, JSON.parse(unescape(m[2]!)) as unknown]));
  return [...html.matchAll(/<tr data-event-id="([^"]+)" data-seq="(\d*)" data-action="([^"]*)" data-actor="([^"]*)" data-decision="([^"]*)">/g)].map((m) => ({
    id: m[1]!,
    seq: m[2] === "" ? null : Number(m[2]),
    action: unescape(m[3]!),
    actor: unescape(m[4]!),
    decision: m[5]!,
    details: details.get(m[1]!),
  }));
}

const olderCursor = (html: string) => {
  const m = /data-testid="older" data-cursor="([^"]+)"/.exec(html);
  return m ? unescape(m[1]!) : null;
};

async function json<T>(path: string, target: Target): Promise<T> {
  const res = await admin(path, { target });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
}

async function html(path: string, cookie: string, target: Target): Promise<string> {
  const res = await page(path, { cookie, target });
  expect(res.status, path).toBe(200);
  return res.text();
}

describe("dashboard audit log", () => {
  it("shows the JSON API's events for the same filters, page by page, with the same cursor", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const { target } = clockedApp(Date.now());
    const { key } = await createKey({ role: "viewer", agents: [agentId] });
    const { cookie } = await signIn(key, target);
    const searches = ["limit=2", "decision=denied&limit=2", "action=trust.*", "actor=unverified%3Ahttp&decision=denied", "actor=admin%3Abootstrap", "action=&actor=&decision=&from=&to="];
    const seen: Record<string, number> = {};
    for (const filters of searches) {
      let cursor: string | null = "";
      let total = 0;
      for (let pages = 0; cursor !== null; pages++) {
        expect(pages).toBeLessThan(6);
        const qs: string = `${filters}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const body: SearchBody = await json<SearchBody>(`/v1/agents/${agentId}/audit?${qs}`, target);
        const shown = await html(`/dashboard/agents/${agentId}/audit?${qs}`, cookie, target);
        expect(eventsOf(shown)).toEqual(body.events.map((e) => ({ id: e.id, seq: e.seq, action: e.action, actor: e.actor, decision: e.decision, details: e.details })));
        expect(olderCursor(shown)).toBe(body.nextCursor);
        total += body.events.length;
        cursor = body.nextCursor;
      }
      seen[filters] = total;
    }
    // The filters themselves: three refused webhooks, two trust changes, one creation.
    expect(seen).toEqual({
      "limit=2": 6,
      "decision=denied&limit=2": 3,
      "action=trust.*": 2,
      "actor=unverified%3Ahttp&decision=denied": 3,
      "actor=admin%3Abootstrap": 3,
      "action=&actor=&decision=&from=&to=": 6,
    });
    const filtered = await html(`/dashboard/agents/${agentId}/audit?decision=denied`, cookie, target);
    expect(eventsOf(filtered).every((e) => e.decision === "denied" && e.action === "webhook.rejected")).toBe(true);
    expect(filtered).toContain('<option value="denied" selected="">denied</option>');
  });

  it("refuses a cursor of another search and a filter it cannot read, naming the field", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const { cookie } = await signIn();
    const first = await html(`/dashboard/agents/${agentId}/audit?limit=2`, cookie, worker);
    const cursor = olderCursor(first)!;
    const other = await page(`/dashboard/agents/${agentId}/audit?limit=2&decision=denied&cursor=${encodeURIComponent(cursor)}`, { cookie });
    expect(other.status).toBe(400);
    const bad = await page(`/dashboard/agents/${agentId}/audit?decision=maybe`, { cookie });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("decision must be one of allowed, denied, changed, recorded");
    expect((await admin(`/v1/agents/${agentId}/audit?decision=maybe`)).status).toBe(400);
  });

  it("shows the JSON API's chain verification, intact and then broken at the same seq", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const { target } = clockedApp(Date.now());
    const { cookie } = await signIn(undefined, target);
    const result = (shown: string) => {
      const m = /data-testid="verify-result" data-ok="(\w+)" data-checked="(\d+)" data-first-seq="(\d*)" data-last-seq="(\d*)" data-unchained="(\d+)" data-broken-seq="(\d*)"/.exec(shown);
      if (!m) throw new Error("no verify result on the page");
      return { ok: m[1] === "true", checked: Number(m[2]), firstSeq: Number(m[3]), lastSeq: Number(m[4]), unchained: Number(m[5]), brokenSeq: m[6] === "" ? null : Number(m[6]) };
    };
    const intact = await verify(agentId, "", target);
    expect(intact.ok).toBe(true);
    const page1 = await html(`/dashboard/agents/${agentId}/audit/verify`, cookie, target);
    expect(result(page1)).toEqual({ ok: true, checked: intact.checked, firstSeq: intact.firstSeq, lastSeq: intact.lastSeq, unchained: intact.unchained, brokenSeq: null });
    expect(page1).toContain("intact");

    await (await shardDb(agentId)).prepare("UPDATE audit_events SET details = ? WHERE agent_id = ? AND seq = 4").bind('{"edited":true}', agentId).run();
    const broken = await verify(agentId, "", target);
    expect(broken.firstBroken?.seq).toBe(4);
    const page2 = await html(`/dashboard/agents/${agentId}/audit/verify`, cookie, target);
    expect(result(page2)).toEqual({ ok: false, checked: broken.checked, firstSeq: broken.firstSeq, lastSeq: broken.lastSeq, unchained: broken.unchained, brokenSeq: 4 });
    expect(page2).toContain(broken.firstBroken!.reason);
  });

  it("downloads the admin API's SOC2 and HIPAA reports as JSON and CSV attachments, and shows their sections", async () => {
    const agentId = await createAgent();
    await fiveEvents(agentId);
    const now = Date.now();
    const { target } = clockedApp(now);
    const { cookie } = await signIn(undefined, target);
    const from = new Date(now - 86_400_000).toISOString().slice(0, 10);
    for (const standard of ["SOC2", "HIPAA"]) {
      for (const range of ["", `&from=${from}`]) {
        for (const format of ["json", "csv"] as const) {
          const api = await admin(`/v1/agents/${agentId}/reports/${standard}?format=${format}${range}`, { target });
          expect(api.status).toBe(200);
          const res = await page(`/dashboard/agents/${agentId}/audit/report/download?standard=${standard}&format=${format}${range}`, { cookie, target });
          expect(res.status).toBe(200);
          const disposition = res.headers.get("content-disposition") ?? "";
          expect(disposition).toMatch(new RegExp(`^attachment; filename="foreman-${agentId}-${standard}-\\d{4}-\\d{2}-\\d{2}-\\d{4}-\\d{2}-\\d{2}\\.${format}"$`));
          expect(res.headers.get("content-type")).toContain(format === "json" ? "application/json" : "text/csv");
          expect(await res.text()).toBe(await api.text());
        }
      }
      const report = (await (await admin(`/v1/agents/${agentId}/reports/${standard}`, { target })).json()) as { sections: Array<{ id: string; rows: unknown[]; truncated: number }> };
      const view = await html(`/dashboard/agents/${agentId}/audit/report?standard=${standard}`, cookie, target);
      const sections = [...view.matchAll(/data-section="([^"]+)" data-rows="(\d+)" data-truncated="(\d+)"/g)].map((m) => ({ id: m[1], rows: Number(m[2]), truncated: Number(m[3]) }));
      expect(sections).toEqual(report.sections.map((s) => ({ id: s.id, rows: s.rows.length, truncated: s.truncated })));
      expect(view).toContain(`/dashboard/agents/${agentId}/audit/report/download?standard=${standard}&amp;format=csv`);
    }
    const bad = await page(`/dashboard/agents/${agentId}/audit/report?standard=PCI`, { cookie, target });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("standard must be one of SOC2, HIPAA");
  });

  it("lets a viewer of the agent read every audit page, and refuses a viewer scoped to another agent", async () => {
    const agentId = await createAgent();
    const other = await createAgent();
    const paths = ["audit", "audit/verify", "audit/report?standard=SOC2", "audit/report/download?standard=HIPAA&format=csv"];
    const viewer = await signIn((await createKey({ role: "viewer", agents: [agentId] })).key);
    const outsider = await signIn((await createKey({ role: "viewer", agents: [other] })).key);
    for (const path of paths) {
      const read = await page(`/dashboard/agents/${agentId}/${path}`, { cookie: viewer.cookie });
      expect(read.status, path).toBe(200);
      // No inline code for the CSP to refuse.
      expect(await read.text()).not.toMatch(/\sstyle=|<style|<script(?![^>]*\bsrc=)/);
      const refused = await page(`/dashboard/agents/${agentId}/${path}`, { cookie: outsider.cookie });
      expect(refused.status, path).toBe(403);
      expect(await refused.text()).toContain(`not allowed to reach agent &quot;${agentId}&quot;`);
    }
    const admins = await signIn();
    expect((await page("/dashboard/agents/no-such-agent/audit", { cookie: admins.cookie })).status).toBe(404);
    // The agent's overview links to its audit log.
    const overview = await html(`/dashboard/agents/${agentId}`, viewer.cookie, worker);
    expect(overview).toContain(`href="/dashboard/agents/${agentId}/audit" data-testid="audit-link"`);
  });
});
