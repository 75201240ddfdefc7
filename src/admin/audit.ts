import { type Context, Hono } from "hono";
import { type ChainBreak, type ChainHead, ChainVerifier, GENESIS_HASH } from "../audit/chain";
import { EVENT_COLUMNS as COLUMNS, type EventRow, parseDetails, toStored } from "../audit/rows";
import { AppError } from "../core/errors";
import { microsToUsd } from "../core/money";
import type { AppEnv } from "../http/context";
import { parseTime, requireAuditTrail } from "./common";
import { decodeCursor, encodeCursor, parseLimit } from "./listing";
import { agentDb } from "../db/shards";

/** Rows read from D1 per query while verifying: a year of events never loads at once. */
const VERIFY_PAGE = 500;
/** D1 allows 1,000 queries per invocation; a verification uses one per page and a few more. */
const VERIFY_MAX_EVENTS = 800 * VERIFY_PAGE;
/** An action name (`tool.denied`), or a prefix of one ending in `*` (`tool.*`). */
const ACTION_FILTER = /^[A-Za-z0-9_.:-]{1,100}\*?$/;

/**
 * The SQL condition of an `action` filter. A prefix is a range on the (agent, action) index,
 * not `LIKE`, which in SQLite ignores ASCII case and treats `_` as a wildcard.
 */
function actionCondition(raw: string | undefined): { sql: string; binds: string[] } | null {
  if (raw === undefined || raw === "" || raw === "*") return null;
  if (!ACTION_FILTER.test(raw)) throw new AppError("invalid_request", "action must be an action name, or a prefix of one ending in * (e.g. tool.*)");
  if (!raw.endsWith("*")) return { sql: "action = ?", binds: [raw] };
  const prefix = raw.slice(0, -1);
  // ASCII only (ACTION_FILTER), so the next code unit after the last is the first string past the prefix.
  const after = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return { sql: "action >= ? AND action < ?", binds: [prefix, after] };
}

/** The decisions an audit event records (`AuditEvent["decision"]`). */
export const AUDIT_DECISIONS = ["allowed", "denied", "changed", "recorded"] as const;

/** The filters of an audit search, as sent in the query string (absent or "" means no filter). */
export interface AuditSearchQuery {
  action?: string;
  actor?: string;
  decision?: string;
  from?: string;
  to?: string;
  limit?: string;
  cursor?: string;
}

/** One event as `GET /v1/agents/:agentId/audit` returns it. */
export interface AuditEventView {
  id: string;
  seq: number | null;
  at: string;
  actor: string;
  action: string;
  resource: string;
  decision: string;
  details: unknown;
  costUsd: number | null;
  requestId: string | null;
  hash: string | null;
}

/** A page of an audit search: the JSON body of `GET /v1/agents/:agentId/audit`. */
export interface AuditPage {
  events: AuditEventView[];
  nextCursor: string | null;
}

/** The audit search's query string, read from a request. */
export function auditSearchQuery(c: Context<AppEnv>): AuditSearchQuery {
  const q = (name: keyof AuditSearchQuery) => c.req.query(name);
  return { action: q("action"), actor: q("actor"), decision: q("decision"), from: q("from"), to: q("to"), limit: q("limit"), cursor: q("cursor") };
}

/**
 * One page of an agent's audit events, newest first, for the filters given: what
 * `GET /v1/agents/:agentId/audit` returns and the dashboard's audit page shows. The cursor is
 * signed with ADMIN_TOKEN and bound to the filters, so a page of one search never continues another.
 *
 * @example
 * const { events, nextCursor } = await searchAudit(env, "shop", { action: "tool.*" }, clock.now());
 */
