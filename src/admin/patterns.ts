import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";
import { getPattern, listPatterns, runDetection } from "../learn/run";
import { adminActor, requireAgent } from "./common";

const STATUSES = ["candidate", "validated", "pending_approval", "canary", "active", "rejected", "rolled_back"] as const;
const statusSchema = z.enum(STATUSES, { error: `status must be one of ${STATUSES.join(", ")}` }).optional();

/**
 * Pattern learning through the admin API:
 *  - `POST /v1/agents/:agentId/learn/run`: a detection run now (the cron runs the same code);
 *    409 while the agent's `learning.enabled` is off. Audited as `learning.detected`.
 *  - `GET /v1/agents/:agentId/patterns[?status=]`: the agent's patterns, largest first.
 *  - `GET /v1/agents/:agentId/patterns/:patternId`: one of them; 404 for another agent's.
 */
export const patternRoutes = new Hono<AppEnv>()
  .post("/agents/:agentId/learn/run", async (c) => {
    const { agentId, stub, snapshot } = await requireAgent(c);
    const { config } = snapshot.record;
    if (!config.learning.enabled) throw new AppError("conflict", "learning.enabled is off for this agent: set it to true in the agent's config to learn patterns");
    const now = c.var.clock.now();
    const report = await runDetection(c.env.DB, agentId, config, now);
    await stub.recordEvents([
      {
        level: "minimal",
        event: {
          at: now,
          actor: adminActor(c),
          action: "learning.detected",
          resource: agentId,
          decision: "recorded",
          details: { learnable: report.learnable, candidates: report.candidates.length, unassigned: report.unassigned, window: report.window },
        },
      },
    ]);
    return c.json(report);
  })
  .get("/agents/:agentId/patterns", async (c) => {
    const { agentId } = await requireAgent(c);
    const parsed = statusSchema.safeParse(c.req.query("status"));
    if (!parsed.success) throw new AppError("invalid_request", parsed.error.issues[0]?.message ?? "bad status");
    return c.json({ agentId, patterns: await listPatterns(c.env.DB, agentId, parsed.data) });
  })
  .get("/agents/:agentId/patterns/:patternId", async (c) => {
    const { agentId } = await requireAgent(c);
    const pattern = await getPattern(c.env.DB, agentId, c.req.param("patternId"));
    if (!pattern) throw new AppError("not_found", `agent "${agentId}" has no pattern "${c.req.param("patternId")}"`);
    return c.json(pattern);
  });
