/** Catalogue: trust (level, overrides, feedback, analytics) and approvals of `ask` tools. */
import { z } from "zod";
import { decisionSchema, STATUSES } from "../approvals";
import { commandSchema, feedbackSchema } from "../trust";
import { count, isoDay, isoTime, timeQuery, type RouteDoc } from "./catalogue";

const level = z.number().min(0).max(1);

export const trustRuleSchema = z.object({
  metric: z.enum(["success_rate", "error_rate", "denial_rate", "escalation_rate"]),
  threshold: z.number(),
  action: z.enum(["increment", "decrement"]),
  amount: z.number(),
});

export const trustMetricsSchema = z.object({
  outcomes: count,
  success_rate: level,
  error_rate: level,
  denial_rate: level,
  escalation_rate: level,
});

const changeKind = z.enum(["rule", "set", "freeze", "unfreeze"]);

/** The answer of `POST …/trust`: the level after the command. */
export const trustStateSchema = z.object({
  level,
  frozen: z.boolean(),
  frozenReason: z.string().nullable(),
  tier: z.string().nullable(),
  allowedTools: z.array(z.string()),
});

export const trustReportSchema = trustStateSchema.extend({
  agentId: z.string(),
  deny: z.array(z.string()),
  ask: z.array(z.string()),
  window: trustMetricsSchema.extend({ sinceChange: count }),
  lastChangeAt: isoTime.nullable(),
  lastEvaluatedAt: isoTime.nullable(),
  recentChanges: z.array(
    z.object({
      at: isoTime,
      from: level,
      to: level,
      kind: changeKind,
      rule: trustRuleSchema.nullable(),
      metrics: trustMetricsSchema.nullable(),
      reason: z.string().nullable(),
      actor: z.string(),
    }),
  ),
  policy: z.object({
    rules: z.array(trustRuleSchema),
    minOutcomes: z.number().int(),
    cooldown: z.string(),
    evaluationPeriod: z.string(),
    window: z.object({ outcomes: z.number().int(), duration: z.string().optional() }),
    permissions: z.record(z.string(), z.array(z.string())),
  }),
});

export const trustAnalyticsSchema = z.object({
  agentId: z.string(),
  from: isoTime,
  to: isoTime,
  levels: z.array(z.object({ at: isoTime, level })),
  firings: z.array(z.object({ at: isoTime, from: level, to: level, rule: trustRuleSchema.nullable(), metrics: trustMetricsSchema.nullable() })),
  overrides: z.array(z.object({ at: isoTime, kind: changeKind, from: level, to: level, reason: z.string().nullable(), actor: z.string() })),
  outcomesByDay: z.array(z.object({ day: isoDay, success: count, error: count, denied: count, escalated: count })),
});

export const feedbackResponseSchema = z.object({
  interactionId: z.string(),
  outcome: z.enum(["success", "error", "escalated"]),
  trustLevel: level,
});

/** An approval request, its tool arguments opened. */
export const approvalViewSchema = z.object({
  id: z.string(),
  interactionId: z.string(),
  tool: z.string(),
  input: z.unknown(),
  channel: z.string(),
  status: z.enum(STATUSES),
  requestedAt: isoTime,
  expiresAt: isoTime,
  decidedAt: isoTime.nullable(),
  decidedBy: z.string().nullable(),
  note: z.string().nullable(),
  result: z.object({ content: z.string(), isError: z.boolean() }).nullable(),
});

export const TRUST_ROUTES: RouteDoc[] = [
  {
    method: "get",
    path: "/v1/agents/:agentId/trust",
    tag: "trust",
    summary: "The trust level, its tier and tools, the window's metrics and the policy",
    responses: { 200: { description: "the agent's trust", schema: trustReportSchema } },
    errors: { 404: "no such agent" },
  },
  {
    method: "post",
    path: "/v1/agents/:agentId/trust",
    tag: "trust",
    summary: "Set, freeze or unfreeze the trust level, with a reason (audited)",
    body: { schema: commandSchema },
    responses: { 200: { description: "the level after the command", schema: trustStateSchema } },
    errors: { 400: "the body is invalid", 404: "no such agent", 413: "the body is larger than 16 KiB" },
  },
  {
    method: "post",
    path: "/v1/agents/:agentId/feedback",
    tag: "trust",
    summary: "An operator's verdict on an interaction; it counts toward the trust window",
    body: { schema: feedbackSchema },
    responses: { 200: { description: "the feedback, recorded", schema: feedbackResponseSchema } },
    errors: { 400: "the body is invalid", 404: "no such agent, or no such interaction", 413: "the body is larger than 16 KiB" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/trust/analytics",
    tag: "trust",
    summary: "Levels over time, rule firings, overrides and outcomes per day",
    query: timeQuery("30 days before to"),
    responses: { 200: { description: "trust analytics of the range", schema: trustAnalyticsSchema } },
    errors: { 400: "from or to is not a time, or from is after to", 404: "no such agent" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/approvals",
    tag: "approvals",
    summary: "Requests to run ask tools (trust.ask), newest first",
    query: { status: { schema: z.enum(STATUSES), description: "only requests of this status" } },
    responses: { 200: { description: "the requests", schema: z.object({ approvals: z.array(approvalViewSchema) }) } },
    errors: { 400: "status is not one of the statuses", 404: "no such agent" },
  },
  {
    method: "post",
    path: "/v1/agents/:agentId/approvals/:approvalId",
    tag: "approvals",
    summary: "Approve (the call runs once, now) or reject a request to run a tool",
    params: { approvalId: { schema: z.string(), description: "the request's id, apr_…" } },
    body: { schema: decisionSchema },
    responses: { 200: { description: "the request, decided (and run when approved)", schema: approvalViewSchema } },
    errors: { 400: "the body is invalid", 404: "no such agent, or no such request", 409: "the request is already decided or has expired", 413: "the body is larger than 8 KiB" },
  },
];
