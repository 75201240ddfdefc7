import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { EncryptionError, loadKeyring } from "../privacy/encryption";
import {
  type AgentConfig,
  type ConfigIssue,
  ROOT_PATH,
  agentConfigSchema,
  allowsPrivateUrls,
  configErrorMap,
  credentialIssues,
  formatIssues,
  hideCredentials,
  parseAgentConfig,
  toConfigIssues,
} from "../config";
import { loadPriceTable } from "../cost/prices";
import { AppError } from "../core/errors";
import { canonicalJson } from "../core/json";
import * as schema from "../db/schema";
import { parseJson, readBodyLimited } from "../http/body";
import type { AppEnv } from "../http/context";
import { forgetAgent, rememberAgent } from "../state/agent-directory";
import { agentDb, locateAgent, shards } from "../db/shards";
import { agentObject } from "../state/objects";
import { adminActor, parseAgentId, requireAgent, requirePrincipal } from "./common";
import { runIssues, runWarnings } from "./config-checks";
import { retentionShortfall } from "./retention-floor";
import { type AgentRecord, applySecretsPatch, secretNames } from "../core/agent";

/** Used when neither the body nor the config gives a system prompt. */
export const DEFAULT_SYSTEM_PROMPT =
  "You are a helpful, concise customer-support assistant for a small business. Answer politely and accurately; say so when you do not know.";

/** The largest admin request body, and the most config the dashboard's agent form carries. */
export const MAX_ADMIN_BODY_BYTES = 256 * 1024;

const secretName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, "secret names are letters, digits and '_'");
const secretValue = z.string().min(1, "must not be empty").max(4096, "must be at most 4096 characters");

/** The body of `PUT /v1/agents/:agentId`. */
export const putBodySchema = z.strictObject({
  config: z.unknown().refine((v) => v !== undefined, "is required"),
  systemPrompt: z.string().max(100_000, "must be at most 100000 characters").optional(),
  model: z.string().min(1).max(100).optional(),
  secrets: z.record(secretName, z.union([secretValue, z.record(secretName, secretValue), z.null()])).optional(),
});

/** Top-level config fields that the PUT body itself does not have: a body with one of them is a bare config. */
const CONFIG_ONLY_KEYS = Object.keys(agentConfigSchema.shape).filter((key) => !Object.hasOwn(putBodySchema.shape, key));

/**
 * The PUT body, with the config's wording for unknown fields, and a bare config (the most
 * common first mistake) told how to wrap itself.
 */
export function parsePutBody(json: unknown): z.output<typeof putBodySchema> {
  const isObject = typeof json === "object" && json !== null && !Array.isArray(json);
  if (isObject && !("config" in json) && CONFIG_ONLY_KEYS.some((key) => key in json)) {
    const message = 'looks like a bare agent config: wrap the config as { "config": { … } }, with systemPrompt, model and secrets beside it';
    throw new AppError("invalid_request", `${ROOT_PATH}: ${message}`, { details: { issues: [{ path: ROOT_PATH, message }] } });
  }
  const parsed = putBodySchema.safeParse(json, { error: configErrorMap });
  if (parsed.success) return parsed.data;
  const issues = toConfigIssues(parsed.error.issues, [], putBodySchema);
  throw new AppError("invalid_request", formatIssues(issues), { details: { issues } });
}

const invalidConfig = (issues: ConfigIssue[]) => new AppError("invalid_config", formatIssues(issues), { details: { issues } });

function agentView(record: AgentRecord, trustLevel: number, secrets: string[], managedBy: "api" | "code") {
  return {
    agentId: record.agentId,
    version: record.version,
    managedBy,
    // Credentials live in secrets; a config stored before that may still hold some inline.
    config: hideCredentials(record.config),
    systemPrompt: record.systemPrompt,
    model: record.model,
    trustLevel,
    secrets,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
  };
}

/**
 * `audit.compliance.encryption` needs keys to seal with: refused at configuration time (400)
 * rather than failing, or keeping text in the clear, when the first message comes.
 */
export async function requireEncryptionKeys(config: AgentConfig, secret: string | undefined): Promise<void> {
  if (!config.audit.compliance.encryption) return;
  const issue = (message: string) =>
    new AppError("invalid_config", `audit.compliance.encryption: ${message}`, {
      details: { issues: [{ path: "audit.compliance.encryption", message }] },
    });
  try {
    if (!(await loadKeyring(secret))) throw issue("needs the ENCRYPTION_KEYS secret (see docs/audit.md)");
  } catch (err) {
    if (err instanceof EncryptionError) throw issue(err.message);
    throw err;
  }
}

