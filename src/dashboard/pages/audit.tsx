import { AUDIT_DECISIONS, type AuditPage, type AuditSearchQuery, type ChainVerification } from "../../admin/audit";
import { REPORT_STANDARDS } from "../../audit/reports";
import type { Principal } from "../../http/context";
import { Layout } from "../layout";

/** The audit pages' base path for an agent. */
export const auditPath = (agentId: string) => `/dashboard/agents/${encodeURIComponent(agentId)}/audit`;

/** A dashboard link with the given query, leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

const decisionClass = (d: string) => (d === "denied" ? "badge bad" : d === "allowed" ? "badge ok" : "badge");

/** The search form: action (a name or a prefix ending in *), actor, decision, time range. */
function Filters(props: { agentId: string; query: AuditSearchQuery }) {
  const q = props.query;
  return (
    <form method="get" action={auditPath(props.agentId)} class="filters" data-testid="audit-filters">
      <label>
        Action
        <input type="text" name="action" value={q.action ?? ""} placeholder="tool.* or webhook.rejected" maxlength={101} />
      </label>
      <label>
        Actor
        <input type="text" name="actor" value={q.actor ?? ""} placeholder="admin:bootstrap" maxlength={200} />
      </label>
      <label>
        Decision
        <select name="decision">
          <option value="">any</option>
          {AUDIT_DECISIONS.map((d) => (
            <option value={d} selected={q.decision === d}>
              {d}
            </option>
          ))}
        </select>
      </label>
      <label>
        From (UTC)
        <input type="text" name="from" value={q.from ?? ""} placeholder="2026-12-01T00:00:00Z" />
      </label>
      <label>
        To (UTC)
        <input type="text" name="to" value={q.to ?? ""} placeholder="now" />
      </label>
      <div class="actions">
        <button type="submit">Search</button>
        <a href={auditPath(props.agentId)}>Clear</a>
      </div>
    </form>
  );
}

/** The events of one page, newest first; each event's details as formatted JSON. */
function EventsTable(props: { page: AuditPage }) {
  if (props.page.events.length === 0) return <p class="muted" data-testid="no-events">No events match these filters.</p>;
  return (
    <div class="table-wrap">
      <table data-testid="audit-events">
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th class="num">Seq</th>
            <th>Action</th>
            <th>Actor</th>
            <th>Resource</th>
            <th>Decision</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {props.page.events.map((e) => (
            <tr data-event-id={e.id} data-seq={e.seq === null ? "" : String(e.seq)} data-action={e.action} data-actor={e.actor} data-decision={e.decision}>
              <td class="nowrap">{e.at}</td>
              <td class="num">{e.seq ?? "—"}</td>
              <td>{e.action}</td>
              <td>{e.actor}</td>
              <td>{e.resource}</td>
              <td>
                <span class={decisionClass(e.decision)}>{e.decision}</span>
              </td>
              <td>
                <details>
                  <summary>{e.costUsd === null ? "details" : `details · $${e.costUsd}`}</summary>
                  <pre class="json" data-details-for={e.id}>
                    {JSON.stringify(e.details, null, 2)}
                  </pre>
                  <div class="muted">
                    request {e.requestId ?? "—"} · hash {e.hash ?? "not chained yet"}
                  </div>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The verify button (a GET form: it changes nothing) and the report form. */
function Tools(props: { agentId: string }) {
  return (
    <>
      <section class="card">
        <h2>Hash chain</h2>
        <p class="muted">Recomputes every event's hash from the first one kept to the head the agent holds.</p>
        <form method="get" action={`${auditPath(props.agentId)}/verify`} class="inline" data-testid="verify-form">
          <button type="submit">Verify the chain</button>
        </form>
      </section>
      <section class="card">
        <h2>Compliance report</h2>
        <form method="get" action={`${auditPath(props.agentId)}/report`} class="filters" data-testid="report-form">
          <label>
            Standard
            <select name="standard">
              {REPORT_STANDARDS.map((s) => (
                <option value={s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            From (UTC)
            <input type="date" name="from" />
          </label>
          <label>
            To (UTC)
            <input type="date" name="to" />
          </label>
          <div class="actions">
            <button type="submit">View report</button>
          </div>
        </form>
        <p class="muted">Without dates: the last 30 days. At most 366 days.</p>
      </section>
    </>
  );
}

/**
 * One agent's audit log: the events `GET /v1/agents/:agentId/audit` returns for the filters,
 * a page at a time, with the chain check and the compliance reports beside them.
 */
export function AuditPageView(props: { principal: Principal; csrf: string; agentId: string; query: AuditSearchQuery; page: AuditPage }) {
  const { agentId, query, page } = props;
  const filters = { action: query.action, actor: query.actor, decision: query.decision, from: query.from, to: query.to, limit: query.limit };
  return (
    <Layout title={`${agentId} audit`} principal={props.principal} csrf={props.csrf}>
      <h1>
        <a href={`/dashboard/agents/${encodeURIComponent(agentId)}`}>{agentId}</a> <span class="muted">audit log</span>
      </h1>
      <div class="grid">
        <section class="card wide">
          <Filters agentId={agentId} query={query} />
        </section>
        <section class="card wide">
          <EventsTable page={page} />
          <p class="pager">
            {query.cursor ? (
              <a href={withQuery(auditPath(agentId), filters)} data-testid="newest">
                Newest
              </a>
            ) : null}
            {page.nextCursor ? (
              <a href={withQuery(auditPath(agentId), { ...filters, cursor: page.nextCursor })} data-testid="older" data-cursor={page.nextCursor}>
                Older events
              </a>
            ) : null}
          </p>
        </section>
        <Tools agentId={agentId} />
      </div>
    </Layout>
  );
}

/** The result of `GET /v1/agents/:agentId/audit/verify`: intact, or the first broken link. */
export function VerifyPageView(props: { principal: Principal; csrf: string; result: ChainVerification }) {
  const r = props.result;
  return (
    <Layout title={`${r.agentId} chain`} principal={props.principal} csrf={props.csrf}>
      <h1>
        <a href={auditPath(r.agentId)}>{r.agentId}</a> <span class="muted">hash chain</span>
      </h1>
      <section
        class="card"
        data-testid="verify-result"
        data-ok={String(r.ok)}
        data-checked={String(r.checked)}
        data-first-seq={r.firstSeq === null ? "" : String(r.firstSeq)}
        data-last-seq={r.lastSeq === null ? "" : String(r.lastSeq)}
        data-unchained={String(r.unchained)}
        data-broken-seq={r.firstBroken ? String(r.firstBroken.seq) : ""}
      >
        {r.ok ? (
          <p class="figure">
            <span class="badge ok">intact</span>
          </p>
        ) : (
          <p class="figure">
            <span class="badge bad">broken at seq {r.firstBroken?.seq}</span>
          </p>
        )}
        {r.firstBroken ? (
          <p class="error">
            {r.firstBroken.reason}
            {r.firstBroken.id ? ` · event ${r.firstBroken.id}` : " · the event is missing"}
          </p>
        ) : null}
        <p>
          {r.checked} events checked{r.lastSeq === null ? "" : `, seq ${r.firstSeq} to ${r.lastSeq}`}
          {r.unchained > 0 ? `; ${r.unchained} not chained yet` : ""}.
        </p>
        <p class="muted">
          {r.from} to {r.to}
        </p>
        <p>
          <a href={auditPath(r.agentId)}>Back to the audit log</a>
        </p>
      </section>
    </Layout>
  );
}
