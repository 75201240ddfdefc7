/**
 * What every dashboard route works with: the session on the context, and the one access rule
 * (the admin API's `denial`, applied to the JSON route a page reads or a form stands for).
 */
import type { Context } from "hono";
import { denial, type Principal } from "../admin/access";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";
import type { AccessIdentity } from "./access-jwt";
import type { Session } from "./session";

export type DashboardEnv = AppEnv & { Variables: { session?: Session; accessIdentity?: AccessIdentity } };

/** The signed-in session, or a 401 (the auth middleware redirects page views before this). */
export function requireSession(c: Context<DashboardEnv>): Session {
  const session = c.var.session;
  if (!session) throw new AppError("unauthorized", "sign in first");
  return session;
}

/**
 * Refuses what the admin API would refuse this key for the same request: the dashboard's rules
 * are `denial`'s, applied to the JSON route each page reads or each form stands for.
 */
export function authorize(principal: Principal, method: string, adminPath: string): void {
  const refused = denial(principal, { method, path: adminPath });
  if (refused) throw new AppError("forbidden", refused);
}

/** Whether the key may make the change a form stands for (a viewer sees the form disabled). */
export function mayAct(principal: Principal, method: string, adminPath: string): boolean {
  return denial(principal, { method, path: adminPath }) === null;
}
