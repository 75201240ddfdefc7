import type { MiddlewareHandler } from "hono";
import { timingSafeEqualStrings } from "../core/crypto";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";
import { BOOTSTRAP_PRINCIPAL, denial, type Principal } from "./access";
import { findKey } from "./keys";

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
    if (token) principal = (await timingSafeEqualStrings(token, bootstrap)) ? BOOTSTRAP_PRINCIPAL : await findKey(c.env.DB, token);
    if (!principal) {
      c.header("WWW-Authenticate", 'Bearer realm="foreman-admin"');
      throw new AppError("unauthorized", "a valid admin bearer token is required");
    }
    const refused = denial(principal, { method: c.req.method, path: c.req.path });
    if (refused) throw new AppError("forbidden", refused);
    c.set("principal", principal);
    await next();
  };
}
