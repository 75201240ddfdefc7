import type { LearningAnalytics } from "../../learn/analytics";
import { ACCEPTS, PATTERN_STATUSES, type PatternAction, type PatternStatus } from "../../learn/lifecycle";
import type { PatternView, RolloutCounts } from "../../learn/run";
import type { Principal } from "../../http/context";
import { Layout } from "../layout";

export interface LearningData {
  agentId: string;
  /** `GET /v1/agents/:agentId/patterns`. */
  patterns: Array<PatternView & { rollout: RolloutCounts }>;
  /** `GET /v1/agents/:agentId/learning/analytics` over the default span. */
  analytics: LearningAnalytics & { from: string; to: string };
  /** The success criteria a canary is held to (`learning.patterns.confidenceThreshold`, `learning.deployment.successCriteria.errorRate`). */
  confidenceThreshold: number;
  errorRate: number;
  minSamples: number | null;
}

const usd = (v: number | null) => (v === null ? "—" : `$${v.toFixed(v !== 0 && Math.abs(v) < 0.01 ? 4 : 2)}`);
const percent = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${Math.round(v * 1000) / 10}%`);
const LABELS: Record<PatternAction, string> = { approve: "Approve", reject: "Reject", rollback: "Roll back" };
const ACTIONS: readonly PatternAction[] = ["approve", "rollback", "reject"];

function Decision(props: { agentId: string; pattern: PatternView; action: PatternAction; csrf: string; canAct: boolean }) {
  return (
    <form
      method="post"
      action={`/dashboard/agents/${encodeURIComponent(props.agentId)}/learning/${encodeURIComponent(props.pattern.id)}/${props.action}`}
      class="inline"
      data-testid={`${props.action}-${props.pattern.id}`}
      data-confirm={props.action === "approve" ? undefined : `${LABELS[props.action]} this pattern?`}
    >
      <input type="hidden" name="_csrf" value={props.csrf} />
      <input type="text" name="note" maxlength={1000} placeholder="Note (optional)" disabled={!props.canAct} />
      <button type="submit" class={props.action === "approve" ? undefined : "quiet"} disabled={!props.canAct}>
        {LABELS[props.action]}
      </button>
    </form>
  );
}

function PatternRow(props: { agentId: string; pattern: PatternView & { rollout: RolloutCounts }; csrf: string; canAct: boolean }) {
  const { pattern } = props;
  const report = pattern.report;
  const actions = ACTIONS.filter((a) => ACCEPTS[a].includes(pattern.status as PatternStatus));
  return (
    <li class="pattern" data-pattern={pattern.id} data-status={pattern.status} data-examples={String(pattern.examples)}>
      <details>
        <summary>
          <code>{pattern.id}</code> · {pattern.examples} examples · agreement {percent(pattern.agreement)}
        </summary>
        <p class="answer" data-testid="canonical-answer">
          {pattern.canonicalAnswer}
        </p>
        {report ? (
          <dl class="report" data-report-valid={String(report.valid)}>
            <dt>Threshold</dt>
            <dd data-field="threshold">{report.threshold === null ? "none proven" : report.threshold.toFixed(3)}</dd>
            <dt>Proven error bound</dt>
            <dd data-field="error-bound">
              {percent(report.errorBound)} <span class="muted">(target {percent(report.target)})</span>
            </dd>
            <dt>Coverage</dt>
            <dd data-field="coverage">
              {percent(report.coverage)} <span class="muted">(required {percent(report.requiredCoverage)})</span>
            </dd>
            <dt>Handled</dt>
            <dd data-field="handled">
              {percent(report.handled)} <span class="muted">of {report.heldOut} held out</span>
            </dd>
          </dl>
        ) : (
          <p class="muted">Not validated yet.</p>
        )}
        {pattern.changed ? (
          <p class="muted">
            {pattern.changed.at} by {pattern.changed.by ?? "the system"}
            {pattern.changed.reason ? `: ${pattern.changed.reason}` : ""}
          </p>
        ) : null}
      </details>
      {actions.map((action) => (
        <Decision agentId={props.agentId} pattern={pattern} action={action} csrf={props.csrf} canAct={props.canAct} />
      ))}
    </li>
  );
}

/**
 * An agent's learned patterns: each status's list with the canonical answer and validation
 * report, the canary's progress against the success criteria, what patterns served and saved,
 * and the decisions a person makes (a viewer sees them disabled; the server refuses them anyway).
 */
export function LearningPage(props: { principal: Principal; csrf: string; canAct: boolean; data: LearningData }) {
  const { data } = props;
  const { analytics } = data;
  const agentPath = `/dashboard/agents/${encodeURIComponent(data.agentId)}`;
  const rolling = data.patterns.filter((p) => p.status === "canary" || p.status === "active");
  return (
    <Layout title={`${data.agentId} learning`} principal={props.principal} csrf={props.csrf}>
      <h1>
        <a href={agentPath}>{data.agentId}</a> learning
      </h1>
      <div class="grid">
        <div class="card">
          <div class="muted">Answered by patterns</div>
          <div class="figure" data-figure="served" data-value={String(analytics.served)}>
            {analytics.served}
          </div>
          <div class="muted">
            {analytics.from.slice(0, 10)} to {analytics.to.slice(0, 10)}
          </div>
        </div>
        <div class="card">
          <div class="muted">Saved</div>
          <div class="figure" data-figure="savings-usd" data-value={String(analytics.savingsUsd)}>
            {usd(analytics.savingsUsd)}
          </div>
          <div class="muted">{analytics.intelligentMeanUsd === null ? "no model answer measured yet" : `at ${usd(analytics.intelligentMeanUsd)} a model answer`}</div>
        </div>
        <div class="card">
          <div class="muted">Success criteria</div>
          <div class="figure" data-figure="error-rate" data-value={String(data.errorRate)}>
            ≤ {percent(data.errorRate)} errors
          </div>
          <div class="muted" data-figure="confidence-threshold" data-value={String(data.confidenceThreshold)}>
            confidence ≥ {percent(data.confidenceThreshold)}
            {data.minSamples === null ? "" : ` · at least ${data.minSamples} samples`}
          </div>
        </div>

        <section class="card wide table-wrap">
          <h2>Canary progress</h2>
          {rolling.length === 0 ? (
            <p class="muted">No pattern in canary or active.</p>
          ) : (
            <table data-testid="rollout">
              <thead>
                <tr>
                  <th>Pattern</th>
                  <th>Status</th>
                  <th class="num">Compared</th>
                  <th class="num">Disagreed</th>
                  <th class="num">Error rate</th>
                  <th class="num">Served</th>
                  <th class="num">Negative feedback</th>
                </tr>
              </thead>
              <tbody>
                {rolling.map((p) => {
                  const rate = p.rollout.shadow ? p.rollout.disagreed / p.rollout.shadow : null;
                  return (
                    <tr data-pattern={p.id} data-shadow={String(p.rollout.shadow)} data-disagreed={String(p.rollout.disagreed)} data-served={String(p.rollout.served)} data-negative-feedback={String(p.rollout.negativeFeedback)}>
                      <td>
                        <code>{p.id}</code>
                      </td>
                      <td>{p.status}</td>
                      <td class="num">{p.rollout.shadow}</td>
                      <td class="num">{p.rollout.disagreed}</td>
                      <td class="num">
                        {percent(rate)} {rate !== null && rate > data.errorRate ? <span class="badge bad">above criteria</span> : null}
                      </td>
                      <td class="num">{p.rollout.served}</td>
                      <td class="num">{p.rollout.negativeFeedback}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>

        {PATTERN_STATUSES.map((status) => {
          const list = data.patterns.filter((p) => p.status === status);
          return (
            <section class="card wide" data-status-list={status} data-count={String(list.length)}>
              <h2>
                {status.replace("_", " ")} <span class="muted">{list.length}</span>
              </h2>
              {list.length === 0 ? null : (
                <ul class="patterns">
                  {list.map((p) => (
                    <PatternRow agentId={data.agentId} pattern={p} csrf={props.csrf} canAct={props.canAct} />
                  ))}
                </ul>
              )}
            </section>
          );
        })}

        <section class="card">
          <h2>Export</h2>
          <p class="muted">The active patterns as a pack, without request text.</p>
          <a href={`${agentPath}/learning/export`} data-testid="export" download>
            Download the pack (JSON)
          </a>
        </section>
        <section class="card">
          <h2>Import</h2>
          <form method="post" action={`${agentPath}/learning/import`} enctype="multipart/form-data" class="inline" data-testid="import-form">
            <input type="hidden" name="_csrf" value={props.csrf} />
            <input type="file" name="pack" accept="application/json,.json" required disabled={!props.canAct} />
            <button type="submit" disabled={!props.canAct}>
              Import
            </button>
          </form>
          <p class="muted">Imported patterns are validated on this agent's own traffic before anyone approves them.</p>
          {props.canAct ? null : <p class="muted">This key is read-only.</p>}
        </section>
      </div>
    </Layout>
  );
}
