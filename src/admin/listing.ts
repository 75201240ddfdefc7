import type { Context } from "hono";
import { hmacSha256Hex, timingSafeEqualStrings } from "../core/crypto";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";

/** Newest-first listings of an agent's records (audit events, alerts): page size and cursors. */

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

export function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw new AppError("invalid_request", `limit must be an integer from 1 to ${MAX_LIMIT}`);
  return limit;
}

/** A position in the newest-first listing: the last event returned. */
export interface CursorPosition {
  at: number;
  id: string;
}

/**
 * Cursors are `<base64url position>.<MAC>`, the MAC an HMAC-SHA256 under the admin token over the
 * agent and the filters, so a cursor edited, forged, or carried to another agent or query is a 400.
 */
async function cursorMac(key: string, scope: string, payload: string): Promise<string> {
  return (await hmacSha256Hex(key, `foreman-listing-cursor\n${scope}\n${payload}`)).slice(0, 32);
}

export async function encodeCursor(key: string, scope: string, position: CursorPosition): Promise<string> {
  const payload = btoa(JSON.stringify([position.at, position.id])).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${payload}.${await cursorMac(key, scope, payload)}`;
}

export async function decodeCursor(key: string, scope: string, raw: string): Promise<CursorPosition> {
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


