import { ALERT_STATUSES, ALERT_TYPES, type AlertView } from "../../admin/alerts";
import type { Principal } from "../../http/context";
import { Layout } from "../layout";
import { withQuery } from "./audit";

/** The alerts page of an agent. */
export const alertsPath = (agentId: string) => `/dashboard/agents/${encodeURIComponent(agentId)}/alerts`;

/** The query parameters a listing keeps from page to page (and after an acknowledgement). */
export const ALERT_QUERY_KEYS = ["status", "type", "from", "to", "limit", "cursor"] as const;

export interface AlertsData {
  agentId: string;
  /** The query as given, each key of `ALERT_QUERY_KEYS` (empty when absent). */
  query: Record<(typeof ALERT_QUERY_KEYS)[number], string>;
  alerts: AlertView[];
  nextCursor: string | null;
  /** Alerts not acknowledged yet, of all time. */
  open: number;
}

const when = (iso: string | null) => (iso === null ? "—" : `${iso.replace("T", " ").slice(0, 16)} UTC`);

function Filters(props: { data: AlertsData }) {
  const q = props.data.query;
  return (
    <form method="get" action={alertsPath(props.data.agentId)} class="filters" data-testid="alert-filters">
      <label>
        Status
        <select name="status">
          <option value="">any</option>
          {ALERT_STATUSES.map((s) => (
            <option value={s} selected={q.status === s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Type
        <select name="type">
          <option value="">any</option>
          {ALERT_TYPES.map((t) => (
            <option value={t} selected={q.type === t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <div class="actions">
        <button type="submit">Show</button>
        <a href={alertsPath(props.data.agentId)}>Clear</a>
      </div>
    </form>
  );
}

/** Delivery to the alert channel: when, or why not. */
function Delivery(props: { alert: AlertView }) {
  const a = props.alert;
  if (a.deliveredAt) return <span>{when(a.deliveredAt)}</span>;
  if (a.deliveryError) return <span class="error">{a.deliveryError}</span>;
  return <span class="muted">pending</span>;
}

/**
 * An agent's alerts, newest first, filtered by status and type as `GET /v1/agents/:agentId/alerts`
 * filters them, each open one with its acknowledge form (disabled for a key that may not act;
 * the server refuses it anyway).
 */
export function AlertsPage(props: { principal: Principal; csrf: string; canAcknowledge: boolean; data: AlertsData }) {
  const { data } = props;
  const base = alertsPath(data.agentId);
  const back = withQuery("", { ...data.query }).replace(/^\?/, "");
  return (
    <Layout title={`${data.agentId} alerts`} principal={props.principal} csrf={props.csrf}>
      <h1>
        {data.agentId} <span class="muted">alerts</span>
      </h1>
      <p>
        <a href={`/dashboard/agents/${encodeURIComponent(data.agentId)}`}>Overview</a> ·{" "}
        <a href={`/dashboard/agents/${encodeURIComponent(data.agentId)}/dead-letters`}>Dead letters</a>
      </p>
      <div class="grid">
        <div class="card">
          <div class="muted">Open alerts</div>
          <div class="figure" data-figure="open-alerts" data-value={String(data.open)}>
            {data.open}
          </div>
          <a href={withQuery(base, { status: "open" })}>Show the open ones</a>
        </div>
        <div class="card">
          <div class="muted">On this page</div>
          <div class="figure" data-figure="listed" data-value={String(data.alerts.length)}>
            {data.alerts.length}
          </div>
        </div>
        <section class="card wide">
          <Filters data={data} />
        </section>
        <section class="card wide">
          {data.alerts.length === 0 ? (
            <p class="muted" data-testid="no-alerts">
              No alerts match these filters.
            </p>
          ) : (
            <div class="table-wrap">
              <table data-testid="alerts">
                <thead>
                  <tr>
                    <th>Raised (UTC)</th>
                    <th>Type</th>
                    <th>Message</th>
                    <th>Delivered</th>
                    <th>Acknowledged</th>
                  </tr>
                </thead>
                <tbody>
                  {data.alerts.map((a) => (
                    <tr data-alert-id={a.id} data-type={a.type} data-acknowledged-by={a.acknowledgedBy ?? ""}>
                      <td class="nowrap">{when(a.at)}</td>
                      <td>{a.type}</td>
                      <td class="detail">
                        {a.message}
                        <details>
                          <summary class="muted">details</summary>
                          <pre class="json">{JSON.stringify(a.details, null, 2)}</pre>
                        </details>
                      </td>
                      <td class="detail">
                        <Delivery alert={a} />
                      </td>
                      <td>
                        {a.acknowledgedAt ? (
                          <span data-testid="acknowledged">
                            {when(a.acknowledgedAt)} <span class="muted">by {a.acknowledgedBy}</span>
                          </span>
                        ) : (
                          <form method="post" action={`${base}/${encodeURIComponent(a.id)}/acknowledge`} class="inline" data-testid="acknowledge-form">
                            <input type="hidden" name="_csrf" value={props.csrf} />
                            <input type="hidden" name="back" value={back} />
                            <input type="text" name="note" maxlength={1000} placeholder="Note (optional)" disabled={!props.canAcknowledge} />
                            <button type="submit" disabled={!props.canAcknowledge}>
                              Acknowledge
                            </button>
                          </form>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {props.canAcknowledge ? null : <p class="muted">This key is read-only.</p>}
          <div class="pager">
            {data.query.cursor ? <a href={withQuery(base, { ...data.query, cursor: undefined })}>Newest alerts</a> : null}
            {data.nextCursor ? (
              <a href={withQuery(base, { ...data.query, cursor: data.nextCursor })} data-testid="older">
                Older alerts
              </a>
            ) : null}
          </div>
        </section>
      </div>
    </Layout>
  );
}
