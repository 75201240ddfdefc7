/**
 * The shape of the admin API's route catalogue: for each route, what it takes and what it answers,
 * as zod schemas. Request bodies are the very schemas the routes validate with; response bodies
 * are described here, next to the routes of each area, and tests hold them to what the routes
 * return. `document.ts` turns the catalogue into the OpenAPI document.
 */
import { z } from "zod";
import { STATUS_OF } from "../../core/errors";
import { agentIdSchema } from "../common";

export type Method = "get" | "put" | "post" | "delete";

/** One answer of a route: a JSON body, or another media type (a CSV report). */
export interface ResponseDoc {
  description: string;
  /** The JSON body; absent for a status whose body is the error envelope. */
  schema?: z.ZodType;
  /** Other media types the route may answer with, as JSON Schema (e.g. `text/csv`). */
  other?: Record<string, { schema: Record<string, unknown> }>;
}

export interface RouteDoc {
  method: Method;
  /** As Hono registers it under `/v1`: `/v1/agents/:agentId`, `/v1/…/:action{approve|reject}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Schemas of path parameters other than `agentId` (which every agent route shares). */
  params?: Record<string, { schema: z.ZodType; description: string }>;
  query?: Record<string, { schema: z.ZodType; description: string }>;
  /** The body the route validates; `optional` when an empty body is accepted too. */
  body?: { schema: z.ZodType; optional?: boolean; description?: string };
  /** Success statuses with their bodies. */
  responses: Record<number, ResponseDoc>;
  /** Error statuses this route answers besides those of every admin route (401, 403, 500, 503). */
  errors: Record<number, string>;
}

/** Statuses every admin route may answer, from the auth middleware and the error handler. */
export const COMMON_ERRORS: Record<number, string> = {
  401: "no bearer token, or not a valid API key",
  403: "the key's role or agents do not allow this request",
  500: "an internal error; the message says nothing internal",
  503: "the admin API is disabled (no ADMIN_TOKEN secret)",
};

/** A `path: message` pair, as refused bodies and config warnings list them. */
export const issueSchema = z.object({ path: z.string(), message: z.string() });

/** The one error envelope of every 4xx and 5xx answer. */
export const errorEnvelopeSchema = z.strictObject({
  error: z.strictObject({
    code: z.enum(Object.keys(STATUS_OF) as [keyof typeof STATUS_OF, ...Array<keyof typeof STATUS_OF>]),
    message: z.string(),
    requestId: z.string(),
    /** Field-level issues of a refused body: `{ issues: [{ path, message }] }`. */
    details: z.looseObject({ issues: z.array(issueSchema).optional() }).optional(),
  }),
});

/** Times are ISO 8601 in UTC, as `Date#toISOString` writes them. */
export const isoTime = z.iso.datetime();
/** A UTC day, `2026-01-31`. */
export const isoDay = z.iso.date();
export const count = z.number().int().min(0);
export const usd = z.number();

/** Path parameters named in routes, with what they hold. */
export const AGENT_ID_PARAM = { schema: agentIdSchema, description: "the agent's id" };

/** `from`/`to` of a time range: ISO 8601 or epoch milliseconds. */
export const timeQuery = (span: string) => ({
  from: { schema: z.string(), description: `start of the range, ISO 8601 or epoch ms (default: ${span})` },
  to: { schema: z.string(), description: "end of the range, ISO 8601 or epoch ms (default: now)" },
});

/** `limit` and `cursor` of a newest-first listing. */
export const pageQuery = {
  limit: { schema: z.number().int().min(1).max(200), description: "page size, 1 to 200 (default 50)" },
  cursor: { schema: z.string(), description: "the nextCursor of the previous page" },
};

/**
 * `/v1/agents/:agentId/x/:action{a|b}` → `/v1/agents/{agentId}/x/{action}`.
 *
 * @example
 * toOpenApiPath("/v1/keys/:id"); // "/v1/keys/{id}"
 */
export function toOpenApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
}

/** The names of a Hono path's parameters, in order. */
export function pathParams(honoPath: string): string[] {
  return [...honoPath.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
}
