/**
 * What every dashboard request passes: security headers on every answer, the same-origin check
 * on every state-changing request, the session, and the CSRF token of its forms.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { timingSafeEqualStrings } from "../core/crypto";
import { AppError } from "../core/errors";
import { readBodyLimited } from "../http/body";
import type { AppEnv } from "../http/context";
import { loadSession, SESSION_COOKIE, type Session } from "./session";

/**
 * No inline script or style anywhere (CSS and JS are files under `/dashboard/assets/`), no
 * framing, no other origin reached. SVG charts use presentation attributes, which CSP allows.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
};

/** Sets the security headers on whatever the dashboard answers, errors included. */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      // Static assets set their own caching.
      if (name === "Cache-Control" && c.res.headers.has(name)) continue;
      c.res.headers.set(name, value);
    }
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Whether a state-changing request comes from a dashboard page. Browsers send `Sec-Fetch-Site`
 * (it must be `same-origin`) and `Origin`; with `Referrer-Policy: no-referrer` a same-origin form
 * POST carries `Origin: null` (Fetch, "append a request `Origin` header"), so `null` is left to
 * `Sec-Fetch-Site`. A request with neither header comes from no browser and is refused.
 */
export function sameOrigin(c: Context<AppEnv>): boolean {
  const site = c.req.header("sec-fetch-site");
  const origin = c.req.header("origin");
  if (site !== undefined && site !== "same-origin") return false;
  if (origin !== undefined && origin !== "null") {
    const allowed = new Set([new URL(c.req.url).origin]);
    if (c.env.PUBLIC_BASE_URL) {
      try {
        allowed.add(new URL(c.env.PUBLIC_BASE_URL).origin);
      } catch {
        // A malformed PUBLIC_BASE_URL adds nothing.
      }
    }
    if (!allowed.has(origin)) return false;
  }
  return site !== undefined || (origin !== undefined && origin !== "null");
}

/** Refuses a state-changing request from another origin (403) before anything reads its body. */
export function originCheck(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method) && !sameOrigin(c)) {
      throw new AppError("forbidden", "this request did not come from a dashboard page (Origin / Sec-Fetch-Site)");
    }
    await next();
  };
}

/** The dashboard's session, when the cookie names a live one. */
export async function currentSession(c: Context<AppEnv>): Promise<Session | null> {
  return loadSession(c.env, getCookie(c, SESSION_COOKIE), c.var.clock.now());
}

/** Form fields of a urlencoded POST (at most `maxBytes`, 16 KiB unless a form needs more); 400 for another body type. */
export async function readForm(c: Context<AppEnv>, maxBytes = 16 * 1024): Promise<URLSearchParams> {
  const type = c.req.header("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    throw new AppError("invalid_request", "the dashboard's forms are sent as application/x-www-form-urlencoded");
  }
  return new URLSearchParams(await readBodyLimited(c.req.raw, maxBytes));
}

/** Checks the form's `_csrf` field against the session's token, in constant time (403 when it differs). */
export async function requireCsrf(session: Session, form: URLSearchParams): Promise<void> {
  const sent = form.get("_csrf") ?? "";
  if (!(await timingSafeEqualStrings(sent, session.csrf))) {
    throw new AppError("forbidden", "the form's CSRF token is missing or wrong: reload the page and try again");
  }
}
