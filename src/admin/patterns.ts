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
import { adminActor, DEFAULT_ANALYTICS_SPAN_MS, requireAgent, timeRange } from "./common";

const statusSchema = z.enum(PATTERN_STATUSES, { error: `status must be one of ${PATTERN_STATUSES.join(", ")}` }).optional();
/** A pack of 500 patterns of 4,000 characters each fits. */
const MAX_PACK_BYTES = 4 * 1024 * 1024;
const decisionSchema = z.strictObject({ note: z.string().max(1000, "must be at most 1000 characters").optional() });

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
    const report = await runDetection(patternStore(c.env, agentId), agentId, config, c.var.clock.now(), adminActor(c));
    return c.json(report);
  })
  .get("/agents/:agentId/patterns", async (c) => {
    const { agentId } = await requireAgent(c);
    const parsed = statusSchema.safeParse(c.req.query("status"));
    if (!parsed.success) throw new AppError("invalid_request", parsed.error.issues[0]?.message ?? "bad status");
    return c.json({ agentId, patterns: await listPatterns(c.env.DB, agentId, parsed.data) });
  })
  .get("/agents/:agentId/learning/analytics", async (c) => {
    const { agentId } = await requireAgent(c);
    const { from, to } = timeRange(c, DEFAULT_ANALYTICS_SPAN_MS);
    return c.json({ agentId, from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...(await learningAnalytics(c.env.DB, agentId, from, to)) });
  })
  .get("/agents/:agentId/patterns/export", async (c) => {
    const { agentId } = await requireAgent(c);
    return c.json(await exportPack(c.env.DB, agentId, c.var.clock.now()));
  })
  .post("/agents/:agentId/patterns/import", async (c) => {
    const { agentId } = await requireAgent(c);
    const pack = parseBody(packSchema, parseJson(await readBodyLimited(c.req.raw, MAX_PACK_BYTES)));
    const result = await importPack(patternStore(c.env, agentId), agentId, pack, adminActor(c), c.var.clock.now());
    return c.json({ agentId, ...result });
  })
  .get("/agents/:agentId/patterns/:patternId", async (c) => {
    const { agentId } = await requireAgent(c);
    const pattern = await getPattern(c.env.DB, agentId, c.req.param("patternId"));
    if (!pattern) throw new AppError("not_found", `agent "${agentId}" has no pattern "${c.req.param("patternId")}"`);
    return c.json(pattern);
  })
  .post("/agents/:agentId/patterns/:patternId/:action{approve|reject|rollback}", async (c) => {
    const { agentId, snapshot } = await requireAgent(c);
    const raw = await readBodyLimited(c.req.raw, 8 * 1024);
    const body = raw.trim() === "" ? {} : parseBody(decisionSchema, parseJson(raw));
    const patternId = c.req.param("patternId");
    const { from, to } = await transition(patternStore(c.env, agentId), {
      agentId,
      patternId,
      action: c.req.param("action") as PatternAction,
      strategy: snapshot.record.config.learning.deployment.strategy,
      actor: adminActor(c),
      note: body.note ?? null,
      now: c.var.clock.now(),
    });
    return c.json({ ...(await getPattern(c.env.DB, agentId, patternId)), previousStatus: from, status: to });
  });