export async function searchAudit(env: { D1_SHARDS?: string; CACHE: KVNamespace; ADMIN_TOKEN?: string }, agentId: string, query: AuditSearchQuery, now: number): Promise<AuditPage> {
  const { from, to } = rangeOf(query, now);
  const limit = parseLimit(query.limit);
  const action = actionCondition(query.action);
  const actor = query.actor || undefined;
  if (actor !== undefined && actor.length > 200) throw new AppError("invalid_request", "actor must be at most 200 characters (e.g. admin:bootstrap)");
  const decision = query.decision || undefined;
  if (decision !== undefined && !(AUDIT_DECISIONS as readonly string[]).includes(decision)) {
    throw new AppError("invalid_request", `decision must be one of ${AUDIT_DECISIONS.join(", ")}`);
  }
  // The filters as sent: a default `to` moves with the clock, and the cursor already bounds it.
  // actor and decision join the scope only when given, so earlier cursors stay valid.
  const filters = [agentId, query.action ?? "", query.from ?? "", query.to ?? ""];
  if (actor !== undefined || decision !== undefined) filters.push(actor ?? "", decision ?? "");
  const scope = JSON.stringify(filters);
  // adminAuth (or the dashboard's session) let the request in, so the token is set.
  const key = env.ADMIN_TOKEN ?? "";
  const after = query.cursor ? await decodeCursor(key, scope, query.cursor) : null;

  const where = ["agent_id = ?", "at >= ?", "at <= ?"];
  const binds: Array<string | number> = [agentId, from, to];
  if (action) {
    where.push(action.sql);
    binds.push(...action.binds);
  }
  if (actor !== undefined) {
    where.push("actor = ?");
    binds.push(actor);
  }
  if (decision !== undefined) {
    where.push("decision = ?");
    binds.push(decision);
  }
  if (after) {
    where.push("(at < ? OR (at = ? AND id < ?))");
    binds.push(after.at, after.at, after.id);
  }
  const { results } = await (await agentDb(env, agentId)).prepare(`SELECT ${COLUMNS} FROM audit_events WHERE ${where.join(" AND ")} ORDER BY at DESC, id DESC LIMIT ?`)
    .bind(...binds, limit + 1)
    .all<EventRow>();
  const page = results.slice(0, limit);
  const last = page.at(-1);
  return {
    events: page.map((row) => ({
      id: row.id,
      seq: row.seq,
      at: new Date(row.at).toISOString(),
      actor: row.actor,
      action: row.action,
      resource: row.resource,
      decision: row.decision,
      details: parseDetails(row.details),
      costUsd: row.cost_micros === null ? null : microsToUsd(row.cost_micros),
      requestId: row.request_id,
      hash: row.hash,
    })),
    nextCursor: results.length > limit && last ? await encodeCursor(key, scope, { at: last.at, id: last.id }) : null,
  };
}

/** The result of verifying an agent's hash chain: the JSON body of `GET /v1/agents/:agentId/audit/verify`. */
export interface ChainVerification {
  agentId: string;
  from: string;
  to: string;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  ok: boolean;
  firstBroken: ChainBreak | null;
  unchained: number;
}

/**
 * Verifies the agent's hash chain over `from`..`to` (the whole chain, up to the head its object
 * holds, when neither is given): what `GET /v1/agents/:agentId/audit/verify` returns and the
 * dashboard's verify button shows.
 */
