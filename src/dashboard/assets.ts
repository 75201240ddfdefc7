/**
 * The dashboard's stylesheet and script, served as files (`/dashboard/assets/…`) so the CSP
 * allows no inline style or script. Kept small and dependency-free; the pages work without the
 * script.
 */

export const APP_CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --bg: #f6f7f9; --card: #fff; --accent: #2f5bd3; --warn: #b7791f; --bad: #c53030; --ok: #2f855a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
header.top { display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; align-items: center; padding: .75rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--fg); }
header.top nav { display: flex; gap: 1rem; flex: 1; }
header.top .who { color: var(--muted); font-size: .875rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
.card h2:not(:first-child) { margin-top: 1.25rem; }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; }
.wide { grid-column: 1 / -1; }
.figure { font-size: 1.75rem; font-weight: 600; }
.muted { color: var(--muted); font-size: .875rem; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
th { font-size: .8rem; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
svg.chart { width: 100%; height: auto; display: block; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: .5rem 0 0; padding: 0; list-style: none; font-size: .85rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; margin-right: .35rem; vertical-align: -1px; }
.t-rule { background: #805ad5; } .t-cache { background: #38a169; } .t-similar { background: #319795; }
.t-pattern { background: #d69e2e; } .t-intelligent { background: #2f5bd3; } .t-other { background: #a0aec0; }
.gauge { position: relative; height: 1rem; background: #edf0f5; border-radius: .5rem; overflow: hidden; margin: .5rem 0; }
.gauge svg { width: 100%; height: 100%; display: block; }
form.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
input[type=text], input[type=password] { font: inherit; padding: .5rem .6rem; border: 1px solid var(--line); border-radius: .35rem; min-width: 0; flex: 1; }
button { font: inherit; padding: .5rem .9rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: .35rem; cursor: pointer; }
button.quiet { background: transparent; color: var(--accent); }
button:disabled { opacity: .5; cursor: not-allowed; }
.signin { max-width: 26rem; margin: 10vh auto; }
.signin form { display: grid; gap: .75rem; }
.error { color: var(--bad); }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-size: .8rem; background: #edf0f5; }
.badge.bad { background: #fed7d7; color: var(--bad); }
tr.current td { background: #ebf1ff; font-weight: 600; }
.request { border-top: 1px solid var(--line); padding-top: .75rem; margin-top: .75rem; }
pre.input { overflow-x: auto; background: #f1f3f7; padding: .5rem; border-radius: .35rem; font-size: .85rem; margin: 0 0 .5rem; }
form.filters { display: grid; gap: .5rem .75rem; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); align-items: end; }
form.filters label { display: grid; gap: .2rem; font-size: .85rem; color: var(--muted); }
form.filters .actions { display: flex; gap: .75rem; align-items: center; }
select, input[type=date] { font: inherit; padding: .45rem .5rem; border: 1px solid var(--line); border-radius: .35rem; min-width: 0; background: #fff; }
pre.json { margin: .35rem 0; padding: .5rem; background: #f3f5f8; border-radius: .35rem; font-size: .8rem; overflow-x: auto; }
td.nowrap { white-space: nowrap; } td.detail { font-size: .85rem; word-break: break-word; }
.pager { display: flex; flex-wrap: wrap; gap: 1rem; }
dl.counts { display: grid; gap: .25rem 1rem; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); margin: 0 0 .75rem; }
dl.counts dt { font-size: .8rem; color: var(--muted); } dl.counts dd { margin: 0; font-weight: 600; }
.badge.ok { background: #c6f6d5; color: var(--ok); }
ul.patterns { list-style: none; margin: 0; padding: 0; display: grid; gap: .75rem; }
li.pattern { border-top: 1px solid var(--line); padding-top: .5rem; display: grid; gap: .5rem; }
li.pattern summary { cursor: pointer; overflow-wrap: anywhere; }
li.pattern .answer { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--bg); padding: .5rem; border-radius: .35rem; }
dl.report { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; margin: 0; }
dl.report dd { margin: 0; }
.c-http { background: #2f5bd3; } .c-slack { background: #805ad5; } .c-email { background: #38a169; } .c-sms { background: #d69e2e; } .c-other { background: #a0aec0; }
ol.transcript { list-style: none; margin: 0; padding: 0; display: grid; gap: .75rem; }
li.turn { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .6rem .8rem; max-width: 48rem; }
li.turn.agent { margin-left: auto; background: #ebf1ff; }
li.turn .text { white-space: pre-wrap; overflow-wrap: anywhere; }
.notice { margin: 0 0 1rem; border-color: var(--accent); }
form.agent-form fieldset { border: 0; margin: 0; padding: 0; display: grid; gap: 1rem; min-width: 0; }
.field { display: grid; gap: .25rem; min-width: 0; }
.field label { font-weight: 600; }
textarea { font: inherit; padding: .5rem .6rem; border: 1px solid var(--line); border-radius: .35rem; width: 100%; min-width: 0; }
textarea.code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; white-space: pre; overflow-x: auto; }
.field.invalid input, .field.invalid textarea { border-color: var(--bad); }
ul.field-errors { margin: 0; padding-left: 1.1rem; font-size: .875rem; overflow-wrap: anywhere; }
.pair { display: flex; flex-wrap: wrap; gap: .5rem; }
a.button, span.button { display: inline-block; padding: .5rem .9rem; border-radius: .35rem; background: var(--accent); color: #fff; text-decoration: none; }
span.button.disabled, .actions .disabled { opacity: .5; cursor: not-allowed; }
.actions { display: inline-flex; gap: .75rem; white-space: nowrap; }
a.danger { color: var(--bad); } button.danger { background: var(--bad); border-color: var(--bad); }
.notice { border-color: var(--ok); } .warnings { border-color: var(--warn); margin-bottom: 1rem; } .danger-zone { margin-top: 1rem; border-color: #fed7d7; }
@media (max-width: 40rem) { .figure { font-size: 1.4rem; } main { padding: .75rem; } }
`;

/** Asks before an action marked `data-confirm`; without the script the action simply runs. */
export const APP_JS = `
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});
`;
