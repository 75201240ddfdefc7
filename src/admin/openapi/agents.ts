/** Catalogue: agents, legal holds, API keys, and the document itself. */
import { z } from "zod";
import { ROLES } from "../access";
import { putBodySchema } from "../agents";
import { createSchema, keyIdSchema } from "../keys";
import { holdSchema } from "../legal-hold";
import { moveSchema } from "../move";
import { AGENT_TABLES } from "../../db/move";
import { count, isoTime, issueSchema, type RouteDoc } from "./catalogue";

/** An agent as `GET /v1/agents/:agentId` shows it: its config with credentials hidden, secret names only. */
export const agentViewSchema = z.object({
  agentId: z.string(),
  version: z.number().int().min(1),
  /** `code`: declared in the worker's code and changed by deploying it; `api`: changed through this API. */
  managedBy: z.enum(["api", "code"]),
  config: z.record(z.string(), z.unknown()),
  systemPrompt: z.string(),
  model: z.string(),
  trustLevel: z.number().min(0).max(1),
  secrets: z.array(z.string()),
  createdAt: isoTime,
  updatedAt: isoTime,
});

export const putAgentResponseSchema = agentViewSchema.extend({
  /** Config that is accepted but will not work as written (a channel without its secrets). */
  warnings: z.array(issueSchema),
});

export const agentListSchema = z.object({
  agents: z.array(z.object({ agentId: z.string(), version: z.number().int(), name: z.string().nullable(), model: z.string(), managedBy: z.enum(["api", "code"]), updatedAt: isoTime })),
  nextCursor: z.string().nullable(),
});

export const agentDeletedSchema = z.object({ agentId: z.string(), deleted: z.literal(true), workspaceFiles: count });

const heldSchema = z.object({ agentId: z.string(), held: z.literal(true), reason: z.string(), by: z.string(), since: isoTime });
const notHeldSchema = z.object({ agentId: z.string(), held: z.literal(false) });
export const legalHoldSchema = z.union([heldSchema, notHeldSchema]);

/** A key as listed: never its hash, never the key. */
export const keyViewSchema = z.object({
  id: keyIdSchema,
  role: z.enum(ROLES),
  agents: z.array(z.string()).nullable(),
  name: z.string().nullable(),
  createdAt: isoTime,
  createdBy: z.string(),
  revokedAt: isoTime.nullable(),
  revokedBy: z.string().nullable(),
});

/** The answer of `POST /v1/keys`: the only place the key itself ever appears. */
export const createdKeySchema = keyViewSchema.extend({ key: z.string().regex(/^fmk_[A-Za-z0-9_-]{43}$/) });

/** The answer of `POST /v1/agents/:agentId/move`: rows written to the target per table. */
export const moveReportSchema = z.strictObject({
  agentId: z.string(),
  from: z.string(),
  to: z.string(),
  /** The agent was already in `to`: only rows left behind in other shards were carried over. */
  alreadyThere: z.boolean(),
  /** False when the request reached its budget of D1 calls: call again to go on. */
  complete: z.boolean(),
  moved: z.strictObject(Object.fromEntries(AGENT_TABLES.map((t) => [t.name, count])) as Record<(typeof AGENT_TABLES)[number]["name"], typeof count>),
});