/** Deletes every object under `workspaces/<agentId>/` (tool files) and `attachments/<agentId>/` (customers' files); how many. */
async function deleteWorkspace(bucket: R2Bucket, agentId: string): Promise<number> {
  let deleted = 0;
  for (const prefix of [`workspaces/${agentId}/`, `attachments/${agentId}/`]) {
    for (;;) {
      // Listing again from the start after each delete: the deleted keys are gone, so no cursor is needed.
      const listed = await bucket.list({ prefix, limit: 1000 });
      if (listed.objects.length === 0) break;
      await bucket.delete(listed.objects.map((o) => o.key));
      deleted += listed.objects.length;
    }
  }
  return deleted;
}

/** A PUT body that has passed `parsePutBody`: the config (not yet checked) and what it runs with. */
export type AgentPutBody = z.output<typeof putBodySchema>;

/** The version a caller edited (`null`: it creates an agent and must not replace one). */
export interface SaveExpectation {
  version: number | null;
}

/** Refuses a save that would not do what its caller saw: replace an agent on create, or an edit made to an older version. */
function checkExpectation(agentId: string, current: number | null, expected: SaveExpectation): void {
  if (expected.version === null && current !== null) {
    const message = `agent "${agentId}" already exists: edit it, or choose another id`;
    throw new AppError("conflict", message, { details: { issues: [{ path: "id", message }] } });
  }
  if (expected.version !== null && current === null) throw new AppError("not_found", `unknown agent "${agentId}"`);
  if (expected.version !== null && current !== expected.version) {
    throw new AppError("conflict", `agent "${agentId}" changed while this form was open (version ${current} now, the form edited version ${expected.version}): reload it and make the change again`);
  }
}

/** Who saves an agent: an admin key (`admin:<key id>` and its role), or the worker's code (`code`). */
export interface SaveBy {
  actor: string;
  role: "admin" | "operator" | "viewer";
  now: number;
}

/** Where an agent's config comes from; a code-managed agent carries the hash of what the code declared. */
export type AgentSource = { managedBy: "api" } | { managedBy: "code"; hash: string };

/**
 * Creates or replaces an agent: what `PUT /v1/agents/:agentId` does after reading its body, and
 * what the dashboard's agent form does. Validates the config and what it will run with before
 * anything is written, then configures the agent's object (which versions and audits it,
 * `agent.created`/`agent.updated`, with the key's id), its D1 row and the directory entry.
 * `expected` (the dashboard's forms) refuses to replace an agent on create, or an edit made to a
 * version that has changed since. An agent declared in code is changed by deploying the code:
 * the admin API and the dashboard are refused (409), unless they change its secrets alone.
 *
 * @example
 * const { agent, warnings, created } = await saveAgent(c, "shop", parsePutBody(json));
 */
export async function saveAgent(c: Context<AppEnv>, agentId: string, body: AgentPutBody, expected?: SaveExpectation) {
  const by: SaveBy = { actor: adminActor(c), role: requirePrincipal(c).role, now: c.var.clock.now() };
  return storeAgent(c.env, by, agentId, body, { managedBy: "api" }, expected);
}

/**
 * `saveAgent` without a request: the same checks and writes, for any caller with the bindings
 * (the admin API, and the reconciliation of agents declared in code, `src/lib/reconcile.ts`).
 */
