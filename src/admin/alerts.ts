import { Hono } from "hono";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";
import { requireAgent, timeRange } from "./common";
import { parseDetails } from "../audit/rows";
import { decodeCursor, encodeCursor, parseLimit } from "./listing";

/** The alert types `type` filters on. */
export const ALERT_TYPES = ["permission_escalation", "unusual_activity", "budget_threshold", "budget_exhausted", "urgent_message", "pattern_rolled_back"];

interface AlertRow {
  id: string;
  at: number;
  type: string;
  message: string;
  details: string;
  delivered_at: number | null;
  delivery_error: string | null;
}

/**
 * The SQL filter of an agent's alerts in `[from, to]` (of one type, when given): the listing of
 * `GET /v1/agents/:agentId/alerts` and the dashboard's count share it, so they cannot disagree.
 */
function alertFilter(agentId: string, from: number, to: number, type: string): { where: string[]; binds: Array<string | number> } {
  const where = ["agent_id = ?", "at >= ?", "at <= ?"];
  const binds: Array<string | number> = [agentId, from, to];
  if (type) {
    where.push("type = ?");
    binds.push(type);
  }
  return { where, binds };
}

/** How many alerts an agent raised in `[from, to]`, and how many of them were never delivered. */
export async function countAlerts(db: D1Database, agentId: string, from: number, to: number): Promise<{ total: number; undelivered: number }> {
  const { where, binds } = alertFilter(agentId, from, to, "");
  const row = await db
    .prepare(`SELECT COUNT(*) AS total, COUNT(*) - COUNT(delivered_at) AS undelivered FROM alerts WHERE ${where.join(" AND ")}`)
    .bind(...binds)
    .first<{ total: number; undelivered: number }>();
  return { total: row?.total ?? 0, undelivered: row?.undelivered ?? 0 };
}

/** `GET /v1/agents/:agentId/alerts`: an agent's alerts, newest first, with how their delivery went. */
export const alertRoutes = new Hono<AppEnv>().get("/agents/:agentId/alerts", async (c) => {
  const { agentId } = await requireAgent(c);
  const { from, to } = timeRange(c);
  const limit = parseLimit(c.req.query("limit"));
  const type = c.req.query("type") ?? "";
  if (type !== "" && !ALERT_TYPES.includes(type)) throw new AppError("invalid_request", `type must be one of ${ALERT_TYPES.join(", ")}`);
  const scope = JSON.stringify(["alerts", agentId, type, c.req.query("from") ?? "", c.req.query("to") ?? ""]);
  const key = c.env.ADMIN_TOKEN ?? "";
  const rawCursor = c.req.query("cursor");
  const after = rawCursor ? await decodeCursor(key, scope, rawCursor) : null;

  const { where, binds } = alertFilter(agentId, from, to, type);
  if (after) {
    where.push("(at < ? OR (at = ? AND id < ?))");
    binds.push(after.at, after.at, after.id);
  }
  const { results } = await c.env.DB.prepare(
    `SELECT id, at, type, message, details, delivered_at, delivery_error FROM alerts WHERE ${where.join(" AND ")} ORDER BY at DESC, id DESC LIMIT ?`,
  )
    .bind(...binds, limit + 1)
    .all<AlertRow>();
  const page = results.slice(0, limit);
  const last = page.at(-1);
  return c.json({
    alerts: page.map((row) => ({
      id: row.id,
      at: new Date(row.at).toISOString(),
      type: row.type,
      message: row.message,
      details: parseDetails(row.details),
      deliveredAt: row.delivered_at === null ? null : new Date(row.delivered_at).toISOString(),
      deliveryError: row.delivery_error,
    })),
    nextCursor: results.length > limit && last ? await encodeCursor(key, scope, { at: last.at, id: last.id }) : null,
  });
});
