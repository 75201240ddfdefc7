/**
 * The admin API as an OpenAPI 3.1 document, built from the route catalogue with zod's own JSON
 * Schema converter (OpenAPI 3.1 schemas are JSON Schema 2020-12). `GET /v1/openapi.json` serves
 * it and the dashboard's API reference page renders it.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../http/context";
import { AGENT_ROUTES } from "./agents";
import { ANALYTICS_ROUTES } from "./analytics";
import { CONVERSATION_ROUTES } from "./conversations";
import { AGENT_ID_PARAM, COMMON_ERRORS, errorEnvelopeSchema, pathParams, type RouteDoc, toOpenApiPath } from "./catalogue";
import { LEARNING_ROUTES } from "./learning";
import { TRUST_ROUTES } from "./trust";

/** Every admin route under `/v1`, described. A route the app registers and this lacks fails the tests. */
export const ADMIN_ROUTES: readonly RouteDoc[] = [...AGENT_ROUTES, ...TRUST_ROUTES, ...ANALYTICS_ROUTES, ...CONVERSATION_ROUTES, ...LEARNING_ROUTES];

export type JsonSchema = Record<string, unknown>;

/** Where the error envelope's schema lives in the document. */
export const ERROR_SCHEMA_REF = "#/components/schemas/Error";

/**
 * A zod schema as JSON Schema 2020-12. Requests are described as the route reads them (`input`:
 * defaults optional), answers as they leave (`output`: every plain object closed to other fields).
 */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as JsonSchema;
  return rest;
}

function operation(route: RouteDoc) {
  const names = pathParams(route.path);
  const parameters = [
    ...names.map((name) => {
      const param = name === "agentId" ? AGENT_ID_PARAM : route.params?.[name];
      if (!param) throw new Error(`${route.method.toUpperCase()} ${route.path}: path parameter ${name} is not described`);
      return { name, in: "path", required: true, description: param.description, schema: jsonSchemaOf(param.schema, "input") };
    }),
    ...Object.entries(route.query ?? {}).map(([name, q]) => ({ name, in: "query", required: false, description: q.description, schema: jsonSchemaOf(q.schema, "input") })),
  ];
  const errors: Record<number, string> = { ...COMMON_ERRORS, ...route.errors };
  // Every agent route parses its :agentId first.
  if (names.includes("agentId")) errors[400] = route.errors[400] ? `${route.errors[400]}; or the agent id is malformed` : "the agent id is malformed";
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    const content: Record<string, { schema: JsonSchema }> = {};
    if (r.schema) content["application/json"] = { schema: jsonSchemaOf(r.schema, "output") };
    Object.assign(content, r.other ?? {});
    responses[status] = { description: r.description, content };
  }
  for (const [status, description] of Object.entries(errors).sort(([a], [b]) => Number(a) - Number(b))) {
    responses[status] = { description, content: { "application/json": { schema: { $ref: ERROR_SCHEMA_REF } } } };
  }
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: !route.body.optional,
            ...(route.body.description ? { description: route.body.description } : {}),
            content: { "application/json": { schema: jsonSchemaOf(route.body.schema, "input") } },
          },
        }
      : {}),
    responses,
  };
}

/** `post /v1/agents/:agentId/trust` → `postAgentsByAgentIdTrust`: stable, unique, readable. */
export function operationId(route: Pick<RouteDoc, "method" | "path">): string {
  const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  const words = route.path
    .replace(/\{[^}]*\}/g, "")
    .split(/[/.-]/)
    .filter((w) => w && w !== "v1")
    .map((w) => (w.startsWith(":") ? `by${cap(w.slice(1))}` : w));
  return route.method + words.map(cap).join("");
}

/** Builds the document; see `openApiDocument` for the one the app serves. */
export function buildOpenApiDocument(routes: readonly RouteDoc[] = ADMIN_ROUTES) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    paths[path] ??= {};
    if (paths[path][route.method]) throw new Error(`${route.method.toUpperCase()} ${path} is described twice`);
    paths[path][route.method] = operation(route);
  }
  return {
    openapi: "3.1.0" as const,
    info: {
      title: "Foreman admin API",
      version: "1",
      description:
        "Agents, trust, approvals, budget, analytics, patterns, audit, reports, alerts, keys and dead letters. Every request carries an API key (or the ADMIN_TOKEN secret) as a bearer token; every error answers `{ error: { code, message, requestId } }`.",
    },
    servers: [{ url: "/" }],
    security: [{ bearerAuth: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "an API key from POST /v1/keys (fmk_…), or the ADMIN_TOKEN secret" },
      },
      schemas: { Error: jsonSchemaOf(errorEnvelopeSchema, "output") },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

let built: OpenApiDocument | undefined;

/** The admin API's document, built once per isolate: it depends on the code alone. */
export function openApiDocument(): OpenApiDocument {
  built ??= buildOpenApiDocument();
  return built;
}

/** `GET /v1/openapi.json`: the document; any valid key may read it. */
export const openApiRoutes = new Hono<AppEnv>().get("/openapi.json", (c) => c.json(openApiDocument()));
