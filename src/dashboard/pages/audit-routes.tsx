import { type Context, Hono } from "hono";
import { auditSearchQuery, searchAudit, verifyAuditChain } from "../../admin/audit";
import { parseAgentId, requireAuditTrail } from "../../admin/common";
import { loadReport, reportCsv, reportFilename, reportFormat } from "../../admin/reports";
import { parseStandard, REPORT_STANDARDS, type ReportStandard } from "../../audit/reports";
import { AppError } from "../../core/errors";
import { authorize, type DashboardEnv, requireSession } from "../context";
import { AuditPageView, VerifyPageView } from "./audit";
import { ReportPageView } from "./audit-report";
import { agentDb } from "../../db/shards";

/** The standard of a report page, from its query string. */
function standardOf(raw: string | undefined): ReportStandard {
  const standard = parseStandard(raw ?? "");
  if (!standard) throw new AppError("invalid_request", `standard must be one of ${REPORT_STANDARDS.join(", ")}`);
  return standard;
}

/**
 * One agent's audit pages: the search, the chain check and the compliance reports. Each reads
 * through the same function as the admin JSON route it stands for, under that route's access
 * rule; none changes anything, so all are GETs. Mounted by `routes.tsx`, behind the session.
 */
export const auditPageRoutes = new Hono<DashboardEnv>()
  .get("/agents/:agentId/audit", async (c) => {
    const session = requireSession(c);
    const { agentId } = await requireAuditTrailFor(c, "audit");
    const query = auditSearchQuery(c);
    const page = await searchAudit(c.env, agentId, query, c.var.clock.now());
    return c.html(<AuditPageView principal={session.principal} csrf={session.csrf} agentId={agentId} query={query} page={page} />);
  })
  .get("/agents/:agentId/audit/verify", async (c) => {
    const session = requireSession(c);
    const { agentId, stub } = await requireAuditTrailFor(c, "audit/verify");
    const result = await verifyAuditChain(await agentDb(c.env, agentId), stub, agentId, { from: c.req.query("from"), to: c.req.query("to") }, c.var.clock.now());
    return c.html(<VerifyPageView principal={session.principal} csrf={session.csrf} result={result} />);
  })
  .get("/agents/:agentId/audit/report", async (c) => {
    const session = requireSession(c);
    const standard = standardOf(c.req.query("standard"));
    authorize(session.principal, "GET", `/v1/agents/${parseAgentId(c.req.param("agentId"))}/reports/${standard}`);
    const report = await loadReport(c, standard);
    const query = { from: c.req.query("from"), to: c.req.query("to") };
    return c.html(<ReportPageView principal={session.principal} csrf={session.csrf} report={report} query={query} />);
  })
  // The same bodies as the admin report route's JSON and CSV, as a file to keep.
  .get("/agents/:agentId/audit/report/download", async (c) => {
    const session = requireSession(c);
    const standard = standardOf(c.req.query("standard"));
    authorize(session.principal, "GET", `/v1/agents/${parseAgentId(c.req.param("agentId"))}/reports/${standard}`);
    const format = reportFormat(c.req.query("format"));
    const report = await loadReport(c, standard);
    const disposition = `attachment; filename="${reportFilename(report, format)}"`;
    if (format === "json") return c.body(JSON.stringify(report), 200, { "content-type": "application/json", "content-disposition": disposition });
    return c.body(reportCsv(report), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": disposition });
  });

/** The agent's audit trail, once the key may read the admin route `/v1/agents/:agentId/<route>`. */
async function requireAuditTrailFor(c: Context<DashboardEnv>, route: "audit" | "audit/verify") {
  const session = requireSession(c);
  authorize(session.principal, "GET", `/v1/agents/${parseAgentId(c.req.param("agentId") ?? "")}/${route}`);
  return requireAuditTrail(c);
}
