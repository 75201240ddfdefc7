import { type Context, Hono } from "hono";
import { buildReport, type ComplianceReport, parseStandard, REPORT_STANDARDS } from "../audit/reports";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";
import { DEFAULT_ANALYTICS_SPAN_MS, requireAgent, timeRange } from "./common";

const DAY_MS = 86_400_000;
/** A year and a leap day: an annual audit period in one report, and a bound on its queries. */
const MAX_RANGE_MS = 366 * DAY_MS;

const CSV_HEADER = ["section", "control", "at", "actor", "action", "resource", "decision", "detail"];

/**
 * One CSV field (RFC 4180 §2.6–2.7: quoted when it holds a comma, quote or line break, quotes
 * doubled). A cell a spreadsheet would read as a formula (OWASP "CSV injection": = + - @, tab,
 * carriage return) is prefixed with a single quote, since event details can carry text a
 * customer or caller chose.
 *
 * @example
 * csvField('=HYPERLINK("x")'); // "\"'=HYPERLINK(\"\"x\"\")\""
 */
export function csvField(value: string | number | boolean | null): string {
  let text = value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The report as CSV, one line per row, CRLF-terminated (RFC 4180 §2.1). Before each section's
 * rows: a `summary` line, then one `count` line per count (the key in `resource`, the value in
 * `detail`); after them a `truncated` line when rows were left out. The first line after the
 * header names the report.
 *
 * @example
 * reportCsv(report).split("\r\n")[0]; // "section,control,at,actor,action,resource,decision,detail"
 */
export function reportCsv(report: ComplianceReport): string {
  const lines: Array<Array<string | number | boolean | null>> = [
    CSV_HEADER,
    ["report", report.standard, report.generatedAt, "foreman", "report", report.agentId, null, `period ${report.from} to ${report.to}`],
  ];
  for (const s of report.sections) {
    lines.push([s.id, s.control, null, null, "summary", s.title, null, s.summary]);
    for (const [key, value] of Object.entries(s.counts)) lines.push([s.id, s.control, null, null, "count", key, null, value]);
    for (const r of s.rows) lines.push([s.id, s.control, r.at, r.actor, r.action, r.resource, r.decision, r.detail]);
    if (s.truncated > 0) lines.push([s.id, s.control, null, null, "truncated", null, null, `${s.truncated} more rows in the period; search them with GET /v1/agents/${report.agentId}/audit`]);
  }
  return lines.map((line) => line.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/**
 * The report for the agent of the request, the standard named and the request's `from`/`to`
 * (the last 30 days by default, at most 366 days): what the admin report route and the
 * dashboard's report view and downloads return.
 */
export async function loadReport(c: Context<AppEnv>, rawStandard: string): Promise<ComplianceReport> {
  const standard = parseStandard(rawStandard);
  if (!standard) throw new AppError("invalid_request", `standard must be one of ${REPORT_STANDARDS.join(", ")}`);
  const { from, to } = timeRange(c, DEFAULT_ANALYTICS_SPAN_MS);
  if (to - from > MAX_RANGE_MS) throw new AppError("invalid_request", "the range is longer than 366 days: report it in parts");
  const { agentId, snapshot } = await requireAgent(c);
  return buildReport(c.env, {
    agentId,
    record: snapshot.record,
    trustLevel: snapshot.trustLevel,
    standard,
    from,
    to,
    now: c.var.clock.now(),
  });
}

/** The file name a report downloads as. */
export function reportFilename(report: ComplianceReport, format: "json" | "csv"): string {
  return `foreman-${report.agentId}-${report.standard}-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}.${format}`;
}

/** `format` of a report request: json (the default) or csv. */
export function reportFormat(raw: string | undefined): "json" | "csv" {
  const format = raw ?? "json";
  if (format !== "json" && format !== "csv") throw new AppError("invalid_request", "format must be json or csv");
  return format;
}

/** `GET /v1/agents/:agentId/reports/:standard?from=&to=&format=json|csv`: SOC2 and HIPAA evidence. */
export const reportRoutes = new Hono<AppEnv>().get("/agents/:agentId/reports/:standard", async (c) => {
  // Standard, then format, then range and agent: the order the errors have always come in.
  if (!parseStandard(c.req.param("standard"))) throw new AppError("invalid_request", `standard must be one of ${REPORT_STANDARDS.join(", ")}`);
  const format = reportFormat(c.req.query("format"));
  const report = await loadReport(c, c.req.param("standard"));
  if (format === "json") return c.json(report);
  return c.body(reportCsv(report), 200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${reportFilename(report, "csv")}"`,
  });
});
