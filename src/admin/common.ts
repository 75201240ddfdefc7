import type { Context } from "hono";
import { z } from "zod";
import { AGENT_ID_PATTERN, AGENT_ID_RULE } from "../core/agent-id";
import { AppError } from "../core/errors";
import type { AppEnv, Principal } from "../http/context";
import type { AgentSnapshot } from "../core/agent";
import { agentObject } from "../state/objects";
import { agentDb } from "../db/shards";

/** Agent ids appear in URLs, storage keys and object names. */
export const agentIdSchema = z.string().regex(AGENT_ID_PATTERN, AGENT_ID_RULE);

export function parseAgentId(raw: string): string {
  const parsed = agentIdSchema.safeParse(raw);
  if (!parsed.success) throw new AppError("invalid_request", parsed.error.issues[0]?.message ?? "invalid agent id");
  return parsed.data;
}

/** A configured agent's stub and snapshot, or 404: for the admin routes and the dashboard's pages alike. */
export async function loadAgent(env: Env, agentId: string): Promise<{ stub: ReturnType<typeof agentObject>; snapshot: AgentSnapshot }> {
  const stub = agentObject(env, agentId);
  const snapshot = await stub.snapshot();
  if (!snapshot) throw new AppError("not_found", `unknown agent "${agentId}"`);
  return { stub, snapshot };
}

/** The route's agent (`:agentId`): its stub and snapshot, or 404. */
export async function requireAgent(c: Context<AppEnv>): Promise<{ agentId: string; stub: ReturnType<typeof agentObject>; snapshot: AgentSnapshot }> {
  const agentId = parseAgentId(c.req.param("agentId") ?? "");
  return { agentId, ...(await loadAgent(c.env, agentId)) };
}

/**
 * The agent whose audit trail a route reads: a configured agent, or a deleted one whose events
 * are kept (its object still holds the chain head); 404 when there is neither.
 */
export async function requireAuditTrail(c: Context<AppEnv>): Promise<{ agentId: string; stub: ReturnType<typeof agentObject> }> {
  const agentId = parseAgentId(c.req.param("agentId") ?? "");
  const stub = agentObject(c.env, agentId);
  if (await stub.snapshot()) return { agentId, stub };
  const kept = await (await agentDb(c.env, agentId)).prepare("SELECT 1 FROM audit_events WHERE agent_id = ? UNION ALL SELECT 1 FROM audit_archives WHERE agent_id = ? LIMIT 1")
    .bind(agentId, agentId)
    .first();
  if (!kept) throw new AppError("not_found", `unknown agent "${agentId}"`);
  return { agentId, stub };
}

/**
 * Who made an admin request, for audit events: `admin:` and the key's id (`admin:key_…`, or
 * `admin:bootstrap` for the ADMIN_TOKEN secret). Never the key itself.
 */
export function adminActor(c: Context<AppEnv>): string {
  return `admin:${requirePrincipal(c).keyId}`;
}

/** The caller of an admin route; the admin auth middleware sets it before any route runs. */
export function requirePrincipal(c: Context<AppEnv>): Principal {
  const principal = c.var.principal;
  if (!principal) throw new Error("admin route reached without the admin auth middleware");
  return principal;
}

/** A time bound from a query string: ISO 8601 or epoch milliseconds. */
export function parseTime(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(t)) throw new AppError("invalid_request", `${name} must be an ISO 8601 time or epoch milliseconds`);
  return t;
}

/**
 * `from`/`to` of a query string as epoch ms: `to` defaults to now, `from` to `defaultSpanMs`
 * before `to` (or the epoch without one). 400 for garbage, a time outside what a Date holds, or
 * `from` after `to`.
 */
export function timeRange(c: Context<AppEnv>, defaultSpanMs?: number): { from: number; to: number } {
  const to = parseTime(c.req.query("to"), c.var.clock.now(), "to");
  const from = parseTime(c.req.query("from"), defaultSpanMs === undefined ? 0 : to - defaultSpanMs, "from");
  for (const [name, t] of [["from", from], ["to", to]] as const) {
    if (Number.isNaN(new Date(t).getTime())) throw new AppError("invalid_request", `${name} is outside the range of dates`);
  }
  if (from > to) throw new AppError("invalid_request", "from must not be after to");
  return { from, to };
}

/** The span admin analytics cover when `from` is not given. */
export const DEFAULT_ANALYTICS_SPAN_MS = 30 * 86_400_000;
