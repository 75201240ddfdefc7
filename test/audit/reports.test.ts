import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { csvField, reportCsv } from "../../src/admin/reports";
import type { ComplianceReport, ReportSection } from "../../src/audit/reports";
import { admin, clockedApp, createAgent, sendHttp, type Target } from "../support/agents";
import { scriptModel } from "../support/model";
import { fiveEvents, rejectedWebhook, stateOf, trustSet } from "./helpers";
import { shardDb } from "../support/shards";

const HOUR = 3_600_000;
const DAY_START = Date.UTC(2026, 10, 18);
const RANGE = "from=2026-11-18T00:00:00Z&to=2026-11-19T00:00:00Z";
/** A tool name a model could be talked into: a spreadsheet formula. */
const FORMULA_TOOL = '=HYPERLINK("https://evil.example","x")';
const OTHER_REASON = "the other agent's reason";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parses RFC 4180 CSV (CRLF-terminated records, quoted fields with doubled quotes) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (ch === '"') {
      // A quote may open a field only at its start (RFC 4180 §2.5).
      if (!quoted && field !== "") throw new Error(`stray quote at ${i}`);
      quoted = !quoted;
    } else if (quoted) {
      field += ch;
    } else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else {
      if (ch === "\r" || ch === "\n") throw new Error(`bare line break at ${i}`);
      field += ch;
    }
  }
  if (quoted || field !== "" || row.length > 0) throw new Error("the CSV does not end with CRLF");
  return rows;
}

async function countOf(sql: string, agentId: string): Promise<number> {
  return (await (await shardDb(agentId)).prepare(sql).bind(agentId).first<{ n: number }>())?.n ?? 0;
}

/**
 * Runs the agent's alarm until D1 holds its events, interactions and alerts, each alert with its
 * delivery recorded by the alerts queue (with sleeps: they arrive in the background).
 */
async function flushAll(agentId: string, want: { events: number; alerts: number; interactions: number }): Promise<void> {
  for (let i = 0; i < 500; i++) {
    await runDurableObjectAlarm(stateOf(agentId));
    const have = {
      events: await countOf("SELECT COUNT(*) AS n FROM audit_events WHERE agent_id = ?", agentId),
      alerts: await countOf("SELECT COUNT(*) AS n FROM alerts WHERE agent_id = ? AND (delivered_at IS NOT NULL OR delivery_error IS NOT NULL)", agentId),
      interactions: await countOf("SELECT COUNT(*) AS n FROM interactions WHERE agent_id = ?", agentId),
    };
    if (have.events >= want.events && have.alerts >= want.alerts && have.interactions >= want.interactions) return;
    await sleep(20);
  }
  throw new Error(`D1 never held ${JSON.stringify(want)} for ${agentId}`);
}

let n = 0;
async function ask(agentId: string, target: Target, text: string, steps: Parameters<typeof scriptModel>[1]): Promise<void> {
  await scriptModel(agentId, steps);
  n += 1;
  const res = await sendHttp(agentId, { id: `rep-${n}`, conversation: `conv-${n}`, from: "customer", text }, { target });
  expect(res.status).toBe(200);
}

/**
 * A day of traffic, an hour apart: a Write with an email at 0.5 (detailed audit), a Read, an
 * operator lowering trust to 0.3, a denied Write (and a tool named like a formula), a refused
 * signature, a critical message, and the operator raising trust back to 0.5. Thirteen events (the
 * agent's creation first), an
 * urgent_message and a permission_escalation alert, four answered messages.
 */
