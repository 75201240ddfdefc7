import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context";

/** What a caller's own request id may be: short, and nothing a log or audit reader could be fooled by. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Gives every request an id of our own (a UUID), sent back as `X-Request-Id` and carried by the
 * error envelope, the logs and audit events. A caller's `X-Request-Id` never becomes that id, or
 * anyone could plant ids in the audit trail that point at other requests; when it is at most 64
 * letters, digits, `.`, `_`, `:` or `-`, it is kept apart as `clientRequestId` for correlation,
 * and dropped otherwise.
 *
 * @example
 * app.use(requestIds());
 * app.get("/", (c) => c.text(c.var.requestId));
 */
export function requestIds(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("requestId", crypto.randomUUID());
    c.set("clientRequestId", clientRequestId(c.req.header("x-request-id")));
    c.header("X-Request-Id", c.var.requestId);
    await next();
  };
}

/** The caller's request id when it is within bounds, else undefined. */
export function clientRequestId(header: string | undefined): string | undefined {
  return header !== undefined && CLIENT_REQUEST_ID.test(header) ? header : undefined;
}