export async function storeAgent(env: Env, by: SaveBy, agentId: string, body: AgentPutBody, source: AgentSource, expected?: SaveExpectation) {
  const policy = { allowPrivateUrls: allowsPrivateUrls(env.ALLOW_PRIVATE_URLS) };
  const parsed = parseAgentConfig(body.config, policy);
  if (!parsed.ok) throw invalidConfig(parsed.issues);
  const config = parsed.config;
  await requireEncryptionKeys(config, env.ENCRYPTION_KEYS);
  // The agent's shard: where its rows are, or for a new agent where it is placed.
  const located = await locateAgent(env, agentId);
  const shard = located ?? shards(env).place(agentId);
  const db = drizzle(shard.db, { schema });
  const row = await db.select({ managedBy: schema.agents.managedBy, codeHash: schema.agents.codeHash }).from(schema.agents).where(eq(schema.agents.id, agentId)).get();
  // Who manages the agent after this save: the caller, except that a secrets-only PUT on a
  // code-managed agent leaves it code-managed.
  let managedAfter = source;

  const stub = agentObject(env, agentId);
  // A Durable Object exists from its first call: a new agent's is not reached until the body
  // has passed every check, so a refused PUT leaves nothing behind.
  const before = located ? await stub.snapshot() : null;
  if (expected) checkExpectation(agentId, before?.record.version ?? null, expected);
  const shortfall = retentionShortfall(before?.record.config, config);
  if (shortfall && by.role !== "admin") {
    throw new AppError(
      "forbidden",
      `audit.retention.duration: "${shortfall.to}" is shorter than the ${shortfall.required} that ${shortfall.standards.join(", ")} requires, and would erase audit events: it needs an admin key`,
    );
  }
  // What the agent will run with is checked before anything is written: the secrets the config
  // names must exist once this PUT is applied, and the budget must pay for one model call.
  const secretsAfter = applySecretsPatch(before?.secrets ?? {}, body.secrets);
  const systemPrompt = body.systemPrompt ?? config.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
  const model = body.model ?? config.model;
  if (source.managedBy === "api" && row?.managedBy === "code") {
    // The code is the agent's definition: through the API only its secrets may change, by a PUT
    // that carries the definition as it is. The agent stays code-managed.
    if (!before || !sameDefinition(before.record, { config, systemPrompt, model })) {
      throw new AppError(
        "conflict",
        `agent "${agentId}" is defined in the worker's code (createForeman({ agents })): change it there and deploy. Its secrets can be set here with its config, systemPrompt and model unchanged; once it is removed from the code, DELETE /v1/agents/${agentId} removes it`,
      );
    }
    managedAfter = { managedBy: "code", hash: row.codeHash ?? "" };
  }
  const facts = { model, systemPrompt, prices: loadPriceTable(env.MODEL_PRICES), secrets: secretsAfter };
  const problems = [...credentialIssues(config, secretsAfter, policy), ...runIssues(config, facts)];
  if (problems.length > 0) throw invalidConfig(problems);
  const { record, created, unchanged } = await stub.configure({
    agentId,
    config,
    systemPrompt,
    model,
    secrets: body.secrets,
    now: by.now,
    actor: by.actor,
    ...(source.managedBy === "code" ? { codeHash: source.hash } : {}),
  });
  const managed = { managedBy: managedAfter.managedBy, codeHash: managedAfter.managedBy === "code" ? managedAfter.hash : null };
  // The object is the source of truth; the index row follows and never moves backwards.
  await db
    .insert(schema.agents)
    .values({
      id: agentId,
      version: record.version,
      name: config.name ?? null,
      model: record.model,
      config,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      ...managed,
    })
    .onConflictDoUpdate({
      target: schema.agents.id,
      set: {
        version: record.version,
        name: config.name ?? null,
        model: record.model,
        config,
        updatedAt: record.updatedAt,
        ...managed,
      },
      // Equal versions: a code-managed agent another isolate applied first, whose row may lag.
      setWhere: sql`excluded.version >= ${schema.agents.version}`,
    });
  // Webhooks look agents up here before reaching their object.
  await rememberAgent(env, agentId, shard);
  if (shortfall && !unchanged) {
    await stub.recordEvents([
      {
        level: "minimal",
        event: { at: by.now, actor: by.actor, action: "audit.retention_shortened", resource: agentId, decision: "changed", details: { ...shortfall } },
      },
    ]);
  }
  const snapshot = await stub.snapshot();
  return {
    agent: agentView(record, snapshot?.trustLevel ?? config.trust.initial, secretNames(snapshot?.secrets ?? {}), managedAfter.managedBy),
    warnings: runWarnings(config, facts),
    created,
    unchanged: unchanged === true,
  };
}

/**
 * Deletes an agent: what `DELETE /v1/agents/:agentId` does, and the dashboard's delete form. 404
 * for an unknown agent, 409 under a legal hold; what it removes and keeps is in docs/access.md.
 *
 * @example
 * await deleteAgent(c.env, "shop", { actor: adminActor(c), now: c.var.clock.now() });
 * // { agentId: "shop", deleted: true, workspaceFiles: 3 }
 */
