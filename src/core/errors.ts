import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every error code the public API can answer with. */
export type ErrorCode =
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "invalid_request"
  | "invalid_config"
  | "payload_too_large"
  | "duplicate_in_flight"
  | "conversation_busy"
  | "conflict"
  | "rate_limited"
  | "model_unavailable"
  | "model_rejected"
  | "admin_disabled"
  | "internal";

/** The one place codes become HTTP statuses; `satisfies` keeps it exhaustive. */
export const STATUS_OF = {
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  invalid_request: 400,
  invalid_config: 400,
  payload_too_large: 413,
  duplicate_in_flight: 409,
  conversation_busy: 409,
  conflict: 409,
  rate_limited: 429,
  model_unavailable: 503,
  model_rejected: 502,
  admin_disabled: 503,
  internal: 500,
} as const satisfies Record<ErrorCode, ContentfulStatusCode>;

/**
 * An error meant for the caller: its code picks the status, its message is safe to show.
 *
 * @example
 * throw new AppError("not_found", `unknown agent "${agentId}"`);
 */
export class AppError extends Error {
  override readonly name = "AppError";
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Seconds the caller should wait before retrying, sent as `Retry-After`. */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, opts: { details?: unknown; cause?: unknown; retryAfter?: number } = {}) {
    super(message, { cause: opts.cause });
    this.code = code;
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
  }
}

/** The JSON error envelope every route answers with. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; details?: unknown };
}

/** Renders any thrown value as the error envelope; unknown errors say nothing internal. */
export function toErrorBody(err: unknown, requestId: string): { status: ContentfulStatusCode; body: ErrorBody } {
  if (err instanceof AppError) {
    const error: ErrorBody["error"] = { code: err.code, message: err.message, requestId };
    if (err.details !== undefined) error.details = err.details;
    return { status: STATUS_OF[err.code], body: { error } };
  }
  return { status: 500, body: { error: { code: "internal", message: "internal error", requestId } } };
}
