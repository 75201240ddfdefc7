/**
 * The evidence behind compliance reports, read from D1: audit events, alerts, masking coverage,
 * interactions and the hash chain over a period. Every query is bounded by agent and time.
 */
import { type ChainBreak, ChainVerifier, GENESIS_HASH } from "./chain";
import { PII_FAILURE_TEXT, PII_TYPES, piiTag } from "../privacy/pii";
import { EVENT_COLUMNS, type EventRow as StoredRow, toStored } from "./rows";

/** Rows listed per section; the rest are counted in `truncated`. */
export const MAX_SECTION_ROWS = 200;

/** One piece of evidence: an audit event, an alert, an interaction or a chain break. */
export interface ReportRow {
  at: string | null;
  actor: string;
  action: string;
  resource: string;
  decision: string;
  detail: string;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** Characters of an event's details shown in a row. */
const MAX_DETAIL = 1_000;
/** Rows read from D1 per query while verifying the chain. */
const VERIFY_PAGE = 500;
/** Pages verified per report: D1 allows 1,000 queries per invocation and the report needs a few dozen more. */
const VERIFY_MAX_PAGES = 200;

// ---------------------------------------------------------------- events, alerts, masking, interactions

export interface Scope {
  db: D1Database;
  agentId: string;
  from: number;
  to: number;
}

export interface Listed {
  rows: ReportRow[];
  truncated: number;
}

export interface EventEvidence extends Listed {
  total: number;
  counts: Record<string, number>;
}

export interface EventRow {
  id: string;
  at: number;
  actor: string;
  action: string;
  resource: string;
  decision: string;
  details: string;
}

const toRow = (r: EventRow): ReportRow => ({
  at: iso(r.at),
  actor: r.actor,
  action: r.action,
  resource: r.resource,
  decision: r.decision,
  detail: r.details.length > MAX_DETAIL ? `${r.details.slice(0, MAX_DETAIL)}…` : r.details,
});

/**
 * Events of the period with one of `actions`, or whose actor starts with `actorPrefix` (a range,
 * not LIKE, which ignores case and reads `_` as a wildcard), or all: counts by action, and the
 * first rows in time order.
 */
export async function eventEvidence(
  scope: Scope,
  filter: { actions?: readonly string[]; actorPrefix?: string; where?: { sql: string; binds: string[] } },
  list = true,
): Promise<EventEvidence> {
  const where = ["agent_id = ?", "at >= ?", "at <= ?"];
  const binds: Array<string | number> = [scope.agentId, scope.from, scope.to];
  if (filter.actions) {
    where.push(`action IN (${filter.actions.map(() => "?").join(", ")})`);
    binds.push(...filter.actions);
  }
  if (filter.actorPrefix) {
    const p = filter.actorPrefix;
    where.push("actor >= ? AND actor < ?");
    binds.push(p, p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1));
  }
  if (filter.where) {
    where.push(filter.where.sql);
    binds.push(...filter.where.binds);
  }
  const clause = where.join(" AND ");
  const [grouped, listed] = await scope.db.batch([
    scope.db.prepare(`SELECT action, COUNT(*) AS n FROM audit_events WHERE ${clause} GROUP BY action ORDER BY action`).bind(...binds),
    scope.db.prepare(`SELECT id, at, actor, action, resource, decision, details FROM audit_events WHERE ${clause} ORDER BY at, id LIMIT ?`).bind(...binds, list ? MAX_SECTION_ROWS : 0),
  ]);
  const counts: Record<string, number> = Object.fromEntries((filter.actions ?? []).map((a) => [a, 0]));
  let total = 0;
  for (const { action, n } of (grouped?.results ?? []) as Array<{ action: string; n: number }>) {
    counts[action] = n;
    total += n;
  }
  const rows = ((listed?.results ?? []) as EventRow[]).map(toRow);
  return { total, counts, rows, truncated: list ? total - rows.length : 0 };
}

export interface AlertEvidence extends Listed {
  total: number;
  counts: Record<string, number>;
  handling: { delivered: number; undelivered: number; pending: number };
}