async function dayOfTraffic(): Promise<{ agentId: string; other: string; end: number }> {
  const { clock, target } = clockedApp(DAY_START + 8 * HOUR);
  // Created that morning: their `agent.created` events open the day.
  const agentId = await createAgent(
    {
      trust: { initial: 0.5 },
      audit: { level: "detailed", compliance: { standards: ["SOC2", "HIPAA"], encryption: true }, retention: { duration: "7y" } },
    },
    {},
    target,
  );
  const other = await createAgent({}, {}, target);
  const step = () => clock.advance(HOUR);

  await ask(agentId, target, "Please keep my contact", [
    { type: "tool_use", calls: [{ name: "Write", input: { path: "contacts/ana.md", content: "Ana, ana@example.com" } }] },
    { type: "text", text: "Saved." },
  ]);
  step();
  await ask(agentId, target, "What is in my plan?", [
    { type: "tool_use", calls: [{ name: "Read", input: { path: "notes/plan.md" } }] },
    { type: "text", text: "Nothing yet." },
  ]);
  step();
  await trustSet(agentId, 0.3, target);
  await rejectedWebhook(other, target);
  step();
  await ask(agentId, target, "Save this note please", [
    { type: "tool_use", calls: [{ name: "Write", input: { path: "n.md", content: "x" } }, { name: FORMULA_TOOL, input: {} }] },
    { type: "text", text: "I cannot save notes yet." },
  ]);
  step();
  await rejectedWebhook(agentId, target);
  step();
  await ask(agentId, target, "My card was stolen", [{ type: "text", text: "I have alerted a person." }]);
  step();
  await trustSet(agentId, 0.5, target);
  const res = await admin(`/v1/agents/${other}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level: 0.5, reason: OTHER_REASON }), target });
  expect(res.status).toBe(200);

  await flushAll(agentId, { events: 13, alerts: 2, interactions: 4 });
  await flushAll(other, { events: 3, alerts: 1, interactions: 0 });
  return { agentId, other, end: clock.now() };
}

async function report(agentId: string, standard: string, query = RANGE): Promise<ComplianceReport> {
  const res = await admin(`/v1/agents/${agentId}/reports/${standard}${query ? `?${query}` : ""}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ComplianceReport;
}

const sectionOf = (r: ComplianceReport, id: string): ReportSection => {
  const found = r.sections.find((s) => s.id === id);
  if (!found) throw new Error(`no section ${id}`);
  return found;
};

describe("GET /v1/agents/:agentId/reports/:standard over a day of traffic", () => {
  let day: { agentId: string; other: string; end: number };
  beforeAll(async () => {
    day = await dayOfTraffic();
  });

  it("fills every SOC2 section the traffic touches, each naming its criterion", async () => {
    const soc2 = await report(day.agentId, "SOC2");
    expect(soc2).toMatchObject({ agentId: day.agentId, standard: "SOC2", from: "2026-11-18T00:00:00.000Z", to: "2026-11-19T00:00:00.000Z" });
    expect(soc2.sections.map((s) => [s.id, s.control])).toEqual([
      ["access-changes", "CC6.1, CC6.3"],
      ["denied-attempts", "CC6.8, CC7.2"],
      ["alerts", "CC7.3, CC7.4"],
      ["audit-integrity", "CC7.2"],
      ["config-changes", "CC8.1"],
      ["data-protection", "C1.1, P4.2"],
      ["availability", "A1.2"],
    ]);
    for (const id of ["access-changes", "denied-attempts", "alerts", "config-changes", "data-protection"]) {
      expect(sectionOf(soc2, id).rows.length, id).toBeGreaterThan(0);
    }

    const access = sectionOf(soc2, "access-changes");
    expect(access.counts).toMatchObject({ "trust.changed": 2, "trust.freeze": 0, trustLevel: 0.5, tier: "0.5" });
    expect(access.rows.map((r) => [r.actor, r.action, JSON.parse(r.detail).to])).toEqual([
      ["admin:bootstrap", "trust.changed", 0.3],
      ["admin:bootstrap", "trust.changed", 0.5],
    ]);

    const denied = sectionOf(soc2, "denied-attempts");
    expect(denied.counts).toMatchObject({ "tool.denied": 2, "webhook.rejected": 1, "budget.denied": 0 });
    expect(denied.rows.map((r) => r.resource).sort()).toEqual([FORMULA_TOOL, "Write", "http"].sort());

    const alerts = sectionOf(soc2, "alerts");
    expect(alerts.counts).toMatchObject({ total: 2, urgent_message: 1, permission_escalation: 1, delivered: 0, undelivered: 2 });
    expect(alerts.rows.map((r) => [r.action, r.decision])).toEqual([
      ["alert.urgent_message", "undelivered"],
      ["alert.permission_escalation", "undelivered"],
    ]);
    expect(alerts.rows[0]!.detail).toContain("no alert channel configured");

    const chain = sectionOf(soc2, "audit-integrity");
    expect(chain.counts).toMatchObject({ ok: true, complete: true, checked: 13, firstSeq: 1, lastSeq: 13, unchained: 0 });
    expect(chain.summary).toMatch(/^Chain intact: 13 events/);

    expect(sectionOf(soc2, "config-changes").counts).toMatchObject({ "trust.changed": 2, configVersion: 1 });

    const protection = sectionOf(soc2, "data-protection");
    expect(protection.counts).toEqual({ auditLevel: "detailed", piiDetection: true, encryption: true, retention: "7y", toolCalls: 2, maskedToolCalls: 1, failedClosed: 0 });
    expect(protection.rows).toHaveLength(1);
    expect(protection.rows[0]).toMatchObject({ action: "tool.called", resource: "Write" });
    expect(protection.rows[0]!.detail).toContain("[EMAIL]");
    expect(JSON.stringify(soc2)).not.toContain("ana@example.com");

    expect(sectionOf(soc2, "availability").counts).toMatchObject({ total: 4, errorRate: 0, fallbackShare: 0, "outcome.denied": 1, "tier.intelligent": 4 });
  });

  it("fills every HIPAA section the traffic touches, with the CFR section each evidences", async () => {
    const hipaa = await report(day.agentId, "hipaa");
    expect(hipaa.standard).toBe("HIPAA");
    expect(hipaa.sections.map((s) => [s.id, s.control])).toEqual([
      ["audit-controls", "45 CFR §164.312(b)"],
      ["integrity", "45 CFR §164.312(c)(1)"],
      ["access-control", "45 CFR §164.312(a)(1)"],
      ["activity-review", "45 CFR §164.308(a)(1)(ii)(D)"],
      ["encryption", "45 CFR §164.312(a)(2)(iv)"],
      ["security-incidents", "45 CFR §164.308(a)(6)"],
      ["phi-exposure", "45 CFR §164.502(b), §164.514(d)"],
    ]);
    expect(sectionOf(hipaa, "audit-controls").counts).toEqual({
      enabled: true,
      level: "detailed",
      total: 13,
      "agent.created": 1,
      "message.answered": 4,
      "message.urgent": 1,
      "tool.called": 2,
      "tool.denied": 2,
      "trust.changed": 2,
      "webhook.rejected": 1,
    });
    expect(sectionOf(hipaa, "integrity").counts).toMatchObject({ ok: true, checked: 13 });
    expect(sectionOf(hipaa, "access-control").rows.map((r) => r.action).sort()).toEqual(["tool.denied", "tool.denied", "trust.changed", "trust.changed", "webhook.rejected"]);
    expect(sectionOf(hipaa, "activity-review").rows).toHaveLength(2);
    expect(sectionOf(hipaa, "encryption").counts).toEqual({ encryption: true });
    const incidents = sectionOf(hipaa, "security-incidents");
    expect(incidents.rows.map((r) => r.action)).toEqual(["message.urgent", "alert.permission_escalation"]);
    expect(JSON.parse(incidents.rows[0]!.detail)).toMatchObject({ urgency: "critical", cues: expect.arrayContaining(["safety:stolen"]) });
    expect(sectionOf(hipaa, "phi-exposure").counts).toMatchObject({ toolCalls: 2, maskedToolCalls: 1 });
  });

  it("never shows another agent's events or alerts", async () => {
    for (const standard of ["SOC2", "HIPAA"]) {
      const text = JSON.stringify(await report(day.agentId, standard));
      expect(text).not.toContain(OTHER_REASON);
      expect(text).not.toContain(day.other);
    }
    const other = await report(day.other, "SOC2");
    expect(sectionOf(other, "access-changes").counts).toMatchObject({ "trust.changed": 1 });
    expect(sectionOf(other, "denied-attempts").counts).toMatchObject({ "tool.denied": 0, "webhook.rejected": 1 });
    expect(sectionOf(other, "data-protection").counts).toMatchObject({ toolCalls: 0 });
    expect(sectionOf(other, "audit-integrity").counts).toMatchObject({ ok: true, checked: 3 });
  });

  it("covers the last 30 days by default", async () => {
    const { target } = clockedApp(day.end + HOUR);
    const res = await admin(`/v1/agents/${day.agentId}/reports/SOC2`, { target });
    const body = (await res.json()) as ComplianceReport;
    expect(body.to).toBe(new Date(day.end + HOUR).toISOString());
    expect(body.from).toBe(new Date(day.end + HOUR - 30 * 24 * HOUR).toISOString());
    expect(sectionOf(body, "audit-integrity").counts).toMatchObject({ checked: 13 });
  });

  it("answers CSV that parses back under RFC 4180, one line per row, with formulas defused", async () => {
    const res = await admin(`/v1/agents/${day.agentId}/reports/SOC2?${RANGE}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="foreman-${day.agentId}-SOC2-2026-11-18-2026-11-19.csv"`);
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual(["section", "control", "at", "actor", "action", "resource", "decision", "detail"]);
    expect(rows.every((r) => r.length === 8)).toBe(true);
    expect(rows.flat().some((cell) => /^[=+\-@]/.test(cell))).toBe(false);

    const json = await report(day.agentId, "SOC2");
    for (const s of json.sections) {
      const lines = rows.filter((r) => r[0] === s.id && !["summary", "count", "truncated"].includes(r[4]!));
      expect(lines.length, s.id).toBe(s.rows.length);
      expect(rows.find((r) => r[0] === s.id && r[4] === "summary")?.[7]).toBe(s.summary);
    }
    const denied = rows.filter((r) => r[0] === "denied-attempts" && r[4] === "tool.denied").map((r) => r[5]);
    expect(denied).toContain(`'${FORMULA_TOOL}`);
    expect(rows).toContainEqual(["data-protection", "C1.1, P4.2", "", "", "count", "maskedToolCalls", "", "1"]);
    const writeCall = rows.find((r) => r[0] === "data-protection" && r[4] === "tool.called");
    expect(writeCall?.[7]).toBe(json.sections.find((s) => s.id === "data-protection")!.rows[0]!.detail);
  });
});

describe("GET /v1/agents/:agentId/reports/:standard: integrity and bounds", () => {
  it("reports a tampered event as a broken chain, naming the link", async () => {
    const agentId = await createAgent({});
    await fiveEvents(agentId);
    await (await shardDb(agentId)).prepare("UPDATE audit_events SET details = ? WHERE agent_id = ? AND seq = 3").bind('{"reason":"edited"}', agentId).run();
    const chain = sectionOf(await report(agentId, "SOC2", ""), "audit-integrity");
    expect(chain.counts).toMatchObject({ ok: false, brokenSeq: 3, brokenReason: "hash_mismatch", checked: 3 });
    expect(chain.summary).toBe("Chain broken at seq 3: hash_mismatch.");
    expect(chain.rows).toEqual([expect.objectContaining({ action: "chain.broken", resource: "seq 3", decision: "hash_mismatch" })]);
  });

  it("says how many of the period's events retention left only in the R2 archive", async () => {
    const agentId = await createAgent({});
    const day = Date.UTC(2026, 9, 1);
    await (await shardDb(agentId)).prepare(
      `INSERT INTO audit_archives (agent_id, first_seq, last_seq, day, count, first_at, last_at, last_hash, object_key, object_sha256, digest_key, digest_sha256, previous_digest_sha256, archived_at)
       VALUES (?, 1, 40, '2026-10-01', 40, ?, ?, 'h', 'k', 's', 'dk', 'ds', 'p', ?)`,
    )
      .bind(agentId, day + HOUR, day + 20 * HOUR, day + 25 * HOUR)
      .run();
    const chain = sectionOf(await report(agentId, "HIPAA", "from=2026-10-01T00:00:00Z&to=2026-10-31T00:00:00Z"), "integrity");
    expect(chain.counts).toMatchObject({ checked: 0, archivedEvents: 40, archiveObjects: 1 });
    expect(chain.summary).toContain("40 events of 1 R2 archive objects overlapping the period are no longer in D1");
    const later = sectionOf(await report(agentId, "HIPAA", "from=2026-11-01T00:00:00Z&to=2026-11-30T00:00:00Z"), "integrity");
    expect(later.counts).toMatchObject({ archivedEvents: 0, archiveObjects: 0 });
  });

  it("lists at most 200 rows a section and counts the rest", async () => {
    const agentId = await createAgent({});
    const at = Date.now() - HOUR;
    const db = await shardDb(agentId);
    const insert = db.prepare(
      "INSERT INTO audit_events (id, agent_id, at, actor, action, resource, decision, details) VALUES (?, ?, ?, 'unverified:http', 'webhook.rejected', 'http', 'denied', '{}')",
    );
    await db.batch(Array.from({ length: 205 }, (_, i) => insert.bind(`${agentId}-${i}`, agentId, at + i)));
    const soc2 = await report(agentId, "SOC2", "");
    const denied = sectionOf(soc2, "denied-attempts");
    expect(denied.counts).toMatchObject({ "webhook.rejected": 205 });
    expect(denied.rows).toHaveLength(200);
    expect(denied.truncated).toBe(5);
    expect(denied.rows[0]!.at).toBe(new Date(at).toISOString());
    expect(sectionOf(soc2, "audit-integrity").counts).toMatchObject({ ok: true, checked: 0, unchained: 205 });
  });
});

describe("GET /v1/agents/:agentId/reports/:standard: refusals", () => {
  it("refuses an unknown standard or format, a bad or too long range, a bad token, an unknown agent", async () => {
    const agentId = await createAgent({});
    const path = `/v1/agents/${agentId}/reports`;
    expect((await admin(`${path}/PCI`)).status).toBe(400);
    expect((await admin(`${path}/SOC2?format=xml`)).status).toBe(400);
    expect((await admin(`${path}/SOC2?from=yesterday`)).status).toBe(400);
    expect((await admin(`${path}/SOC2?from=2026-11-19T00:00:00Z&to=2026-11-18T00:00:00Z`)).status).toBe(400);
    const tooLong = await admin(`${path}/HIPAA?from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z`);
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    expect((await admin(`${path}/HIPAA?from=2025-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`)).status).toBe(200);
    expect((await admin(`${path}/SOC2`, { token: "wrong" })).status).toBe(401);
    expect((await admin(`${path}/SOC2`, { token: null })).status).toBe(401);
    expect((await admin(`/v1/agents/no-such-agent-${crypto.randomUUID().slice(0, 8)}/reports/SOC2`)).status).toBe(404);
  });
});

describe("report CSV", () => {
  it("quotes per RFC 4180 and prefixes cells a spreadsheet would run as formulas", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('a,"b"\r\nc')).toBe('"a,""b""\r\nc"');
    expect(csvField(null)).toBe("");
    expect(csvField(-1)).toBe("'-1");
    for (const cell of ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]) expect(csvField(cell).replace(/^"/, "")).toMatch(/^'/);
    const report: ComplianceReport = {
      agentId: "a",
      standard: "SOC2",
      from: "2026-11-18T00:00:00.000Z",
      to: "2026-11-19T00:00:00.000Z",
      generatedAt: "2026-11-19T00:00:00.000Z",
      sections: [
        {
          id: "s",
          title: "T",
          control: "CC6.1",
          summary: "one, two",
          counts: { n: 1 },
          rows: [{ at: null, actor: "x", action: "y", resource: "=2+3", decision: "d", detail: 'multi\nline "quoted"' }],
          truncated: 4,
        },
      ],
    };
    expect(parseCsv(reportCsv(report)).slice(2)).toEqual([
      ["s", "CC6.1", "", "", "summary", "T", "", "one, two"],
      ["s", "CC6.1", "", "", "count", "n", "", "1"],
      ["s", "CC6.1", "", "x", "y", "'=2+3", "d", 'multi\nline "quoted"'],
      ["s", "CC6.1", "", "", "truncated", "", "", "4 more rows in the period; search them with GET /v1/agents/a/audit"],
    ]);
  });
});
