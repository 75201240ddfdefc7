import type { ComplianceReport } from "../../audit/reports";
import type { Principal } from "../../http/context";
import { Layout } from "../layout";
import { auditPath, withQuery } from "./audit";

/**
 * A SOC2 or HIPAA report (`GET /v1/agents/:agentId/reports/:standard`) section by section, with
 * links that download the same report as JSON or CSV.
 */
export function ReportPageView(props: { principal: Principal; csrf: string; report: ComplianceReport; query: { from?: string; to?: string } }) {
  const { report } = props;
  const base = `${auditPath(report.agentId)}/report`;
  const download = (format: "json" | "csv") => withQuery(`${base}/download`, { standard: report.standard, from: props.query.from, to: props.query.to, format });
  return (
    <Layout title={`${report.agentId} ${report.standard} report`} principal={props.principal} csrf={props.csrf}>
      <h1>
        <a href={auditPath(report.agentId)}>{report.agentId}</a> <span class="muted">{report.standard} report</span>
      </h1>
      <div class="grid">
        <section class="card wide" data-testid="report-summary" data-standard={report.standard} data-from={report.from} data-to={report.to}>
          <p>
            {report.from} to {report.to} <span class="muted">· generated {report.generatedAt}</span>
          </p>
          <p class="pager">
            <a href={download("json")} download data-testid="download-json">
              Download JSON
            </a>
            <a href={download("csv")} download data-testid="download-csv">
              Download CSV
            </a>
          </p>
        </section>
        {report.sections.map((s) => (
          <section class="card wide" data-section={s.id} data-rows={String(s.rows.length)} data-truncated={String(s.truncated)}>
            <h2>
              {s.title} <span class="muted">{s.control}</span>
            </h2>
            <p>{s.summary}</p>
            {Object.keys(s.counts).length > 0 ? (
              <dl class="counts">
                {Object.entries(s.counts).map(([key, value]) => (
                  <div>
                    <dt>{key}</dt>
                    <dd>{value === null ? "—" : String(value)}</dd>
                  </div>
                ))}
              </dl>
            ) : null}
            {s.rows.length > 0 ? (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Time (UTC)</th>
                      <th>Actor</th>
                      <th>Action</th>
                      <th>Resource</th>
                      <th>Decision</th>
                      <th>Detail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.rows.map((r) => (
                      <tr>
                        <td class="nowrap">{r.at ?? "—"}</td>
                        <td>{r.actor}</td>
                        <td>{r.action}</td>
                        <td>{r.resource}</td>
                        <td>{r.decision}</td>
                        <td class="detail">{r.detail}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
            {s.truncated > 0 ? (
              <p class="muted">
                {s.truncated} more rows in the period: <a href={withQuery(auditPath(report.agentId), { from: report.from, to: report.to })}>search them in the audit log</a> or download the report.
              </p>
            ) : null}
          </section>
        ))}
      </div>
    </Layout>
  );
}