/** Alerts of the period (of one type, or all) and how their delivery went. */
export async function alertEvidence(scope: Scope, type: string | null): Promise<AlertEvidence> {
  const clause = `agent_id = ? AND at >= ? AND at <= ?${type ? " AND type = ?" : ""}`;
  const binds: Array<string | number> = [scope.agentId, scope.from, scope.to, ...(type ? [type] : [])];
  const [grouped, listed] = await scope.db.batch([
    scope.db.prepare(
      `SELECT type, COUNT(*) AS n, COUNT(delivered_at) AS delivered, SUM(delivered_at IS NULL AND delivery_error IS NOT NULL) AS undelivered FROM alerts WHERE ${clause} GROUP BY type ORDER BY type`,
    ).bind(...binds),
    scope.db.prepare(`SELECT id, at, type, message, delivered_at, delivery_error FROM alerts WHERE ${clause} ORDER BY at, id LIMIT ?`).bind(...binds, MAX_SECTION_ROWS),
  ]);
  const counts: Record<string, number> = {};
  const handling = { delivered: 0, undelivered: 0, pending: 0 };
  let total = 0;
  for (const g of (grouped?.results ?? []) as Array<{ type: string; n: number; delivered: number; undelivered: number }>) {
    counts[g.type] = g.n;
    total += g.n;
    handling.delivered += g.delivered;
    handling.undelivered += g.undelivered;
    handling.pending += g.n - g.delivered - g.undelivered;
  }
  const rows = ((listed?.results ?? []) as Array<{ id: string; at: number; type: string; message: string; delivered_at: number | null; delivery_error: string | null }>).map(
    (a): ReportRow => ({
      at: iso(a.at),
      actor: "system",
      action: `alert.${a.type}`,
      resource: a.id,
      decision: a.delivered_at !== null ? "delivered" : a.delivery_error !== null ? "undelivered" : "pending",
      detail: a.delivered_at !== null ? `${a.message} (delivered ${iso(a.delivered_at)})` : a.delivery_error !== null ? `${a.message} (${a.delivery_error})` : a.message,
    }),
  );
  return { total, counts, handling, rows, truncated: total - rows.length };
}

export interface MaskingEvidence extends Listed {
  toolCalls: number;
  masked: number;
  failedClosed: number;
}

/**
 * A masked argument holds a placeholder `[TYPE]`, `[TYPE …1234]` or `[TYPE:hash]`
 * (src/privacy/pii/mask.ts). GLOB is case-sensitive and reads `[[]` as a literal `[`.
 */
const MASKED = `(${PII_TYPES.map(() => "details GLOB ?").join(" OR ")})`;
const MASKED_BINDS = PII_TYPES.map((t) => `*[[]${piiTag(t)}[]: ]*`);

/** `tool.called` events (audited at level "detailed") and how many carry a mask placeholder. */
export async function maskingEvidence(scope: Scope): Promise<MaskingEvidence> {
  const stats = await scope.db
    .prepare(
      `SELECT COUNT(*) AS toolCalls, COALESCE(SUM(${MASKED}), 0) AS masked, COALESCE(SUM(instr(details, ?) > 0), 0) AS failedClosed
       FROM audit_events WHERE agent_id = ? AND at >= ? AND at <= ? AND action = 'tool.called'`,
    )
    .bind(...MASKED_BINDS, PII_FAILURE_TEXT, scope.agentId, scope.from, scope.to)
    .first<{ toolCalls: number; masked: number; failedClosed: number }>();
  const listed = await eventEvidence(scope, { actions: ["tool.called"], where: { sql: MASKED, binds: MASKED_BINDS } });
  return { toolCalls: stats?.toolCalls ?? 0, masked: stats?.masked ?? 0, failedClosed: stats?.failedClosed ?? 0, rows: listed.rows, truncated: listed.truncated };
}

export interface InteractionEvidence extends Listed {
  total: number;
  outcomes: Record<string, number>;
  tiers: Record<string, number>;
}

/** Answered messages of the period by outcome and tier; rows are the errors and fallbacks. */
export async function interactionEvidence(scope: Scope): Promise<InteractionEvidence> {
  const clause = "agent_id = ? AND created_at >= ? AND created_at <= ?";
  const binds = [scope.agentId, scope.from, scope.to];
  const [grouped, listed] = await scope.db.batch([
    scope.db.prepare(`SELECT outcome, tier, COUNT(*) AS n FROM interactions WHERE ${clause} GROUP BY outcome, tier`).bind(...binds),
    scope.db
      .prepare(`SELECT id, created_at, channel, tier, outcome, model, latency_ms FROM interactions WHERE ${clause} AND (outcome = 'error' OR tier = 'fallback') ORDER BY created_at, id LIMIT ?`)
      .bind(...binds, MAX_SECTION_ROWS),
  ]);
  const outcomes: Record<string, number> = { success: 0, error: 0, denied: 0, escalated: 0 };
  const tiers: Record<string, number> = {};
  let total = 0;
  let listable = 0;
  for (const g of (grouped?.results ?? []) as Array<{ outcome: string; tier: string; n: number }>) {
    outcomes[g.outcome] = (outcomes[g.outcome] ?? 0) + g.n;
    tiers[g.tier] = (tiers[g.tier] ?? 0) + g.n;
    total += g.n;
    if (g.outcome === "error" || g.tier === "fallback") listable += g.n;
  }
  const rows = ((listed?.results ?? []) as Array<{ id: string; created_at: number; channel: string; tier: string; outcome: string; model: string | null; latency_ms: number }>).map(
    (i): ReportRow => ({
      at: iso(i.created_at),
      actor: `customer:${i.channel}`,
      action: i.outcome === "error" ? "interaction.error" : "interaction.fallback",
      resource: i.id,
      decision: i.outcome,
      detail: `tier ${i.tier}, model ${i.model ?? "none"}, latency ${i.latency_ms} ms`,
    }),
  );
  return { total, outcomes, tiers, rows, truncated: listable - rows.length };
}