export async function deleteAgent(env: Env, agentId: string, by: { actor: string; now: number }) {
  const stub = agentObject(env, agentId);
  const shardDb = await agentDb(env, agentId);
  const db = drizzle(shardDb, { schema });
  // An index row without an object is a deletion cut short: a repeated DELETE finishes it.
  const [snapshot, indexed] = await Promise.all([stub.snapshot(), db.select({ id: schema.agents.id }).from(schema.agents).where(eq(schema.agents.id, agentId)).get()]);
  if (!snapshot && !indexed) throw new AppError("not_found", `unknown agent "${agentId}"`);
  const hold = await shardDb.prepare("SELECT reason FROM legal_holds WHERE agent_id = ?").bind(agentId).first<{ reason: string }>();
  if (hold) throw new AppError("conflict", `agent "${agentId}" is under legal hold ("${hold.reason}"): lift the hold before deleting it`);
  // The object first: once it forgets the agent no message is answered, and its audit event is written.
  if (snapshot) await stub.destroy(by);
  await db.delete(schema.agents).where(eq(schema.agents.id, agentId));
  // Webhooks look agents up in the directory: it forgets the agent with its row.
  await forgetAgent(env, agentId);
  const workspaceFiles = await deleteWorkspace(env.WORKSPACE, agentId);
  return { agentId, deleted: true, workspaceFiles };
}

/**
 * `PUT/GET/DELETE /v1/agents/:agentId` and `GET /v1/agents`. Mounted behind admin auth.
 * Creating and deleting an agent are audited (`agent.created`, `agent.deleted`); what a deletion
 * removes and keeps is in docs/access.md.
 */
export const agentRoutes = new Hono<AppEnv>()
  .put("/agents/:agentId", async (c) => {
    const agentId = parseAgentId(c.req.param("agentId"));
    const body = parsePutBody(parseJson(await readBodyLimited(c.req.raw, MAX_ADMIN_BODY_BYTES)));
    const { agent, warnings, created } = await saveAgent(c, agentId, body);
    return c.json({ ...agent, warnings }, created ? 201 : 200);
  })
  .delete("/agents/:agentId", async (c) => {
    const agentId = parseAgentId(c.req.param("agentId"));
    return c.json(await deleteAgent(c.env, agentId, { actor: adminActor(c), now: c.var.clock.now() }));
  })
  .get("/agents/:agentId", async (c) => {
    const { agentId, snapshot } = await requireAgent(c);
    return c.json(agentView(snapshot.record, snapshot.trustLevel, secretNames(snapshot.secrets), await managedBy(await agentDb(c.env, agentId), agentId)));
  })
  .get("/agents", async (c) => {
    const limit = z.coerce.number().int().min(1).max(200).catch(50).parse(c.req.query("limit") ?? 50);
    const cursor = c.req.query("cursor");
    return c.json(await listAgents(shards(c.env).all.map((x) => x.db), requirePrincipal(c).agents, { cursor, limit }));
  });

/** Whether a save would leave what the agent is (config, prompt, model) as it is. */
function sameDefinition(record: AgentRecord, next: { config: AgentConfig; systemPrompt: string; model: string }): boolean {
  return record.systemPrompt === next.systemPrompt && record.model === next.model && canonicalJson(record.config) === canonicalJson(next.config);
}

/** Who changes an agent: its code (`createForeman({ agents })`) or the admin API. */
export async function managedBy(db: D1Database, agentId: string): Promise<"api" | "code"> {
  const row = await drizzle(db, { schema }).select({ managedBy: schema.agents.managedBy }).from(schema.agents).where(eq(schema.agents.id, agentId)).get();
  return row?.managedBy ?? "api";
}

/**
 * A page of the agents a key may see (all, or its `agents`), by id: what `GET /v1/agents` answers
 * and the dashboard's agent list shows. Every shard gives its next `limit + 1` agents after the
 * cursor and the page is the first `limit` of them by id, so the listing is one order over all
 * shards and a page costs one bounded read per shard.
 */
export async function listAgents(dbs: readonly D1Database[], scope: string[] | null, page: { cursor?: string | undefined; limit: number }) {
  const { cursor, limit } = page;
  const perShard = await Promise.all(
    dbs.map((db) =>
      drizzle(db, { schema })
        .select({
          agentId: schema.agents.id,
          version: schema.agents.version,
          name: schema.agents.name,
          model: schema.agents.model,
          managedBy: schema.agents.managedBy,
          updatedAt: schema.agents.updatedAt,
        })
        .from(schema.agents)
        // A key limited to agents lists only those.
        .where(and(cursor ? gt(schema.agents.id, cursor) : undefined, scope ? inArray(schema.agents.id, scope) : undefined))
        .orderBy(asc(schema.agents.id))
        .limit(limit + 1),
    ),
  );
  // Ids compare as SQLite's BINARY collation does (by code unit, as agent ids are ASCII).
  const rows = perShard.flat().sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  const shown = rows.slice(0, limit);
  return {
    agents: shown.map((r) => ({ ...r, updatedAt: new Date(r.updatedAt).toISOString() })),
    nextCursor: rows.length > limit ? (shown.at(-1)?.agentId ?? null) : null,
  };
}
