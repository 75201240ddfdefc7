import { desc, eq, isNull, and } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { z } from "zod";
import { sha256Hex } from "../core/crypto";
import { AppError } from "../core/errors";
import * as schema from "../db/schema";
import { parseBody, parseJson, readBodyLimited } from "../http/body";
import type { AppEnv } from "../http/context";
import { type Principal, ROLES, type Role, scopeProblem } from "./access";
import { adminActor, agentIdSchema } from "./common";
import { shards } from "../db/shards";

/** Every key starts so, which makes a leaked key easy to recognise (secret scanners, logs). */
export const KEY_PREFIX = "fmk_";
const KEY_RE = /^fmk_[A-Za-z0-9_-]{43}$/;

/** A new key: the prefix and 32 random bytes (256 bits) in base64url. */
export function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return KEY_PREFIX + base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function newKeyId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `key_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * The principal a presented key stands for, or null when it is no live key. The lookup is by the
 * SHA-256 of the key, so no comparison runs over key material; nothing is cached, so a revoked
 * key fails on the next request.
 */
export async function findKey(db: D1Database, presented: string): Promise<Principal | null> {
  if (!KEY_RE.test(presented)) return null;
  const hash = await sha256Hex(presented);
  const row = await drizzle(db, { schema })
    .select({ id: schema.apiKeys.id, role: schema.apiKeys.role, agents: schema.apiKeys.agents })
    .from(schema.apiKeys)
    .where(and(eq(schema.apiKeys.hash, hash), isNull(schema.apiKeys.revokedAt)))
    .get();
  if (!row || !(ROLES as readonly string[]).includes(row.role)) return null;
  return { keyId: row.id, role: row.role as Role, agents: row.agents ?? null };
}

/** The body of `POST /v1/keys`. */
export const createSchema = z.strictObject({
  role: z.enum(ROLES, { error: 'must be "admin", "operator" or "viewer"' }),
  agents: z.array(agentIdSchema).min(1, "must name at least one agent").max(100, "must name at most 100 agents").optional(),
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters").optional(),
});

type KeyRow = typeof schema.apiKeys.$inferSelect;

/** A key as listed: never its hash, never the key. */
const keyView = (row: KeyRow) => ({
  id: row.id,
  role: row.role,
  agents: row.agents ?? null,
  name: row.name ?? null,
  createdAt: new Date(row.createdAt).toISOString(),
  createdBy: row.createdBy,
  revokedAt: row.revokedAt === null ? null : new Date(row.revokedAt).toISOString(),
  revokedBy: row.revokedBy ?? null,
});

/** The `:id` of `DELETE /v1/keys/:id`. */
export const keyIdSchema = z.string().regex(/^key_[0-9a-f]{24}$/, "key ids look like key_ and 24 hex digits");

/**
 * `POST/GET /v1/keys` and `DELETE /v1/keys/:id`: admin API keys. Reached by admin keys only
 * (see `denial`). The key is in the POST's answer and nowhere else; D1 keeps its SHA-256.
 */
export const keyRoutes = new Hono<AppEnv>()
  .post("/keys", async (c) => {
    const body = parseBody(createSchema, parseJson(await readBodyLimited(c.req.raw, 16 * 1024)));
    const problem = scopeProblem(body.role, body.agents);
    if (problem) throw new AppError("invalid_request", problem, { details: { issues: [{ path: "agents", message: problem.slice("agents: ".length) }] } });
    const key = newKey();
    const row: KeyRow = {
      id: newKeyId(),
      hash: await sha256Hex(key),
      role: body.role,
      agents: body.agents ? [...new Set(body.agents)].sort() : null,
      name: body.name ?? null,
      createdAt: c.var.clock.now(),
      createdBy: adminActor(c),
      revokedAt: null,
      revokedBy: null,
    };
    await drizzle(shards(c.env).primary, { schema }).insert(schema.apiKeys).values(row);
    c.var.services.logger.info("api_key_created", { keyId: row.id, role: row.role, by: row.createdBy });
    return c.json({ ...keyView(row), key }, 201);
  })
  .get("/keys", async (c) => {
    const rows = await drizzle(shards(c.env).primary, { schema }).select().from(schema.apiKeys).orderBy(desc(schema.apiKeys.createdAt)).limit(1000);
    return c.json({ keys: rows.map(keyView) });
  })
  .delete("/keys/:id", async (c) => {
    const parsed = keyIdSchema.safeParse(c.req.param("id"));
    if (!parsed.success) throw new AppError("invalid_request", `id: ${parsed.error.issues[0]?.message ?? "invalid key id"}`);
    const db = drizzle(shards(c.env).primary, { schema });
    const actor = adminActor(c);
    const now = c.var.clock.now();
    const revoked = await db
      .update(schema.apiKeys)
      .set({ revokedAt: now, revokedBy: actor })
      .where(and(eq(schema.apiKeys.id, parsed.data), isNull(schema.apiKeys.revokedAt)))
      .returning()
      .get();
    const row = revoked ?? (await db.select().from(schema.apiKeys).where(eq(schema.apiKeys.id, parsed.data)).get());
    if (!row) throw new AppError("not_found", `unknown key "${parsed.data}"`);
    if (revoked) c.var.services.logger.info("api_key_revoked", { keyId: row.id, by: actor });
    return c.json(keyView(row));
  });