// ---------------------------------------------------------------- chain

export interface ChainEvidence {
  checked: number;
  expected: number;
  firstSeq: number | null;
  lastSeq: number | null;
  unchained: number;
  complete: boolean;
  broken: ChainBreak | null;
  /** Events retention moved out of D1, in R2 archive objects overlapping the period. */
  archived: { events: number; objects: number };
}

/**
 * The chain over the period's seqs, as `GET …/audit/verify?from=&to=` checks it: the first event
 * is anchored to the genesis hash when it is seq 1, else its `prevHash` is trusted. At most
 * VERIFY_MAX_PAGES pages; beyond them the result is incomplete rather than a guess.
 */
export async function verifyChain(scope: Scope): Promise<ChainEvidence> {
  const { db, agentId } = scope;
  const bounds = await db
    .prepare("SELECT MIN(seq) AS firstSeq, MAX(seq) AS lastSeq, COUNT(*) - COUNT(seq) AS unchained FROM audit_events WHERE agent_id = ? AND at >= ? AND at <= ?")
    .bind(agentId, scope.from, scope.to)
    .first<{ firstSeq: number | null; lastSeq: number | null; unchained: number }>();
  const firstSeq = bounds?.firstSeq ?? null;
  const lastSeq = bounds?.lastSeq ?? null;
  const verifier = new ChainVerifier({ seq: firstSeq ?? 1, anchor: firstSeq === 1 ? GENESIS_HASH : null }, async (hash) => {
    const row = await db.prepare("SELECT seq FROM audit_events WHERE agent_id = ? AND hash = ? LIMIT 1").bind(agentId, hash).first<{ seq: number | null }>();
    return row?.seq ?? null;
  });
  let next = firstSeq;
  const pending = () => next !== null && lastSeq !== null && next <= lastSeq && !verifier.broken;
  for (let page = 0; page < VERIFY_MAX_PAGES && pending(); page++) {
    const { results } = await db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE agent_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`)
      .bind(agentId, next, lastSeq, VERIFY_PAGE)
      .all<StoredRow & { seq: number }>();
    for (const row of results) if (await verifier.check(toStored(row))) break;
    next = results.length === VERIFY_PAGE ? results.at(-1)!.seq + 1 : null;
  }
  return {
    checked: verifier.checked,
    expected: firstSeq === null || lastSeq === null ? 0 : lastSeq - firstSeq + 1,
    firstSeq,
    lastSeq,
    unchained: bounds?.unchained ?? 0,
    complete: !pending(),
    broken: verifier.broken,
    archived: await archivedOnly(scope),
  };
}

/**
 * Events of the period no longer in D1: retention deletes archived events past the hot window
 * (src/audit/archive.ts), so they are in R2 objects (one per UTC day) below the lowest seq D1
 * still holds. Counted per object overlapping the period; their digests are not re-checked here.
 */
export async function archivedOnly(scope: Scope): Promise<{ events: number; objects: number }> {
  const kept = await scope.db
    .prepare("SELECT MIN(seq) AS minSeq FROM audit_events WHERE agent_id = ? AND seq IS NOT NULL")
    .bind(scope.agentId)
    .first<{ minSeq: number | null }>();
  // The highest seq only the archive holds (every archived seq, when D1 holds none).
  const below = (kept?.minSeq ?? Number.MAX_SAFE_INTEGER) - 1;
  const row = await scope.db
    .prepare(
      `SELECT COUNT(*) AS objects, COALESCE(SUM(MIN(last_seq, ?) - first_seq + 1), 0) AS events FROM audit_archives
       WHERE agent_id = ? AND deleted_at IS NULL AND first_seq <= ? AND first_at <= ? AND last_at >= ?`,
    )
    .bind(below, scope.agentId, below, scope.to, scope.from)
    .first<{ objects: number; events: number }>();
  return { events: row?.events ?? 0, objects: row?.objects ?? 0 };
}