export const openApiDocumentSchema = z.looseObject({
  openapi: z.literal("3.1.0"),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

export const AGENT_ROUTES: RouteDoc[] = [
  {
    method: "get",
    path: "/v1/agents",
    tag: "agents",
    summary: "List the agents the key may reach, by id",
    query: {
      limit: { schema: z.number().int().min(1).max(200), description: "page size, 1 to 200 (default 50)" },
      cursor: { schema: z.string(), description: "the nextCursor of the previous page" },
    },
    responses: { 200: { description: "a page of agents", schema: agentListSchema } },
    errors: {},
  },
  {
    method: "put",
    path: "/v1/agents/:agentId",
    tag: "agents",
    summary: "Create or replace an agent",
    description: "The body wraps the config, with systemPrompt, model and secrets beside it. secrets is a patch: a name set to null is removed, names left out are kept.",
    body: { schema: putBodySchema },
    responses: {
      200: { description: "the agent, replaced", schema: putAgentResponseSchema },
      201: { description: "the agent, created", schema: putAgentResponseSchema },
    },
    errors: { 400: "the body or the config is invalid (issues name each field)", 409: "the agent is defined in the worker's code: change it there", 413: "the body is larger than 256 KiB" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId",
    tag: "agents",
    summary: "One agent",
    responses: { 200: { description: "the agent", schema: agentViewSchema } },
    errors: { 404: "no such agent" },
  },
  {
    method: "delete",
    path: "/v1/agents/:agentId",
    tag: "agents",
    summary: "Delete an agent and its workspace files (its audit trail is kept)",
    responses: { 200: { description: "the agent is gone", schema: agentDeletedSchema } },
    errors: { 404: "no such agent", 409: "the agent is under legal hold" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/legal-hold",
    tag: "audit",
    summary: "Whether the agent's audit trail is under legal hold",
    responses: { 200: { description: "the hold, or held: false", schema: legalHoldSchema } },
    errors: { 404: "no such agent" },
  },
  {
    method: "put",
    path: "/v1/agents/:agentId/legal-hold",
    tag: "audit",
    summary: "Place (or re-place) a legal hold: retention deletes nothing while it holds",
    body: { schema: holdSchema },
    responses: { 200: { description: "the hold", schema: heldSchema } },
    errors: { 400: "the body is invalid", 404: "no such agent", 413: "the body is larger than 4 KiB" },
  },
  {
    method: "delete",
    path: "/v1/agents/:agentId/legal-hold",
    tag: "audit",
    summary: "Lift a legal hold (admin keys only)",
    responses: { 200: { description: "no hold any more", schema: notHeldSchema } },
    errors: { 404: "no such agent" },
  },
  {
    method: "post",
    path: "/v1/agents/:agentId/move",
    tag: "agents",
    summary: "Move the agent's rows to another D1 shard (admin keys only)",
    description:
      "Copies every row of the agent to the named shard, points the agent directory at it, then deletes the rows from the old shard. Safe to repeat: a run after a stopped one finishes it, and a run a minute after a finished one carries over rows that workers still reading the old directory entry wrote to the old shard (moved then counts them; 0 when there were none). A legal hold does not block a move. Naming the shard the agent is in answers alreadyThere: true. An agent too large for one request answers complete: false: call again, and the move goes on where it stopped.",
    body: { schema: moveSchema },
    responses: { 200: { description: "rows written to the target shard, per table", schema: moveReportSchema } },
    errors: { 400: "the body is invalid, or shard is not listed in D1_SHARDS (the message lists the shards)", 404: "no such agent", 413: "the body is larger than 4 KiB" },
  },
  {
    method: "post",
    path: "/v1/keys",
    tag: "keys",
    summary: "Create an API key (admin keys only); the answer is the only place the key appears",
    body: { schema: createSchema },
    responses: { 201: { description: "the key and its record", schema: createdKeySchema } },
    errors: { 400: "the body is invalid, or the role and agents do not fit", 413: "the body is larger than 16 KiB" },
  },
  {
    method: "get",
    path: "/v1/keys",
    tag: "keys",
    summary: "List API keys, newest first (admin keys only)",
    responses: { 200: { description: "the keys, without their secrets", schema: z.object({ keys: z.array(keyViewSchema) }) } },
    errors: {},
  },
  {
    method: "delete",
    path: "/v1/keys/:id",
    tag: "keys",
    summary: "Revoke an API key (admin keys only); revoking twice answers the same",
    params: { id: { schema: keyIdSchema, description: "the key's id, key_ and 24 hex digits" } },
    responses: { 200: { description: "the key, revoked", schema: keyViewSchema } },
    errors: { 400: "the key id is malformed", 404: "no such key" },
  },
  {
    method: "get",
    path: "/v1/openapi.json",
    tag: "meta",
    summary: "This document: the admin API as OpenAPI 3.1 (any valid key)",
    responses: { 200: { description: "the OpenAPI document", schema: openApiDocumentSchema } },
    errors: {},
  },
];
