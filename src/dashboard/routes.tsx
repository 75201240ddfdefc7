import { type Context, Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { BOOTSTRAP_PRINCIPAL, type Principal } from "../admin/access";
import { listAgents } from "../admin/agents";
import { findKey } from "../admin/keys";
import { timingSafeEqualStrings } from "../core/crypto";
import { AppError, toErrorBody } from "../core/errors";
import type { AppEnv } from "../http/context";
import { APP_CSS, APP_JS } from "./assets";
import { currentSession, originCheck, readForm, requireCsrf, securityHeaders } from "./guard";
import { ErrorPage } from "./layout";
import { AgentsPage } from "./pages/agents";
import { SignInPage } from "./pages/sign-in";
import { authorize, type DashboardEnv, requireSession } from "./context";
import { agentPageRoutes } from "./pages/agent-routes";
import { agentEditPageRoutes } from "./pages/agent-edit-routes";
import { trustPageRoutes } from "./pages/trust-routes";
import { auditPageRoutes } from "./pages/audit-routes";
import { learningPageRoutes } from "./pages/learning-routes";
import { requireAccess } from "./access-jwt";
import { clientAddress, countFailedSignIn, SIGN_IN_LOCK_SECONDS, signInLocked } from "./sign-in-limit";
import { channelPageRoutes } from "./pages/channels-routes";
import { opsPageRoutes } from "./pages/ops-routes";
import { apiPageRoutes } from "./pages/api-routes";
import { createSession, deleteSession, SESSION_COOKIE, SESSION_TTL_MS } from "./session";
import { shards } from "../db/shards";

/** The principal a presented key stands for: the ADMIN_TOKEN secret or a live API key. */
async function principalOf(env: Env, key: string): Promise<Principal | null> {
  if (!key) return null;
  if (env.ADMIN_TOKEN && (await timingSafeEqualStrings(key, env.ADMIN_TOKEN))) return BOOTSTRAP_PRINCIPAL;
  return findKey(shards(env).primary, key);
}

const TOO_MANY = `Too many sign-ins that failed from your address: try again in ${SIGN_IN_LOCK_SECONDS} seconds.`;

const PUBLIC_PATHS = new Set(["/dashboard/sign-in", "/dashboard/assets/app.css", "/dashboard/assets/app.js"]);

/**
 * `/dashboard`: server-rendered pages over the admin API's query functions, signed in with an API
 * key; mounted at `/dashboard` (paths below are relative to it). Design, session and CSRF rules:
 * docs/dashboard.md.
 */
export const dashboardRoutes = new Hono<DashboardEnv>();

dashboardRoutes.use("*", securityHeaders());
// Errors become pages; the envelope's code and message, never anything internal.
dashboardRoutes.use("*", async (c, next) => {
  await next();
  if (!c.error) return;
  const { status, body } = toErrorBody(c.error, c.var.requestId);
  const title = status === 403 ? "Not allowed" : status === 401 ? "Signed out" : status === 404 ? "Not found" : "Something went wrong";
  c.res = await c.html(
    <ErrorPage title={title} status={status} message={body.error.message} requestId={c.var.requestId} principal={c.var.session?.principal} csrf={c.var.session?.csrf} />,
    status,
  );
});
dashboardRoutes.use("*", requireAccess());
dashboardRoutes.use("*", originCheck());
dashboardRoutes.use("*", async (c, next) => {
  if (!c.env.ADMIN_TOKEN) throw new AppError("admin_disabled", "the dashboard is disabled: set the ADMIN_TOKEN secret");
  if (PUBLIC_PATHS.has(c.req.path)) return next();
  const session = await currentSession(c);
  if (!session) {
    deleteCookie(c, SESSION_COOKIE, { path: "/dashboard", secure: true });
    if (c.req.method === "GET" || c.req.method === "HEAD") return c.redirect("/dashboard/sign-in", 303);
    throw new AppError("unauthorized", "your session has ended: sign in again");
  }
  c.set("session", session);
  // Audit events and logs name the key behind the session, as for the admin API.
  c.set("principal", session.principal);
  await next();
});

dashboardRoutes
  .get("/assets/app.css", (c) => c.body(APP_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300" }))
  .get("/assets/app.js", (c) => c.body(APP_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300" }))
  .get("/sign-in", async (c) => {
    if (await currentSession(c)) return c.redirect("/dashboard/agents", 303);
    return c.html(<SignInPage />);
  })
  .post("/sign-in", async (c) => {
    const form = await readForm(c);
    const { logger } = c.var.services;
    const address = clientAddress(c.req.raw.headers);
    if (await signInLocked(c.env, address)) {
      logger.warn("dashboard_sign_in_locked", {});
      c.header("Retry-After", String(SIGN_IN_LOCK_SECONDS));
      return c.html(<SignInPage error={TOO_MANY} />, 429);
    }
    const principal = await principalOf(c.env, (form.get("key") ?? "").trim());
    if (!principal) {
      const locked = await countFailedSignIn(c.env, address);
      logger.warn("dashboard_sign_in_refused", { locked });
      if (locked) c.header("Retry-After", String(SIGN_IN_LOCK_SECONDS));
      return c.html(<SignInPage error={locked ? TOO_MANY : "That key is not valid, or it has been revoked."} />, locked ? 429 : 401);
    }
    const now = c.var.clock.now();
    // A sign-in always starts a new session (never one a cookie planted before it named).
    const previous = await currentSession(c);
    if (previous) await deleteSession(shards(c.env).primary, previous.id);
    const { token } = await createSession(c.env, principal, now);
    setCookie(c, SESSION_COOKIE, token, { path: "/dashboard", httpOnly: true, secure: true, sameSite: "Strict", maxAge: SESSION_TTL_MS / 1000 });
    const access = c.var.accessIdentity;
    logger.info("dashboard_signed_in", { keyId: principal.keyId, role: principal.role, ...(access ? { accessUser: access.email ?? access.commonName ?? access.sub } : {}) });
    return c.redirect("/dashboard/agents", 303);
  })
  .post("/sign-out", async (c) => {
    const session = requireSession(c);
    await requireCsrf(session, await readForm(c));
    await deleteSession(shards(c.env).primary, session.id);
    deleteCookie(c, SESSION_COOKIE, { path: "/dashboard", secure: true });
    c.var.services.logger.info("dashboard_signed_out", { keyId: session.principal.keyId });
    return c.redirect("/dashboard/sign-in", 303);
  })
  .get("/", (c) => c.redirect("/dashboard/agents", 303))
  .get("/agents", async (c) => {
    const session = requireSession(c);
    authorize(session.principal, "GET", "/v1/agents");
    const cursor = c.req.query("cursor") || undefined;
    const page = await listAgents(shards(c.env).all.map((x) => x.db), session.principal.agents, { cursor, limit: 100 });
    return c.html(<AgentsPage principal={session.principal} csrf={session.csrf} agents={page.agents} nextCursor={page.nextCursor} />);
  })
  // One sub-app per agent page area.
  .route("/", agentEditPageRoutes)
  .route("/", agentPageRoutes)
  .route("/", trustPageRoutes)
  .route("/", auditPageRoutes)
  .route("/", learningPageRoutes)
  .route("/", channelPageRoutes)
  .route("/", opsPageRoutes)
  .route("/", apiPageRoutes)
  // Registered last: reached only when no page above matched.
  .all("/*", (c) => {
    throw new AppError("not_found", `no dashboard page at ${c.req.path}`);
  });
