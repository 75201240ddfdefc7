import type { Context } from "hono";
import { Hono } from "hono";
import { ChainVerifier, GENESIS_HASH, type StoredAuditEvent } from "../audit/chain";
import { hmacSha256Hex, timingSafeEqualStrings } from "../core/crypto";
import { AppError } from "../core/errors";
import { microsToUsd } from "../core/money";
import type { AuditEvent } from "../core/types";
import type { AppEnv } from "../http/context";
import { parseTime, requireAgent } from "./common";

/** Rows read from D1 per query while verifying: a year of events never loads at once. */
const VERIFY_PAGE = 500;
/** D1 allows 1,000 queries per invocation; a verification uses one per page and a few more. */
const VERIFY_MAX_EVENTS = 800 * VERIFY_PAGE;
const SEARCH_DEFAULT_LIMIT = 50;
const SEARCH_MAX_LIMIT = 200;
/** An action name (`tool.denied`), or a prefix of one ending in `*` (`tool.*`). */
const ACTION_FILTER = /^[A-Za-z0-9_.:-]{1,100}\*?$/;

interface EventRow {
  id: string;
  agent_id: string;
  seq: number | null;
  at: number;
  actor: string;
  action: string;
  resource: string;
  decision: AuditEvent["decision"];
  details: string;
  cost_micros: number | null;
  request_id: string | null;
  prev_hash: string | null;
  hash: string | null;
}

const COLUMNS = "id, agent_id, seq, at, actor, action, resource, decision, details, cost_micros, request_id, prev_hash, hash";

/** Details as stored; text that no longer parses (tampering) stays text, so its hash fails. */
function parseDetails(raw: string): Record<string, unknown> {
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return raw as unknown as Record<string, unknown>;
  }
}

function toStored(row: EventRow & { seq: number }): StoredAuditEvent {
  return {
    id: row.id,
    agentId: row.agent_id,
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    decision: row.decision,
    details: parseDetails(row.details),
    // Absent when NULL, as in the event that was hashed.
    ...(row.cost_micros === null ? {} : { costMicros: row.cost_micros }),
    ...(row.request_id === null ? {} : { requestId: row.request_id }),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** `from`/`to` as epoch ms; 400 for garbage, a time outside what a Date holds, or from after to. */
function timeRange(c: Context<AppEnv>): { from: number; to: number } {
  const to = parseTime(c.req.query("to"), c.var.clock.now(), "to");
  const from = parseTime(c.req.query("from"), 0, "from");
  for (const [name, t] of [["from", from], ["to", to]] as const) {
    if (Number.isNaN(new Date(t).getTime())) throw new AppError("invalid_request", `${name} is outside the range of dates`);
  }
  if (from > to) throw new AppError("invalid_request", "from must not be after to");
  return { from, to };
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === "") return SEARCH_DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= 1 && limit <= SEARCH_MAX_LIMIT)) throw new AppError("invalid_request", `limit must be an integer from 1 to ${SEARCH_MAX_LIMIT}`);
  return limit;
}

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

/** A position in the newest-first listing: the last event returned. */
interface CursorPosition {
  at: number;
  id: string;
}

/**
 * Cursors are `<base64url position>.<MAC>`, the MAC an HMAC-SHA256 under the admin token over the
 * agent and the filters, so a cursor edited, forged, or carried to another agent or query is a 400.
 */
async function cursorMac(key: string, scope: string, payload: string): Promise<string> {
  return (await hmacSha256Hex(key, `foreman-audit-cursor\n${scope}\n${payload}`)).slice(0, 32);
}

