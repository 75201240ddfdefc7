/**
 * Inline SVG charts for the overview. Colours are presentation attributes, not `style`, so the
 * CSP's `style-src 'self'` holds; every bar carries its figures in `data-` attributes and a
 * `<title>` for screen readers and tests.
 */

export const TIER_ORDER = ["rule", "cache", "similar", "pattern", "intelligent", "fallback"] as const;
export const TIER_COLOUR: Record<string, string> = {
  rule: "#805ad5",
  cache: "#38a169",
  similar: "#319795",
  pattern: "#d69e2e",
  intelligent: "#2f5bd3",
  fallback: "#a0aec0",
};

export interface ChartDay {
  day: string;
  requests: number;
  costUsd: number | null;
  tiers: Record<string, number>;
}

/** The `days` calendar days ending with `lastDay` (YYYY-MM-DD, UTC), oldest first. */
export function dayRange(lastDay: string, days: number): string[] {
  const end = Date.parse(`${lastDay}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

const W = 700;
const H = 220;
/** The width of every chart's viewBox; the SVG scales to its container. */
export const CHART_WIDTH = W;
const PAD = { left: 44, right: 8, top: 10, bottom: 28 };

/** A round axis maximum at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

/** One bar per day in a plot `height` high scaled to `max`: where each bar starts, its width, and the y of a value. */
export function barPlot(days: number, max: number, height: number) {
  const plotW = W - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, days);
  const barW = Math.max(4, slot * 0.7);
  return {
    barW,
    x: (i: number) => PAD.left + i * slot + (slot - barW) / 2,
    y: (v: number) => PAD.top + plotH - (v / max) * plotH,
  };
}

/** A horizontal grid line at `y`, labelled on the left. */
export function GridLine(props: { y: number; label: string }) {
  return (
    <g>
      <line x1={PAD.left} x2={W - PAD.right} y1={props.y} y2={props.y} stroke="#d9dee7" stroke-width="1" />
      <text x={PAD.left - 6} y={props.y + 4} text-anchor="end" font-size="11" fill="#5b6475">
        {props.label}
      </text>
    </g>
  );
}

/** Messages per day, stacked by tier. */
export function MessagesChart(props: { days: ChartDay[] }) {
  const max = niceMax(Math.max(0, ...props.days.map((d) => d.requests)));
  const { barW, x: barX, y } = barPlot(props.days.length, max, H);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Messages per day by tier" data-testid="messages-chart">
      {[0, max / 2, max].map((v) => (
        <GridLine y={y(v)} label={String(Number(v.toFixed(1)))} />
      ))}
      {props.days.map((d, i) => {
        const x = barX(i);
        let base = 0;
        return (
          <g data-day={d.day} data-requests={String(d.requests)}>
            <title>{`${d.day}: ${d.requests} messages`}</title>
            {TIER_ORDER.filter((t) => (d.tiers[t] ?? 0) > 0).map((tier) => {
              const n = d.tiers[tier] ?? 0;
              const top = y(base + n);
              const rect = <rect x={x} y={top} width={barW} height={y(base) - top} fill={TIER_COLOUR[tier]} data-tier={tier} data-count={String(n)} />;
              base += n;
              return rect;
            })}
            {i % 2 === 0 || props.days.length <= 7 ? (
              <text x={x + barW / 2} y={H - 8} text-anchor="middle" font-size="11" fill="#5b6475">
                {d.day.slice(5)}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

/** Cost per day, in dollars. */
export function CostChart(props: { days: ChartDay[] }) {
  const max = niceMax(Math.max(0, ...props.days.map((d) => d.costUsd ?? 0)));
  const h = 140;
  const { barW, x: barX, y } = barPlot(props.days.length, max, h);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${h}`} role="img" aria-label="Cost per day in US dollars" data-testid="cost-chart">
      {[0, max].map((v) => (
        <GridLine y={y(v)} label={`$${Number(v.toPrecision(3))}`} />
      ))}
      {props.days.map((d, i) => {
        const x = barX(i);
        const cost = d.costUsd ?? 0;
        return (
          <g data-day={d.day} data-cost-usd={String(cost)}>
            <title>{`${d.day}: $${cost}`}</title>
            <rect x={x} y={y(cost)} width={barW} height={y(0) - y(cost)} fill="#2f5bd3" />
          </g>
        );
      })}
    </svg>
  );
}

/** Today's spend against the daily budget, with the alert threshold marked. */
export function BudgetGauge(props: { spentUsd: number; reservedUsd: number; dailyUsd: number; alertThreshold: number }) {
  const share = (v: number) => (props.dailyUsd > 0 ? Math.min(1, v / props.dailyUsd) : 0);
  const spent = share(props.spentUsd) * 100;
  const reserved = share(props.spentUsd + props.reservedUsd) * 100;
  const over = props.dailyUsd > 0 && props.spentUsd / props.dailyUsd >= props.alertThreshold;
  return (
    <div class="gauge" data-testid="budget-gauge">
      <svg viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={`Spent ${Math.round(spent)}% of the daily budget`}>
        <rect x="0" y="0" width={reserved} height="10" fill="#a3bffa" />
        <rect x="0" y="0" width={spent} height="10" fill={over ? "#c53030" : "#2f855a"} />
        <line x1={props.alertThreshold * 100} x2={props.alertThreshold * 100} y1="0" y2="10" stroke="#1d2330" stroke-width="0.8" />
      </svg>
    </div>
  );
}
