import type { TrustAnalyticsReport, TrustReport } from "../../admin/trust";
import type { approvalView } from "../../admin/approvals";
import type { Principal } from "../../http/context";
import { Layout } from "../layout";

type PendingApproval = Awaited<ReturnType<typeof approvalView>>;

const percent = (v: number) => `${Math.round(v * 100)}%`;
const when = (iso: string | null) => (iso === null ? "—" : iso.replace("T", " ").slice(0, 16) + " UTC");

function Figure(props: { name: string; label: string; value: string | number; raw: string | number }) {
  return (
    <div class="card">
      <div class="muted">{props.label}</div>
      <div class="figure" data-figure={props.name} data-value={String(props.raw)}>
        {props.value}
      </div>
    </div>
  );
}

const W = 700;
const H = 220;
const PAD = { left: 40, right: 10, top: 10, bottom: 28 };

/**
 * The level over the span as a step line (a level holds until the next change), each rule firing
 * a dot at the level it set. Every point carries its figures in `data-` attributes.
 */
export function TrustChart(props: { analytics: TrustAnalyticsReport }) {
  const { analytics } = props;
  const from = Date.parse(analytics.from);
  const to = Date.parse(analytics.to);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (iso: string) => PAD.left + (to === from ? plotW : ((Date.parse(iso) - from) / (to - from)) * plotW);
  const y = (level: number) => PAD.top + plotH - level * plotH;
  const path: string[] = [];
  analytics.levels.forEach((p, i) => {
    if (i > 0) path.push(`H${x(p.at).toFixed(1)}`);
    path.push(`${i === 0 ? "M" : "V"}${i === 0 ? `${x(p.at).toFixed(1)} ` : ""}${y(p.level).toFixed(1)}`);
  });
  path.push(`H${(W - PAD.right).toFixed(1)}`);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Trust level over time" data-testid="trust-chart">
      {[0, 0.5, 1].map((v) => (
        <g>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} stroke="#d9dee7" stroke-width="1" />
          <text x={PAD.left - 6} y={y(v) + 4} text-anchor="end" font-size="11" fill="#5b6475">
            {v.toFixed(1)}
          </text>
        </g>
      ))}
      <text x={PAD.left} y={H - 8} font-size="11" fill="#5b6475">
        {analytics.from.slice(0, 10)}
      </text>
      <text x={W - PAD.right} y={H - 8} text-anchor="end" font-size="11" fill="#5b6475">
        {analytics.to.slice(0, 10)}
      </text>
      <path d={path.join(" ")} fill="none" stroke="#2f5bd3" stroke-width="2" />
      {analytics.levels.map((p) => (
        <circle data-level-at={p.at} data-level={String(p.level)} cx={x(p.at)} cy={y(p.level)} r="2.5" fill="#2f5bd3">
          <title>{`${when(p.at)}: ${p.level}`}</title>
        </circle>
      ))}
      {analytics.firings.map((f) => (
        <circle data-firing-at={f.at} data-to={String(f.to)} cx={x(f.at)} cy={y(f.to)} r="5" fill="none" stroke={f.to < f.from ? "#c53030" : "#2f855a"} stroke-width="2">
          <title>{`${when(f.at)}: rule ${f.rule ? `${f.rule.metric} ${f.rule.action}` : ""} ${f.from} → ${f.to}`}</title>
        </circle>
      ))}
    </svg>
  );
}

/**
 * An agent's trust: the level over time with the rule firings and operator overrides, the
 * window's metrics, the permission tiers (the current one marked), and the tool requests waiting
 * for a person. The approve/reject forms are the page's actions; a viewer sees them disabled, and
 * the server refuses them anyway.
 */
