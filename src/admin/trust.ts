import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../core/errors";
import { parseBody, parseJson, readBodyLimited } from "../http/body";
import type { AppEnv } from "../http/context";
import { trustPolicy } from "../trust/policy";
import { sendFeedback } from "../pipeline/interaction";
import type { AgentSnapshot } from "../core/agent";
import type { agentObject } from "../state/objects";
import { adminActor, DEFAULT_ANALYTICS_SPAN_MS, requireAgent, timeRange } from "./common";

const MAX_BODY_BYTES = 16 * 1024;
const reason = z.string().trim().min(1, "must not be empty").max(500, "must be at most 500 characters");

/** The body of `POST /v1/agents/:agentId/trust`. */
export const commandSchema = z.discriminatedUnion(
  "action",
  [
    z.strictObject({ action: z.literal("set"), level: z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1"), reason }),
    z.strictObject({ action: z.literal("freeze"), reason }),
    z.strictObject({ action: z.literal("unfreeze"), reason }),
  ],
  { error: 'action must be "set", "freeze" or "unfreeze"' },
);

/** The body of `POST /v1/agents/:agentId/feedback`. */
export const feedbackSchema = z.strictObject({
  interactionId: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  outcome: z.enum(["success", "error", "escalated"], { error: 'must be "success", "error" or "escalated"' }),
  note: z.string().max(1000, "must be at most 1000 characters").optional(),
});

/** `GET /v1/agents/:agentId/trust`: the level, its tier and tools, the window's metrics, the policy. */
export async function trustReport(agentId: string, stub: ReturnType<typeof agentObject>, snapshot: AgentSnapshot, now: number) {
  const view = await stub.trustView(now);
  const { trust } = snapshot.record.config;
  const policy = trustPolicy(trust);
  return {
    agentId,
    ...view,
    lastChangeAt: view.lastChangeAt === null ? null : new Date(view.lastChangeAt).toISOString(),
    lastEvaluatedAt: view.lastEvaluatedAt === null ? null : new Date(view.lastEvaluatedAt).toISOString(),
    recentChanges: view.recentChanges.map((ch) => ({ ...ch, at: new Date(ch.at).toISOString() })),
    policy: {
      rules: policy.rules,
      minOutcomes: policy.minOutcomes,
      cooldown: trust.cooldown,
      evaluationPeriod: trust.evaluationPeriod,
      window: trust.window,
      permissions: trust.permissions,
    },
  };
}

export type TrustReport = Awaited<ReturnType<typeof trustReport>>;

/** `GET /v1/agents/:agentId/trust/analytics`: levels over time, rule firings, overrides, outcomes per day. */
export async function trustAnalyticsReport(agentId: string, stub: ReturnType<typeof agentObject>, from: number, to: number) {
  const analytics = await stub.trustAnalytics(from, to);
  const iso = (t: number) => new Date(t).toISOString();
  return {
    agentId,
    from: iso(from),
    to: iso(to),
    levels: analytics.levels.map((p) => ({ ...p, at: iso(p.at) })),
    firings: analytics.firings.map((f) => ({ ...f, at: iso(f.at) })),
    overrides: analytics.overrides.map((o) => ({ ...o, at: iso(o.at) })),
    outcomesByDay: analytics.outcomesByDay,
  };
}

export type TrustAnalyticsReport = Awaited<ReturnType<typeof trustAnalyticsReport>>;

/** Trust operations: the level and its evidence, operator overrides, feedback, analytics. */
export const trustRoutes = new Hono<AppEnv>()
  .get("/agents/:agentId/trust", async (c) => {
    const { agentId, stub, snapshot } = await requireAgent(c);
    return c.json(await trustReport(agentId, stub, snapshot, c.var.clock.now()));
  })
  .post("/agents/:agentId/trust", async (c) => {
    const { stub } = await requireAgent(c);
    const command = parseBody(commandSchema, parseJson(await readBodyLimited(c.req.raw, MAX_BODY_BYTES)));
    const view = await stub.command(command, adminActor(c), c.var.clock.now());
    return c.json({ level: view.level, frozen: view.frozen, frozenReason: view.frozenReason, tier: view.tier, allowedTools: view.allowedTools });
  })
  .post("/agents/:agentId/feedback", async (c) => {
    const { agentId, stub } = await requireAgent(c);
    const body = parseBody(feedbackSchema, parseJson(await readBodyLimited(c.req.raw, MAX_BODY_BYTES)));
    const result = await stub.feedback({
      interactionId: body.interactionId,
      outcome: body.outcome,
      note: body.note ?? null,
      actor: adminActor(c),
      now: c.var.clock.now(),
    });
    if (!result.found) throw new AppError("not_found", `unknown interaction "${body.interactionId}" for this agent`);
    await sendFeedback(c.var.services.pipeline(), { agentId, interactionId: body.interactionId, outcome: body.outcome, at: c.var.clock.now() });
    return c.json({ interactionId: body.interactionId, outcome: body.outcome, trustLevel: result.level });
  })
  .get("/agents/:agentId/trust/analytics", async (c) => {
    const { agentId, stub } = await requireAgent(c);
    const { from, to } = timeRange(c, DEFAULT_ANALYTICS_SPAN_MS);
    return c.json(await trustAnalyticsReport(agentId, stub, from, to));
  });