async function encodeCursor(key: string, scope: string, position: CursorPosition): Promise<string> {
  const payload = btoa(JSON.stringify([position.at, position.id])).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${payload}.${await cursorMac(key, scope, payload)}`;
}

async function decodeCursor(key: string, scope: string, raw: string): Promise<CursorPosition> {
  const invalid = new AppError("invalid_request", "cursor is not one this listing returned");
  const [payload, mac, ...rest] = raw.split(".");
  if (!payload || !mac || rest.length > 0 || raw.length > 300) throw invalid;
  if (!(await timingSafeEqualStrings(mac, await cursorMac(key, scope, payload)))) throw invalid;
  try {
    const [at, id] = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as unknown[];
    if (Number.isSafeInteger(at) && typeof id === "string") return { at: at as number, id };
  } catch {
    // falls through to the 400
  }
  throw invalid;
}

/** The audit trail of an agent: search, and verification of its hash chain. */
export const auditRoutes = new Hono<AppEnv>()
  .get("/agents/:agentId/audit/verify", async (c) => {
    const { agentId } = await requireAgent(c);
    const { from, to } = timeRange(c);
    const db = c.env.DB;
    const bounds = await db
      .prepare("SELECT MIN(seq) AS firstSeq, MAX(seq) AS lastSeq, COUNT(*) - COUNT(seq) AS unchained FROM audit_events WHERE agent_id = ? AND at >= ? AND at <= ?")
      .bind(agentId, from, to)
      .first<{ firstSeq: number | null; lastSeq: number | null; unchained: number }>();
    const lastSeq = bounds?.lastSeq ?? null;
    // Without `from` the range is the whole chain, which starts at seq 1: a missing first event shows.
    const whole = !c.req.query("from");
    const firstSeq = whole && lastSeq !== null ? 1 : (bounds?.firstSeq ?? null);
    if (firstSeq !== null && lastSeq !== null && lastSeq - firstSeq + 1 > VERIFY_MAX_EVENTS) {
      throw new AppError("invalid_request", `the range holds more than ${VERIFY_MAX_EVENTS} events: verify it in parts with from and to`);
    }
    const start = firstSeq === 1 ? { seq: 1, anchor: GENESIS_HASH } : { seq: firstSeq ?? 1, anchor: null };
    const verifier = new ChainVerifier(start, async (hash) => {
      const row = await db.prepare("SELECT seq FROM audit_events WHERE agent_id = ? AND hash = ? LIMIT 1").bind(agentId, hash).first<{ seq: number | null }>();
      return row?.seq ?? null;
    });
    // Every stored seq between the range's first and last chained event, in order: the events
    // inside the seqs are checked even when their clock put them outside from..to.
    for (let next = firstSeq; next !== null && lastSeq !== null && next <= lastSeq && !verifier.broken; ) {
      const { results } = await db
        .prepare(`SELECT ${COLUMNS} FROM audit_events WHERE agent_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`)
        .bind(agentId, next, lastSeq, VERIFY_PAGE)
        .all<EventRow & { seq: number }>();
      for (const row of results) if (await verifier.check(toStored(row))) break;
      next = results.length === VERIFY_PAGE ? results.at(-1)!.seq + 1 : null;
    }
    return c.json({
      agentId,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      checked: verifier.checked,
      firstSeq,
      lastSeq,
      ok: verifier.broken === null,
      firstBroken: verifier.broken,
      unchained: bounds?.unchained ?? 0,
    });
  })
  .get("/agents/:agentId/audit", async (c) => {
    const { agentId } = await requireAgent(c);
    const { from, to } = timeRange(c);
    const limit = parseLimit(c.req.query("limit"));
    const action = actionCondition(c.req.query("action"));
    // The filters as sent: a default `to` moves with the clock, and the cursor already bounds it.
    const scope = JSON.stringify([agentId, c.req.query("action") ?? "", c.req.query("from") ?? "", c.req.query("to") ?? ""]);
    // adminAuth let the request in, so the token is set.
    const key = c.env.ADMIN_TOKEN ?? "";
    const rawCursor = c.req.query("cursor");
    const after = rawCursor ? await decodeCursor(key, scope, rawCursor) : null;

    const where = ["agent_id = ?", "at >= ?", "at <= ?"];
    const binds: Array<string | number> = [agentId, from, to];
    if (action) {
      where.push(action.sql);
      binds.push(...action.binds);
    }
    if (after) {
      where.push("(at < ? OR (at = ? AND id < ?))");
      binds.push(after.at, after.at, after.id);
    }
    const { results } = await c.env.DB.prepare(`SELECT ${COLUMNS} FROM audit_events WHERE ${where.join(" AND ")} ORDER BY at DESC, id DESC LIMIT ?`)
      .bind(...binds, limit + 1)
      .all<EventRow>();
    const page = results.slice(0, limit);
    const last = page.at(-1);
    return c.json({
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
    });
  });