export function TrustPage(props: { principal: Principal; csrf: string; canDecide: boolean; trust: TrustReport; analytics: TrustAnalyticsReport; pending: PendingApproval[] }) {
  const { trust, analytics, pending } = props;
  const agentPath = `/dashboard/agents/${encodeURIComponent(trust.agentId)}`;
  const tiers = Object.entries(trust.policy.permissions).sort(([a], [b]) => Number(a) - Number(b));
  const w = trust.window;
  return (
    <Layout title={`${trust.agentId} trust`} principal={props.principal} csrf={props.csrf}>
      <h1>
        {trust.agentId} <span class="muted">trust</span>
      </h1>
      <p>
        <a href={agentPath}>Overview</a> <span class="muted">· freeze or unfreeze the level there</span>
      </p>
      <div class="grid">
        <div class="card">
          <div class="muted">Trust level</div>
          <div class="figure" data-figure="trust-level" data-value={String(trust.level)}>
            {trust.level.toFixed(2)} {trust.frozen ? <span class="badge bad">frozen</span> : null}
          </div>
          {trust.frozen && trust.frozenReason ? <div class="muted">{trust.frozenReason}</div> : null}
        </div>
        <Figure name="window-outcomes" label="Outcomes in the window" value={w.outcomes} raw={w.outcomes} />
        <Figure name="window-success-rate" label="Success rate" value={percent(w.success_rate)} raw={w.success_rate} />
        <Figure name="window-error-rate" label="Error rate" value={percent(w.error_rate)} raw={w.error_rate} />
        <Figure name="window-denial-rate" label="Denial rate" value={percent(w.denial_rate)} raw={w.denial_rate} />
        <Figure name="window-escalation-rate" label="Escalation rate" value={percent(w.escalation_rate)} raw={w.escalation_rate} />
        <Figure name="since-change" label="Outcomes since the last change" value={w.sinceChange} raw={w.sinceChange} />
        <Figure name="pending-approvals" label="Tool requests waiting" value={pending.length} raw={pending.length} />

        <section class="card wide">
          <h2>Level over time</h2>
          <TrustChart analytics={analytics} />
          <p class="muted">
            {when(analytics.from)} to {when(analytics.to)} · {analytics.firings.length} rule firings (circled) · last evaluated {when(trust.lastEvaluatedAt)}
          </p>
          <h2>Operator overrides</h2>
          {analytics.overrides.length === 0 ? (
            <p class="muted">None in this span.</p>
          ) : (
            <div class="table-wrap">
              <table data-testid="overrides">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>What</th>
                    <th class="num">From</th>
                    <th class="num">To</th>
                    <th>By</th>
                    <th>Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {analytics.overrides.map((o) => (
                    <tr data-override-at={o.at} data-kind={o.kind}>
                      <td>{when(o.at)}</td>
                      <td>{o.kind}</td>
                      <td class="num">{o.from}</td>
                      <td class="num">{o.to}</td>
                      <td>{o.actor}</td>
                      <td>{o.reason ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>

        <section class="card wide table-wrap">
          <h2>Permission tiers</h2>
          <table data-testid="tiers">
            <thead>
              <tr>
                <th class="num">From level</th>
                <th>Tools allowed</th>
              </tr>
            </thead>
            <tbody>
              {tiers.map(([level, tools]) => (
                <tr data-tier={level} data-tools={tools.join(" ")} class={level === trust.tier ? "current" : undefined} aria-current={level === trust.tier ? "true" : undefined}>
                  <td class="num">
                    {level} {level === trust.tier ? <span class="badge">current</span> : null}
                  </td>
                  <td>{tools.length === 0 ? <span class="muted">none</span> : tools.join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p data-testid="allowed-tools" data-value={trust.allowedTools.join(" ")}>
            <span class="muted">Allowed now:</span> {trust.allowedTools.length === 0 ? "none" : trust.allowedTools.join(", ")}
          </p>
          <p data-testid="deny" data-value={trust.deny.join(" ")}>
            <span class="muted">Denied at every level:</span> {trust.deny.length === 0 ? "none" : trust.deny.join(", ")}
          </p>
          <p data-testid="ask" data-value={trust.ask.join(" ")}>
            <span class="muted">Run only after a person approves:</span> {trust.ask.length === 0 ? "none" : trust.ask.join(", ")}
          </p>
        </section>

        <section class="card wide">
          <h2>Tool requests waiting</h2>
          {pending.length === 0 ? <p class="muted">Nothing is waiting.</p> : null}
          {pending.map((a) => (
            <div class="request" data-approval={a.id}>
              <p>
                <strong>{a.tool}</strong> <span class="muted">· {a.channel} · requested {when(a.requestedAt)} · expires {when(a.expiresAt)}</span>
              </p>
              <pre class="input">{JSON.stringify(a.input, null, 2)}</pre>
              <form method="post" action={`${agentPath}/approvals/${encodeURIComponent(a.id)}`} class="inline" data-testid="decision-form">
                <input type="hidden" name="_csrf" value={props.csrf} />
                <input type="text" name="note" maxlength={1000} placeholder="Note (optional)" disabled={!props.canDecide} />
                <button type="submit" name="decision" value="approve" disabled={!props.canDecide}>
                  Approve
                </button>
                <button type="submit" name="decision" value="reject" class="quiet" disabled={!props.canDecide}>
                  Reject
                </button>
              </form>
            </div>
          ))}
          {props.canDecide ? null : <p class="muted">This key is read-only.</p>}
        </section>
      </div>
    </Layout>
  );
}