export async function verifyAuditChain(
  db: D1Database,
  stub: { chainHead(): Promise<ChainHead> },
  agentId: string,
  query: { from?: string; to?: string },
  now: number,
): Promise<ChainVerification> {
  const { from, to } = rangeOf(query, now);
  const bounds = await db
    .prepare("SELECT MIN(seq) AS firstSeq, MAX(seq) AS lastSeq, COUNT(*) - COUNT(seq) AS unchained FROM audit_events WHERE agent_id = ? AND at >= ? AND at <= ?")
    .bind(agentId, from, to)
    .first<{ firstSeq: number | null; lastSeq: number | null; unchained: number }>();
  const lastSeq = bounds?.lastSeq ?? null;
  // Without `from` the range is the whole chain, which starts at seq 1: a missing first event shows.
  const whole = !query.from;
  const firstSeq = whole && lastSeq !== null ? 1 : (bounds?.firstSeq ?? null);
  if (firstSeq !== null && lastSeq !== null && lastSeq - firstSeq + 1 > VERIFY_MAX_EVENTS) {
    throw new AppError("invalid_request", `the range holds more than ${VERIFY_MAX_EVENTS} events: verify it in parts with from and to`);
  }
  let start: { seq: number; anchor: string | null } = firstSeq === 1 ? { seq: 1, anchor: GENESIS_HASH } : { seq: firstSeq ?? 1, anchor: null };
  if (whole) {
    // Retention moved the oldest events to the R2 archive: the chain then starts after the
    // last archived event before the first one kept, whose hash the archive index holds.
    const kept = await db.prepare("SELECT MIN(seq) AS minSeq FROM audit_events WHERE agent_id = ? AND seq IS NOT NULL").bind(agentId).first<{ minSeq: number | null }>();
    const archived = await db
      .prepare("SELECT last_seq AS lastSeq, last_hash AS lastHash FROM audit_archives WHERE agent_id = ? AND last_seq < ? ORDER BY last_seq DESC LIMIT 1")
      .bind(agentId, kept?.minSeq ?? Number.MAX_SAFE_INTEGER)
      .first<{ lastSeq: number; lastHash: string }>();
    if (archived && (kept?.minSeq ?? archived.lastSeq + 1) === archived.lastSeq + 1) start = { seq: archived.lastSeq + 1, anchor: archived.lastHash };
  }
  const verifier = new ChainVerifier(start, async (hash) => {
    const row = await db.prepare("SELECT seq FROM audit_events WHERE agent_id = ? AND hash = ? LIMIT 1").bind(agentId, hash).first<{ seq: number | null }>();
    return row?.seq ?? null;
  });
  // Every stored seq between the range's first and last chained event, in order: the events
  // inside the seqs are checked even when their clock put them outside from..to.
  for (let next: number | null = start.seq; next !== null && lastSeq !== null && next <= lastSeq && !verifier.broken; ) {
    const page: D1Result<EventRow & { seq: number }> = await db
      .prepare(`SELECT ${COLUMNS} FROM audit_events WHERE agent_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`)
      .bind(agentId, next, lastSeq, VERIFY_PAGE)
      .all<EventRow & { seq: number }>();
    const results = page.results;
    for (const row of results) if (await verifier.check(toStored(row))) break;
    next = results.length === VERIFY_PAGE ? results.at(-1)!.seq + 1 : null;
  }
  // Up to now, the chain must reach the head the agent's object holds: events deleted from
  // the end, or a last event edited and re-hashed, show there.
  if (!query.to) verifier.finish(await stub.chainHead());
  return {
    agentId,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    checked: verifier.checked,
    firstSeq: lastSeq === null ? null : start.seq,
    lastSeq,
    ok: verifier.broken === null,
    firstBroken: verifier.broken,
    unchained: bounds?.unchained ?? 0,
  };
}

/** `from`/`to` as epoch ms, by `timeRange`'s rules: `to` defaults to now, `from` to the epoch. */
function rangeOf(query: { from?: string; to?: string }, now: number): { from: number; to: number } {
  const to = parseTime(query.to, now, "to");
  const from = parseTime(query.from, 0, "from");
  for (const [name, t] of [["from", from], ["to", to]] as const) {
    if (Number.isNaN(new Date(t).getTime())) throw new AppError("invalid_request", `${name} is outside the range of dates`);
  }
  if (from > to) throw new AppError("invalid_request", "from must not be after to");
  return { from, to };
}

/** The audit trail of an agent: search, and verification of its hash chain. */
export const auditRoutes = new Hono<AppEnv>()
  .get("/agents/:agentId/audit/verify", async (c) => {
    const { agentId, stub } = await requireAuditTrail(c);
    return c.json(await verifyAuditChain(await agentDb(c.env, agentId), stub, agentId, { from: c.req.query("from"), to: c.req.query("to") }, c.var.clock.now()));
  })
  .get("/agents/:agentId/audit", async (c) => {
    const { agentId } = await requireAuditTrail(c);
    return c.json(await searchAudit(c.env, agentId, auditSearchQuery(c), c.var.clock.now()));
  });
