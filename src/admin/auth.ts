import type { MiddlewareHandler } from "hono";
import { timingSafeEqualStrings } from "../core/crypto";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";

/**
 * Bearer auth for the admin API against the ADMIN_TOKEN secret, compared in constant time.
 * Without ADMIN_TOKEN the admin API is closed (503), never open.
 */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const expected = c.env.ADMIN_TOKEN;
    if (!expected) throw new AppError("admin_disabled", "the admin API is disabled: set the ADMIN_TOKEN secret");
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || !(await timingSafeEqualStrings(match[1], expected))) {
      c.header("WWW-Authenticate", 'Bearer realm="foreman-admin"');
      throw new AppError("unauthorized", "a valid admin bearer token is required");
    }
    await next();
  };
}
