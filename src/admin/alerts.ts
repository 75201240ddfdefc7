import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../core/errors";
import { parseBody, parseJson, readBodyLimited } from "../http/body";
import type { AppEnv } from "../http/context";
import type { agentObject } from "../state/objects";
import { adminActor, requireAgent, timeRange } from "./common";
import { parseDetails } from "../audit/rows";
import { decodeCursor, encodeCursor, parseLimit } from "./listing";
import { agentDb } from "../db/shards";

/** The alert types `type` filters on. */
export const ALERT_TYPES = ["permission_escalation", "unusual_activity", "budget_threshold", "budget_exhausted", "urgent_message", "pattern_rolled_back"];
/** `open`: not acknowledged yet; `acknowledged`: a person has seen it. */
export const ALERT_STATUSES = ["open", "acknowledged"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Alert ids are UUIDs; anything that is no id at all is refused before it reaches the database. */
export const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

interface AlertRow {
  id: string;
  at: number;
  type: string;
  message: string;
  details: string;
  delivered_at: number | null;
  delivery_error: string | null;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
}

const COLUMNS = "id, at, type, message, details, delivered_at, delivery_error, acknowledged_at, acknowledged_by";
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** An alert as the JSON API shows it. */
function alertView(row: AlertRow) {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    type: row.type,
    message: row.message,
    details: parseDetails(row.details),
    deliveredAt: iso(row.delivered_at),
    deliveryError: row.delivery_error,
    acknowledgedAt: iso(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
  };
}

export type AlertView = ReturnType<typeof alertView>;

/**
 * The SQL filter of an agent's alerts in `[from, to]` (of one type and status, when given): the
 * listing of `GET /v1/agents/:agentId/alerts` and the dashboard's counts share it, so they cannot
 * disagree.
 */
function alertFilter(agentId: string, from: number, to: number, type: string, status: AlertStatus | ""): { where: string[]; binds: Array<string | number> } {
  const where = ["agent_id = ?", "at >= ?", "at <= ?"];
  const binds: Array<string | number> = [agentId, from, to];
  if (type) {
    where.push("type = ?");
    binds.push(type);
  }
  if (status === "open") where.push("acknowledged_at IS NULL");
  if (status === "acknowledged") where.push("acknowledged_at IS NOT NULL");
  return { where, binds };
}

/** How many alerts an agent raised in `[from, to]`: how many were never delivered, and how many are open (not acknowledged). */
export async function countAlerts(db: D1Database, agentId: string, from: number, to: number): Promise<{ total: number; undelivered: number; open: number }> {
  const { where, binds } = alertFilter(agentId, from, to, "", "");
  const row = await db
    .prepare(`SELECT COUNT(*) AS total, COUNT(*) - COUNT(delivered_at) AS undelivered, COUNT(*) - COUNT(acknowledged_at) AS open FROM alerts WHERE ${where.join(" AND ")}`)
    .bind(...binds)
    .first<{ total: number; undelivered: number; open: number }>();
  return { total: row?.total ?? 0, undelivered: row?.undelivered ?? 0, open: row?.open ?? 0 };
}

/** A listing request, validated: the time range, filters, page size and cursor of the query string. */
export interface AlertQuery {
  from: number;
  to: number;
  type: string;
  status: AlertStatus | "";
  limit: number;
  cursor: string | undefined;
  /** The cursor's scope: the agent and the filters as given, so a cursor fits only its own listing. */
  scope: string;
}

/**
 * Reads `type`, `status`, `from`, `to`, `limit` and `cursor` from the query string (400 naming the
 * parameter for a bad one). The dashboard's alerts page reads its address with this too.
 */
export function parseAlertQuery(c: Context<AppEnv>, agentId: string): AlertQuery {
  const { from, to } = timeRange(c);
  const limit = parseLimit(c.req.query("limit"));
  const type = c.req.query("type") ?? "";
  if (type !== "" && !ALERT_TYPES.includes(type)) throw new AppError("invalid_request", `type must be one of ${ALERT_TYPES.join(", ")}`);
  const status = c.req.query("status") ?? "";
  if (status !== "" && !(ALERT_STATUSES as readonly string[]).includes(status)) throw new AppError("invalid_request", `status must be one of ${ALERT_STATUSES.join(", ")}`);
  const filters = ["alerts", agentId, type, c.req.query("from") ?? "", c.req.query("to") ?? ""];
  // Without a status the scope is the one cursors had before the filter existed: they stay valid.
  if (status !== "") filters.push(status);
  return { from, to, type, status: status as AlertStatus | "", limit, cursor: c.req.query("cursor") || undefined, scope: JSON.stringify(filters) };
}

/** One page of an agent's alerts, newest first: the body of `GET /v1/agents/:agentId/alerts`. */
export async function listAlerts(db: D1Database, cursorKey: string, agentId: string, q: AlertQuery): Promise<{ alerts: AlertView[]; nextCursor: string | null }> {
  const after = q.cursor ? await decodeCursor(cursorKey, q.scope, q.cursor) : null;
  const { where, binds } = alertFilter(agentId, q.from, q.to, q.type, q.status);
  if (after) {
    where.push("(at < ? OR (at = ? AND id < ?))");
    binds.push(after.at, after.at, after.id);
  }
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM alerts WHERE ${where.join(" AND ")} ORDER BY at DESC, id DESC LIMIT ?`)
    .bind(...binds, q.limit + 1)
    .all<AlertRow>();
  const page = results.slice(0, q.limit);
  const last = page.at(-1);
  return {
    alerts: page.map(alertView),
    nextCursor: results.length > q.limit && last ? await encodeCursor(cursorKey, q.scope, { at: last.at, id: last.id }) : null,
  };
}

/** An alert id from a path: 400 for what cannot be one. */
export function parseAlertId(raw: string): string {
  if (!ALERT_ID.test(raw)) throw new AppError("invalid_request", "alertId must be the id of an alert, as the alert listing returns it");
  return raw;
}

export const acknowledgeSchema = z.strictObject({
  note: z.string().trim().max(1000, "must be at most 1000 characters").optional(),
});

/**
 * Marks an alert acknowledged by `actor`, once: the first acknowledgement is kept and audited
 * (`alert.acknowledged`); a later one changes nothing and returns the alert as the first left it.
 * 404 for an alert the agent does not have. The mark is made in the statement that checks it was
 * not, so two acknowledgements at once record (and audit) one.
 */
export async function acknowledgeAlert(
  db: D1Database,
  stub: Pick<ReturnType<typeof agentObject>, "recordEvents">,
  input: { agentId: string; alertId: string; actor: string; note: string | null; now: number },
): Promise<{ alert: AlertView; acknowledged: boolean }> {
  const { agentId, alertId, actor, note, now } = input;
  const marked = await db
    .prepare("UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND agent_id = ? AND acknowledged_at IS NULL")
    .bind(now, actor, alertId, agentId)
    .run();
  const row = await db.prepare(`SELECT ${COLUMNS} FROM alerts WHERE id = ? AND agent_id = ?`).bind(alertId, agentId).first<AlertRow>();
  if (!row) throw new AppError("not_found", `agent "${agentId}" has no alert "${alertId}"`);
  const acknowledged = (marked.meta.changes ?? 0) > 0;
  if (acknowledged) {
    try {
      await stub.recordEvents([
        {
          level: "minimal",
          event: { at: now, actor, action: "alert.acknowledged", resource: `alert:${alertId}`, decision: "changed", details: { type: row.type, ...(note ? { note } : {}) } },
        },
      ]);
    } catch (err) {
      // Never an acknowledgement the audit trail does not show: undone, and the caller may retry.
      await db.prepare("UPDATE alerts SET acknowledged_at = NULL, acknowledged_by = NULL WHERE id = ? AND agent_id = ? AND acknowledged_at = ? AND acknowledged_by = ?").bind(alertId, agentId, now, actor).run();
      throw err;
    }
  }
  return { alert: alertView(row), acknowledged };
}

/**
 * `GET /v1/agents/:agentId/alerts`: an agent's alerts, newest first, with how their delivery went
 * and who acknowledged them. `POST …/alerts/:alertId/acknowledge` (body optional `{ note }`): a
 * person has seen it; idempotent (200 each time, the first acknowledgement kept).
 */
export const alertRoutes = new Hono<AppEnv>()
  .get("/agents/:agentId/alerts", async (c) => {
    const { agentId } = await requireAgent(c);
    return c.json(await listAlerts(await agentDb(c.env, agentId), c.env.ADMIN_TOKEN ?? "", agentId, parseAlertQuery(c, agentId)));
  })
  .post("/agents/:agentId/alerts/:alertId/acknowledge", async (c) => {
    const { agentId, stub } = await requireAgent(c);
    const alertId = parseAlertId(c.req.param("alertId"));
    const text = await readBodyLimited(c.req.raw, 8 * 1024);
    const body = parseBody(acknowledgeSchema, text.trim() === "" ? {} : parseJson(text));
    const { alert } = await acknowledgeAlert(await agentDb(c.env, agentId), stub, { agentId, alertId, actor: adminActor(c), note: body.note || null, now: c.var.clock.now() });
    return c.json({ agentId, alert });
  });
