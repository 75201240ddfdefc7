/**
 * Dashboard sessions, kept in D1 (`dashboard_sessions`, see docs/dashboard.md). The browser holds
 * a random token in an `HttpOnly; Secure; SameSite=Strict` cookie; the row is found by the
 * token's SHA-256 and names the key, its role and agents, and the CSRF token of the session's
 * forms. D1 rather than KV: a sign-out or a revoked key must end the session everywhere at once,
 * and KV takes up to a minute to forget.
 */
import { hmacSha256Hex, sha256Hex, timingSafeEqualStrings } from "../core/crypto";
import type { Principal } from "../http/context";
import { ROLES, type Role } from "../admin/access";
import { type ShardBindings, shards } from "../db/shards";

export const SESSION_COOKIE = "foreman_session";
/** A session lasts at most this long, then the key must be given again. */
export const SESSION_TTL_MS = 8 * 3_600_000;

export interface Session {
  /** Hex SHA-256 of the cookie's token. */
  id: string;
  principal: Principal;
  csrf: string;
  expiresAt: number;
}

/** 32 random bytes in base64url: session tokens and CSRF tokens. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Ties a session of the ADMIN_TOKEN secret to the secret's current value. */
function bootstrapCheck(adminToken: string, id: string): Promise<string> {
  return hmacSha256Hex(adminToken, `foreman-dashboard-session\n${id}`);
}

/**
 * Starts a session for a principal; returns the cookie's token (shown to the browser only) and the
 * session. Expired sessions are swept at the same time, so the table never grows without bound.
 */
export async function createSession(
  env: ShardBindings & { ADMIN_TOKEN?: string },
  principal: Principal,
  now: number,
): Promise<{ token: string; session: Session }> {
  const token = randomToken();
  const id = await sha256Hex(token);
  const session: Session = { id, principal, csrf: randomToken(), expiresAt: now + SESSION_TTL_MS };
  const check = principal.keyId === "bootstrap" && env.ADMIN_TOKEN ? await bootstrapCheck(env.ADMIN_TOKEN, id) : null;
  const db = shards(env).primary;
  await db.batch([
    db.prepare("DELETE FROM dashboard_sessions WHERE expires_at <= ?").bind(now),
    db.prepare(
      "INSERT INTO dashboard_sessions (id, key_id, role, agents, csrf, bootstrap_check, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).bind(id, principal.keyId, principal.role, principal.agents === null ? null : JSON.stringify(principal.agents), session.csrf, check, now, session.expiresAt),
  ]);
  return { token, session };
}

interface SessionRow {
  id: string;
  key_id: string;
  role: string;
  agents: string | null;
  csrf: string;
  bootstrap_check: string | null;
  expires_at: number;
  /** The key's row, when the session is of an API key that still exists. */
  live_key: string | null;
  revoked_at: number | null;
}

/**
 * The live session a cookie's token names, or null. A session past its expiry, of a key revoked
 * or deleted since, or of an ADMIN_TOKEN that has changed, is deleted and gives null: the key's
 * state is read on every request, never cached.
 */
export async function loadSession(env: ShardBindings & { ADMIN_TOKEN?: string }, token: string | undefined, now: number): Promise<Session | null> {
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const id = await sha256Hex(token);
  const row = await shards(env).primary.prepare(
    `SELECT s.id, s.key_id, s.role, s.agents, s.csrf, s.bootstrap_check, s.expires_at, k.id AS live_key, k.revoked_at
     FROM dashboard_sessions s LEFT JOIN api_keys k ON k.id = s.key_id WHERE s.id = ?`,
  )
    .bind(id)
    .first<SessionRow>();
  if (!row) return null;
  if (!(await isLive(env, row, now))) {
    await deleteSession(shards(env).primary, id);
    return null;
  }
  const agents = row.agents === null ? null : (JSON.parse(row.agents) as string[]);
  return { id, principal: { keyId: row.key_id, role: row.role as Role, agents }, csrf: row.csrf, expiresAt: row.expires_at };
}

async function isLive(env: { ADMIN_TOKEN?: string }, row: SessionRow, now: number): Promise<boolean> {
  if (row.expires_at <= now || !(ROLES as readonly string[]).includes(row.role)) return false;
  if (row.key_id !== "bootstrap") return row.live_key !== null && row.revoked_at === null;
  if (!env.ADMIN_TOKEN || !row.bootstrap_check) return false;
  return timingSafeEqualStrings(row.bootstrap_check, await bootstrapCheck(env.ADMIN_TOKEN, row.id));
}

export async function deleteSession(db: D1Database, id: string): Promise<void> {
  await db.prepare("DELETE FROM dashboard_sessions WHERE id = ?").bind(id).run();
}
