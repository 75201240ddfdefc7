import type { BudgetReport, CostReport } from "../../admin/cost";
import type { Principal } from "../../http/context";
import { BudgetGauge, type ChartDay, CostChart, MessagesChart, TIER_ORDER } from "../chart";
import { Layout } from "../layout";
import { AgentActions } from "./agent-edit";

export interface OverviewData {
  agentId: string;
  /** Days shown in the chart. */
  spanDays: number;
  cost: CostReport;
  /** Every day of the span, oldest first, zero where nothing was answered. */
  days: ChartDay[];
  budget: BudgetReport;
  alerts: { total: number; undelivered: number };
  /** Alerts not acknowledged yet, of all time. */
  openAlerts: number;
  pendingApprovals: number;
  trust: { level: number; frozen: boolean; frozenReason: string | null };
}

const usd = (v: number | null) => (v === null ? "—" : `$${v.toFixed(v !== 0 && Math.abs(v) < 0.01 ? 4 : 2)}`);
const percent = (v: number | null) => (v === null ? "—" : `${Math.round(v * 100)}%`);

/** One figure with a label; `name` is its `data-figure` (the tests read figures by it). */
function Figure(props: { name: string; value: string | number; label: string; raw?: string | number | null; note?: string }) {
  return (
    <div class="card">
      <div class="muted">{props.label}</div>
      <div class="figure" data-figure={props.name} data-value={String(props.raw ?? props.value)}>
        {props.value}
      </div>
      {props.note ? <div class="muted">{props.note}</div> : null}
    </div>
  );
}

/**
 * An agent at a glance: messages and cost per tier over the span, savings against answering
 * everything with the model, today's budget, and what waits for a person. The trust form is the
 * page's one action; a viewer sees it disabled, and the server refuses it anyway.
 */
export function OverviewPage(props: { principal: Principal; csrf: string; canAct: boolean; data: OverviewData }) {
  const { data } = props;
  const { cost, budget } = data;
  const tiers = TIER_ORDER.filter((t) => cost.tiers[t]).concat(Object.keys(cost.tiers).filter((t) => !(TIER_ORDER as readonly string[]).includes(t)) as never[]);
  return (
    <Layout title={`${data.agentId} overview`} principal={props.principal} csrf={props.csrf}>
      <h1>
        {data.agentId} <span class="muted">last {data.spanDays} days</span>
      </h1>
      <p>
        <a href={`/dashboard/agents/${encodeURIComponent(data.agentId)}/audit`} data-testid="audit-link">
          Audit log
        </a>{" "}
        · <a href={`/dashboard/agents/${encodeURIComponent(data.agentId)}/learning`}>Learning</a>
        · <a href={`/dashboard/agents/${encodeURIComponent(data.agentId)}/channels`} data-testid="channels-link">Channels</a>
        · <AgentActions principal={props.principal} agentId={data.agentId} />
      </p>
      <div class="grid">
        <Figure name="requests" label="Messages" value={cost.requests} />
        <Figure name="cost-usd" label="Cost" value={usd(cost.costUsd)} raw={cost.costUsd} />
        <Figure
          name="savings-usd"
          label="Saved against always the model"
          value={usd(cost.savingsUsd)}
          raw={cost.savingsUsd}
          note={cost.baselineUsd === null ? "no model answer measured yet" : `${percent(cost.savingsShare)} of ${usd(cost.baselineUsd)}`}
        />
        <Figure name="alerts" label="Alerts" value={data.alerts.total} note={data.alerts.undelivered > 0 ? `${data.alerts.undelivered} not delivered` : undefined} />
        <div class="card">
          <div class="muted">Open alerts</div>
          <div class="figure" data-figure="open-alerts" data-value={String(data.openAlerts)}>
            {data.openAlerts}
          </div>
          <a href={`/dashboard/agents/${encodeURIComponent(data.agentId)}/alerts?status=open`} data-testid="alerts-link">
            Alerts
          </a>{" "}
          · <a href={`/dashboard/agents/${encodeURIComponent(data.agentId)}/dead-letters`}>Dead letters</a>
        </div>
        <Figure name="pending-approvals" label="Tool requests waiting" value={data.pendingApprovals} />

        <section class="card wide">
          <h2>Messages per day by tier</h2>
          <MessagesChart days={data.days} />
          <ul class="legend">
            {tiers.map((t) => (
              <li>
                <span class={`swatch t-${(TIER_ORDER as readonly string[]).includes(t) ? t : "other"}`}></span>
                {t}
              </li>
            ))}
          </ul>
          <h2>Cost per day</h2>
          <CostChart days={data.days} />
        </section>

        <section class="card wide table-wrap">
          <h2>Per tier</h2>
          <table data-testid="tiers">
            <thead>
              <tr>
                <th>Tier</th>
                <th class="num">Messages</th>
                <th class="num">Share</th>
                <th class="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {tiers.map((t) => {
                const row = cost.tiers[t];
                return row ? (
                  <tr data-tier={t} data-requests={String(row.requests)} data-cost-usd={String(row.costUsd)}>
                    <td>{t}</td>
                    <td class="num">{row.requests}</td>
                    <td class="num">{percent(row.share)}</td>
                    <td class="num">{usd(row.costUsd)}</td>
                  </tr>
                ) : null;
              })}
            </tbody>
          </table>
        </section>

        <section class="card">
          <h2>Budget today</h2>
          <div class="figure" data-figure="budget-spent-usd" data-value={String(budget.spentUsd)}>
            {usd(budget.spentUsd)} <span class="muted">of {usd(budget.dailyUsd)}</span>
          </div>
          <BudgetGauge spentUsd={budget.spentUsd} reservedUsd={budget.reservedUsd} dailyUsd={budget.dailyUsd} alertThreshold={budget.alertThreshold} />
          <div class="muted">
            Alert at {percent(budget.alertThreshold)} · {usd(budget.reservedUsd)} reserved · {budget.day} ({budget.timeZone})
          </div>
        </section>

        <section class="card">
          <h2>Trust</h2>
          <div class="figure" data-figure="trust-level" data-value={String(data.trust.level)}>
            {data.trust.level.toFixed(2)} {data.trust.frozen ? <span class="badge bad">frozen</span> : null}
          </div>
          {data.trust.frozen && data.trust.frozenReason ? <p class="muted">{data.trust.frozenReason}</p> : null}
          <p>
            <a href={`/dashboard/agents/${encodeURIComponent(data.agentId)}/trust`}>Trust, permissions and approvals</a>
          </p>
          <form method="post" action={`/dashboard/agents/${encodeURIComponent(data.agentId)}/trust`} class="inline" data-testid="trust-form" data-confirm={data.trust.frozen ? undefined : "Freeze this agent's trust level?"}>
            <input type="hidden" name="_csrf" value={props.csrf} />
            <input type="hidden" name="action" value={data.trust.frozen ? "unfreeze" : "freeze"} />
            <input type="text" name="reason" required maxlength={500} placeholder="Reason" disabled={!props.canAct} />
            <button type="submit" disabled={!props.canAct}>
              {data.trust.frozen ? "Unfreeze" : "Freeze"}
            </button>
          </form>
          {props.canAct ? null : <p class="muted">This key is read-only.</p>}
        </section>
      </div>
    </Layout>
  );
}
