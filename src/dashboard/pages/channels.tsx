import type { Child } from "hono/jsx";
import type { ChannelReport } from "../../admin/channels";
import type { Principal } from "../../http/context";
import { barPlot, CHART_WIDTH, dayRange, GridLine, niceMax, TIER_ORDER } from "../chart";
import { Layout } from "../layout";
import { withQuery } from "./audit";

/** The channels page of an agent. */
export const channelsPath = (agentId: string) => `/dashboard/agents/${encodeURIComponent(agentId)}/channels`;

export const CHANNEL_COLOUR: Record<string, string> = { http: "#2f5bd3", slack: "#805ad5", email: "#38a169", sms: "#d69e2e" };
const OTHER_COLOUR = "#a0aec0";
/** Days the chart shows at most: a longer span shows its last days. */
export const MAX_CHART_DAYS = 92;
const DAY_MS = 86_400_000;

export const usd = (v: number) => `$${v.toFixed(v !== 0 && Math.abs(v) < 0.01 ? 4 : 2)}`;
export const ms = (v: number | null) => (v === null ? "—" : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v} ms`);

type Stats = ChannelReport["totals"];

/** The calendar days (UTC) the chart covers for a report's span, oldest first. */
export function chartDays(report: Pick<ChannelReport, "from" | "to">): string[] {
  const first = Date.parse(`${report.from.slice(0, 10)}T00:00:00Z`);
  const last = report.to.slice(0, 10);
  const span = Math.floor((Date.parse(`${last}T00:00:00Z`) - first) / DAY_MS) + 1;
  return dayRange(last, Math.max(1, Math.min(MAX_CHART_DAYS, span)));
}

/** Messages per UTC day, stacked by channel. */
function VolumeChart(props: { days: string[]; channels: ChannelReport["channels"] }) {
  const names = Object.keys(props.channels);
  const count = (channel: string, day: string) => props.channels[channel]?.days.find((d) => d.day === day)?.requests ?? 0;
  const totals = props.days.map((day) => names.reduce((sum, ch) => sum + count(ch, day), 0));
  const max = niceMax(Math.max(0, ...totals));
  const h = 200;
  const { barW, x: barX, y } = barPlot(props.days.length, max, h);
  const every = Math.ceil(props.days.length / 14);
  return (
    <svg class="chart" viewBox={`0 0 ${CHART_WIDTH} ${h}`} role="img" aria-label="Messages per day by channel" data-testid="volume-chart">
      {[0, max / 2, max].map((v) => (
        <GridLine y={y(v)} label={String(Number(v.toFixed(1)))} />
      ))}
      {props.days.map((day, i) => {
        const x = barX(i);
        let base = 0;
        return (
          <g data-day={day} data-requests={String(totals[i])}>
            <title>{`${day}: ${totals[i]} messages`}</title>
            {names
              .filter((ch) => count(ch, day) > 0)
              .map((ch) => {
                const n = count(ch, day);
                const top = y(base + n);
                base += n;
                return <rect x={x} y={top} width={barW} height={y(base - n) - top} fill={CHANNEL_COLOUR[ch] ?? OTHER_COLOUR} data-channel={ch} data-count={String(n)} />;
              })}
            {i % every === 0 ? (
              <text x={x + barW / 2} y={h - 8} text-anchor="middle" font-size="11" fill="#5b6475">
                {day.slice(5)}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

/** One row of the per-channel table; its figures also as `data-` attributes. */
function StatsRow(props: { name: string; stats: Stats; total?: boolean }) {
  const s = props.stats;
  return (
    <tr
      class={props.total ? "current" : undefined}
      data-channel={props.name}
      data-requests={String(s.requests)}
      data-p50={String(s.latencyMs.p50)}
      data-p95={String(s.latencyMs.p95)}
      data-cost-usd={String(s.costUsd)}
    >
      <td>{props.name}</td>
      <td class="num">{s.requests}</td>
      <td class="num">{ms(s.latencyMs.p50)}</td>
      <td class="num">{ms(s.latencyMs.p95)}</td>
      <td class="num">{ms(s.latencyMs.max)}</td>
      {TIER_ORDER.map((t) => (
        <td class="num" data-tier={t}>
          {s.tiers[t]}
        </td>
      ))}
      {(["success", "error", "denied", "escalated"] as const).map((o) => (
        <td class="num" data-outcome={o}>
          {s.outcomes[o]}
        </td>
      ))}
      <td class="num" data-urgent="high">
        {s.urgent.high}
      </td>
      <td class="num" data-urgent="critical">
        {s.urgent.critical}
      </td>
      <td class="num">{usd(s.costUsd)}</td>
    </tr>
  );
}

/** The span form: the JSON route's own `from` and `to`, after any other fields given. */
export function SpanForm(props: { action: string; from?: string; to?: string; children?: Child }) {
  return (
    <form method="get" action={props.action} class="filters" data-testid="span-form">
      {props.children}
      <label>
        From (UTC)
        <input type="text" name="from" value={props.from ?? ""} placeholder="30 days ago" />
      </label>
      <label>
        To (UTC)
        <input type="text" name="to" value={props.to ?? ""} placeholder="now" />
      </label>
      <div class="actions">
        <button type="submit">Show</button>
        <a href={props.action}>Reset</a>
      </div>
    </form>
  );
}

/**
 * An agent's traffic per channel over a span (default the last 30 days): volume per day, p50 and
 * p95 latency, tiers, outcomes, urgency and cost. Read-only.
 */
export function ChannelsPage(props: { principal: Principal; csrf: string; report: ChannelReport; query: { from?: string; to?: string } }) {
  const { report } = props;
  const agentId = report.agentId;
  const names = Object.keys(report.channels);
  const days = chartDays(report);
  const conversations = `/dashboard/agents/${encodeURIComponent(agentId)}/conversations`;
  return (
    <Layout title={`${agentId} channels`} principal={props.principal} csrf={props.csrf}>
      <h1>
        {agentId} channels{" "}
        <span class="muted">
          {report.from.slice(0, 10)} to {report.to.slice(0, 10)}
        </span>
      </h1>
      <p>
        <a href={`/dashboard/agents/${encodeURIComponent(agentId)}`}>Overview</a> ·{" "}
        <a href={withQuery(conversations, props.query)} data-testid="conversations-link">
          Conversations
        </a>
      </p>
      <div class="grid">
        <section class="card wide">
          <SpanForm action={channelsPath(agentId)} from={props.query.from} to={props.query.to} />
        </section>
        {(
          [
            ["requests", "Messages", String(report.totals.requests), report.totals.requests],
            ["p50-ms", "Median latency", ms(report.totals.latencyMs.p50), report.totals.latencyMs.p50],
            ["p95-ms", "95th percentile latency", ms(report.totals.latencyMs.p95), report.totals.latencyMs.p95],
            ["cost-usd", "Cost", usd(report.totals.costUsd), report.totals.costUsd],
          ] as const
        ).map(([name, label, shown, raw]) => (
          <div class="card">
            <div class="muted">{label}</div>
            <div class="figure" data-figure={name} data-value={String(raw)}>
              {shown}
            </div>
          </div>
        ))}
        <section class="card wide">
          <h2>Messages per day by channel</h2>
          <VolumeChart days={days} channels={report.channels} />
          <ul class="legend">
            {names.map((ch) => (
              <li>
                <span class={`swatch c-${CHANNEL_COLOUR[ch] ? ch : "other"}`}></span>
                {ch}
              </li>
            ))}
          </ul>
          {days.length === MAX_CHART_DAYS ? <p class="muted">The chart shows the span's last {MAX_CHART_DAYS} days; the table covers all of it.</p> : null}
        </section>
        <section class="card wide table-wrap">
          <h2>Per channel</h2>
          <table data-testid="channels">
            <thead>
              <tr>
                <th>Channel</th>
                <th class="num">Messages</th>
                <th class="num">p50</th>
                <th class="num">p95</th>
                <th class="num">Slowest</th>
                {TIER_ORDER.map((t) => (
                  <th class="num">{t}</th>
                ))}
                <th class="num">success</th>
                <th class="num">error</th>
                <th class="num">denied</th>
                <th class="num">escalated</th>
                <th class="num">urgent</th>
                <th class="num">critical</th>
                <th class="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {names.map((ch) => (
                <StatsRow name={ch} stats={report.channels[ch]!} />
              ))}
              <StatsRow name="all" stats={report.totals} total />
            </tbody>
          </table>
          <p class="muted">Latency: from the channel's receipt of a message to its answer. Tier and outcome columns count answers.</p>
        </section>
      </div>
    </Layout>
  );
}
