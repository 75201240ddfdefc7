import { Hono } from "hono";
import { adminAuth } from "./admin/auth";
import { agentRoutes } from "./admin/agents";
import { trustRoutes } from "./admin/trust";
import { approvalRoutes } from "./admin/approvals";
import { costRoutes } from "./admin/cost";
import { channelAnalyticsRoutes } from "./admin/channels";
import { conversationRoutes } from "./admin/conversations";
import { alertRoutes } from "./admin/alerts";
import { reportRoutes } from "./admin/reports";
import { legalHoldRoutes } from "./admin/legal-hold";
import { moveRoutes } from "./admin/move";
import { patternRoutes } from "./admin/patterns";
import { auditRoutes } from "./admin/audit";
import { keyRoutes } from "./admin/keys";
import { deadLetterRoutes } from "./admin/dead-letters";
import { openApiRoutes } from "./admin/openapi/document";
import { CHANNELS } from "./channels/registry";
import { dashboardRoutes } from "./dashboard/routes";
import { type Clock, systemClock } from "./core/clock";
import { AppError, toErrorBody } from "./core/errors";
import { jsonLogger, type Logger } from "./core/logger";
import type { AppEnv } from "./http/context";
import { requestIds } from "./http/request-id";
import { createServices } from "./pipeline/services";

/**
 * The worker's HTTP surface: webhooks and the admin API, with one error envelope
 * `{ error: { code, message, requestId } }` rendered in one place. `ready` runs before each
 * request's routes (the agents declared in code are applied on an isolate's first request).
 * Every route works under a prefix when the app is mounted in another Hono app.
 */
export function createApp(opts: { clock?: Clock; logger?: Logger; ready?: (env: Env) => Promise<void> } = {}) {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? jsonLogger();
  const app = new Hono<AppEnv>();
  app.use(requestIds());
  const ready = opts.ready;
  if (ready) {
    app.use(async (c, next) => {
      await ready(c.env);
      await next();
    });
  }
  // The service factory: one set of services per request, from its bindings.
  app.use(async (c, next) => {
    c.set("clock", clock);
    c.set(
      "services",
      createServices(c.env, { clock, logger: logger.with(requestFields(c.var)), defer: (p) => c.executionCtx.waitUntil(p) }),
    );
    await next();
  });

  app.get("/", (c) => c.json({ name: "foreman", status: "ok" }));
  for (const channel of CHANNELS) if (channel.routes) app.route("/", channel.routes);
  app.route("/dashboard", dashboardRoutes);
  app.use("/v1/*", adminAuth());
  app.route("/v1", agentRoutes);
  app.route("/v1", trustRoutes);
  app.route("/v1", approvalRoutes);
  app.route("/v1", costRoutes);
  app.route("/v1", channelAnalyticsRoutes);
  app.route("/v1", conversationRoutes);
  app.route("/v1", auditRoutes);
  app.route("/v1", alertRoutes);
  app.route("/v1", reportRoutes);
  app.route("/v1", legalHoldRoutes);
  app.route("/v1", moveRoutes);
  app.route("/v1", patternRoutes);
  app.route("/v1", keyRoutes);
  app.route("/v1", deadLetterRoutes);
  app.route("/v1", openApiRoutes);

  app.notFound((c) => {
    const { status, body } = toErrorBody(new AppError("not_found", `no route for ${c.req.method} ${c.req.path}`), c.var.requestId);
    return c.json(body, status);
  });
  app.onError((err, c) => {
    const { status, body } = toErrorBody(err, c.var.requestId ?? "");
    if (status >= 500) logger.error("request_failed", { ...requestFields(c.var), error: String(err), cause: String((err as Error).cause ?? "") });
    if (err instanceof AppError && err.retryAfter !== undefined) c.header("Retry-After", String(err.retryAfter));
    return c.json(body, status);
  });
  return app;
}

/** The ids every log line of a request carries; the caller's only when it sent one. */
function requestFields(vars: { requestId: string; clientRequestId: string | undefined }) {
  return { requestId: vars.requestId, ...(vars.clientRequestId ? { clientRequestId: vars.clientRequestId } : {}) };
}
