import type { MiddlewareHandler } from "hono";
import { timingSafeEqualStrings } from "../core/crypto";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";
import { BOOTSTRAP_PRINCIPAL, denial, type Principal } from "./access";
import { findKey } from "./keys";
import { shards } from "../db/shards";

/**
 * Bearer auth for the admin API, then access control. The token is either the `ADMIN_TOKEN`
 * secret (compared in constant time; an admin key for every agent) or an API key from
 * `POST /v1/keys` (looked up by its SHA-256, never cached, so a revoke holds at once). The
 * principal goes to `c.var.principal`; `denial` refuses what its role or agents do not allow
 * (403). Without ADMIN_TOKEN the admin API is closed (503), never open: it also signs cursors.
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const bootstrap = c.env.ADMIN_TOKEN;
    if (!bootstrap) throw new AppError("admin_disabled", "the admin API is disabled: set the ADMIN_TOKEN secret");
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    let principal: Principal | null = null;
    if (token) principal = (await timingSafeEqualStrings(token, bootstrap)) ? BOOTSTRAP_PRINCIPAL : await findKey(shards(c.env).primary, token);
    if (!principal) {
      c.header("WWW-Authenticate", 'Bearer realm="foreman-admin"');
      throw new AppError("unauthorized", "a valid admin bearer token is required");
    }
    const refused = denial(principal, { method: c.req.method, path: adminPath(c.req.path, c.req.routePath) });
    if (refused) throw new AppError("forbidden", refused);
    c.set("principal", principal);
    await next();
  };
}

/**
 * The request's path as the access rules know it (`/v1/...`), also when the app is mounted under
 * a prefix in another Hono app (`app.route("/foreman", foreman.app)`): the middleware's own
 * route (`/foreman/v1/*`) says which prefix to take off.
 *
 * @example
 * adminPath("/foreman/v1/agents/shop", "/foreman/v1/*"); // "/v1/agents/shop"
 */
export function adminPath(path: string, routePath: string): string {
  const prefix = routePath.endsWith(ADMIN_ROUTE) ? routePath.slice(0, -ADMIN_ROUTE.length) : "";
  return prefix !== "" && path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

/** Where the admin auth middleware is registered in `createApp`. */
const ADMIN_ROUTE = "/v1/*";
