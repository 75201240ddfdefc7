import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../core/errors";
import { parseBody, parseJson, readBodyLimited } from "../http/body";
import type { AppEnv } from "../http/context";
import { PATTERN_STATUSES, type PatternAction, transition } from "../learn/lifecycle";
import { learningAnalytics } from "../learn/analytics";
import { exportPack, importPack, packSchema } from "../learn/packs";
import { getPattern, listPatterns, runDetection } from "../learn/run";
import { patternStore } from "../pipeline/services";
import type { AgentSnapshot } from "../core/agent";
import { adminActor, DEFAULT_ANALYTICS_SPAN_MS, requireAgent, timeRange } from "./common";
import { agentDb } from "../db/shards";

/** The `status` filter of the patterns listing. */
export const statusSchema = z.enum(PATTERN_STATUSES, { error: `status must be one of ${PATTERN_STATUSES.join(", ")}` }).optional();
/** A pack of 500 patterns of 4,000 characters each fits. */
export const MAX_PACK_BYTES = 4 * 1024 * 1024;
/** The body (optional) of `POST …/patterns/:patternId/approve|reject|rollback`. */
export const decisionSchema = z.strictObject({ note: z.string().max(1000, "must be at most 1000 characters").optional() });

/** The learning analytics of `[from, to]` as `GET …/learning/analytics` answers them (the dashboard shows the same). */
export async function learningAnalyticsReport(db: D1Database, agentId: string, from: number, to: number) {
  return { agentId, from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...(await learningAnalytics(db, agentId, from, to)) };
}

/** Validates a pack's JSON text and adds its patterns as `imported` (`POST …/patterns/import`, and the dashboard's upload). */
export async function importPackText(env: Env, agentId: string, text: string, actor: string, now: number) {
  const pack = parseBody(packSchema, parseJson(text));
  return { agentId, ...(await importPack(await patternStore(env, agentId), agentId, pack, actor, now)) };
}

/**
 * A person's decision on a pattern (`POST …/patterns/:id/approve|reject|rollback`, and the
 * dashboard's forms): audited with the actor and note; 409 from a status it does not apply to.
 */
export async function decidePattern(
  env: Env,
  snapshot: AgentSnapshot,
  decision: { agentId: string; patternId: string; action: PatternAction; actor: string; note: string | null; now: number },
) {
  const { from, to } = await transition(await patternStore(env, decision.agentId), { ...decision, strategy: snapshot.record.config.learning.deployment.strategy });
  return { ...(await getPattern(await agentDb(env, decision.agentId), decision.agentId, decision.patternId)), previousStatus: from, status: to };
}

/**
 * Pattern learning through the admin API:
 *  - `POST /v1/agents/:agentId/learn/run`: a detection run now (the cron runs the same code);
 *    409 while the agent's `learning.enabled` is off. Audited as `learning.detected`.
 *  - `GET /v1/agents/:agentId/patterns[?status=]`: the agent's patterns, largest first.
 *  - `GET /v1/agents/:agentId/patterns/:patternId`: one of them; 404 for another agent's.
 *  - `POST /v1/agents/:agentId/patterns/:patternId/approve|reject|rollback` (body `{ "note"?: … }`
 *    or none): a person's decision, audited with the note; 409 from a status it does not apply to.
 *  - `GET /v1/agents/:agentId/learning/analytics?from=&to=`: per pattern what it served, agreed
 *    and saved, and the share of messages each tier answered per day (default the last 30 days).
 *  - `GET /v1/agents/:agentId/patterns/export`: the active patterns as a pack (no request text);
 *    `POST /v1/agents/:agentId/patterns/import` with a pack: added as `imported`, to be validated
 *    on this agent's own traffic before anyone approves them.
 */
export const patternRoutes = new Hono<AppEnv>()
  .post("/agents/:agentId/learn/run", async (c) => {
    const { agentId, snapshot } = await requireAgent(c);
    const { config } = snapshot.record;
    if (!config.learning.enabled) throw new AppError("conflict", "learning.enabled is off for this agent: set it to true in the agent's config to learn patterns");
    const report = await runDetection(await patternStore(c.env, agentId), agentId, config, c.var.clock.now(), adminActor(c));
    return c.json(report);
  })
  .get("/agents/:agentId/patterns", async (c) => {
    const { agentId } = await requireAgent(c);
    const parsed = statusSchema.safeParse(c.req.query("status"));
    if (!parsed.success) throw new AppError("invalid_request", parsed.error.issues[0]?.message ?? "bad status");
    return c.json({ agentId, patterns: await listPatterns(await agentDb(c.env, agentId), agentId, parsed.data) });
  })
  .get("/agents/:agentId/learning/analytics", async (c) => {
    const { agentId } = await requireAgent(c);
    const { from, to } = timeRange(c, DEFAULT_ANALYTICS_SPAN_MS);
    return c.json(await learningAnalyticsReport(await agentDb(c.env, agentId), agentId, from, to));
  })
  .get("/agents/:agentId/patterns/export", async (c) => {
    const { agentId } = await requireAgent(c);
    return c.json(await exportPack(await agentDb(c.env, agentId), agentId, c.var.clock.now()));
  })
  .post("/agents/:agentId/patterns/import", async (c) => {
    const { agentId } = await requireAgent(c);
    return c.json(await importPackText(c.env, agentId, await readBodyLimited(c.req.raw, MAX_PACK_BYTES), adminActor(c), c.var.clock.now()));
  })
  .get("/agents/:agentId/patterns/:patternId", async (c) => {
    const { agentId } = await requireAgent(c);
    const pattern = await getPattern(await agentDb(c.env, agentId), agentId, c.req.param("patternId"));
    if (!pattern) throw new AppError("not_found", `agent "${agentId}" has no pattern "${c.req.param("patternId")}"`);
    return c.json(pattern);
  })
  .post("/agents/:agentId/patterns/:patternId/:action{approve|reject|rollback}", async (c) => {
    const { agentId, snapshot } = await requireAgent(c);
    const raw = await readBodyLimited(c.req.raw, 8 * 1024);
    const body = raw.trim() === "" ? {} : parseBody(decisionSchema, parseJson(raw));
    return c.json(
      await decidePattern(c.env, snapshot, {
        agentId,
        patternId: c.req.param("patternId"),
        action: c.req.param("action") as PatternAction,
        actor: adminActor(c),
        note: body.note ?? null,
        now: c.var.clock.now(),
      }),
    );
  });
