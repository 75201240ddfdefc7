/** Catalogue: budget, cost and channel analytics, the audit trail, alerts and compliance reports. */
import { z } from "zod";
import { REPORT_STANDARDS } from "../../audit/reports";
import { acknowledgeSchema, ALERT_ID, ALERT_STATUSES, ALERT_TYPES } from "../alerts";
import { AUDIT_DECISIONS } from "../audit";
import { count, isoDay, isoTime, pageQuery, timeQuery, usd, type RouteDoc } from "./catalogue";

export const costReportSchema = z.object({
  agentId: z.string(),
  from: isoTime,
  to: isoTime,
  requests: count,
  costUsd: usd,
  /** What the requests would have cost, all answered by the model; null before a model cost is measured. */
  baselineUsd: usd.nullable(),
  savingsUsd: usd.nullable(),
  savingsShare: z.number().nullable(),
  intelligentMeanUsd: usd.nullable(),
  tiers: z.record(z.string(), z.object({ requests: count, share: z.number().min(0).max(1), costUsd: usd })),
  days: z.array(z.object({ day: isoDay, requests: count, costUsd: usd, baselineUsd: usd.nullable(), tiers: z.record(z.string(), count) })),
});

export const budgetReportSchema = z.object({
  agentId: z.string(),
  day: isoDay,
  timeZone: z.string(),
  dailyUsd: usd,
  spentUsd: usd,
  reservedUsd: usd,
  remainingUsd: usd,
  perRequestUsd: usd,
  alertThreshold: z.number(),
  openReservations: count,
  micros: z.object({ daily: z.number().int(), spent: z.number().int(), reserved: z.number().int(), remaining: z.number().int() }),
});

const channelStatsSchema = z.object({
  requests: count,
  latencyMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), max: z.number().nullable() }),
  tiers: z.record(z.string(), count),
  outcomes: z.record(z.string(), count),
  urgent: z.object({ high: count, critical: count }),
  costUsd: usd,
});

export const channelAnalyticsSchema = z.object({
  agentId: z.string(),
  from: isoTime,
  to: isoTime,
  totals: channelStatsSchema,
  channels: z.record(z.string(), channelStatsSchema.extend({ days: z.array(channelStatsSchema.extend({ day: isoDay })) })),
});

export const auditPageSchema = z.object({
  events: z.array(
    z.object({
      id: z.string(),
      /** Place in the hash chain; null for an event recorded outside it. */
      seq: z.number().int().nullable(),
      at: isoTime,
      actor: z.string(),
      action: z.string(),
      resource: z.string(),
      decision: z.enum(AUDIT_DECISIONS),
      details: z.unknown(),
      costUsd: usd.nullable(),
      requestId: z.string().nullable(),
      hash: z.string().nullable(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const chainVerificationSchema = z.object({
  agentId: z.string(),
  from: isoTime,
  to: isoTime,
  checked: count,
  firstSeq: z.number().int().nullable(),
  lastSeq: z.number().int().nullable(),
  ok: z.boolean(),
  firstBroken: z.object({ seq: z.number().int(), id: z.string().nullable(), reason: z.enum(["hash_mismatch", "prev_mismatch", "missing_seq", "out_of_order"]) }).nullable(),
  unchained: count,
});

const alertSchema = z.object({
  id: z.string(),
  at: isoTime,
  type: z.enum(ALERT_TYPES as [string, ...string[]]),
  message: z.string(),
  details: z.unknown(),
  deliveredAt: isoTime.nullable(),
  deliveryError: z.string().nullable(),
  /** When a person acknowledged it, and who (`admin:<key id>`); null while it is open. */
  acknowledgedAt: isoTime.nullable(),
  acknowledgedBy: z.string().nullable(),
});

export const alertAcknowledgedSchema = z.object({ agentId: z.string(), alert: alertSchema });

export const alertPageSchema = z.object({
  alerts: z.array(alertSchema),
  nextCursor: z.string().nullable(),
});

export const complianceReportSchema = z.object({
  agentId: z.string(),
  standard: z.enum(REPORT_STANDARDS),
  from: isoTime,
  to: isoTime,
  generatedAt: isoTime,
  sections: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      control: z.string(),
      summary: z.string(),
      counts: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
      rows: z.array(z.object({ at: isoTime.nullable(), actor: z.string(), action: z.string(), resource: z.string(), decision: z.string(), detail: z.string() })),
      truncated: count,
    }),
  ),
});

const RANGE_ERRORS = "from or to is not a time, or from is after to";

export const ANALYTICS_ROUTES: RouteDoc[] = [
  {
    method: "get",
    path: "/v1/agents/:agentId/analytics",
    tag: "analytics",
    summary: "Cost analytics: requests, cost, the all-model baseline and savings, per tier and day",
    query: timeQuery("30 days before to"),
    responses: { 200: { description: "cost analytics of the range", schema: costReportSchema } },
    errors: { 400: RANGE_ERRORS, 404: "no such agent" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/budget",
    tag: "budget",
    summary: "Today's budget: the daily cap, spent, reserved, remaining",
    responses: { 200: { description: "today's budget", schema: budgetReportSchema } },
    errors: { 404: "no such agent" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/channels/analytics",
    tag: "analytics",
    summary: "Traffic, latency percentiles, tiers, outcomes, urgency and cost per channel",
    query: timeQuery("30 days before to"),
    responses: { 200: { description: "channel analytics of the range", schema: channelAnalyticsSchema } },
    errors: { 400: RANGE_ERRORS, 404: "no such agent" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/audit",
    tag: "audit",
    summary: "Search the audit trail, newest first",
    query: {
      action: { schema: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}\*?$/), description: "an action name, or a prefix ending in * (tool.*)" },
      actor: { schema: z.string().max(200), description: "who acted, e.g. admin:bootstrap" },
      decision: { schema: z.enum(AUDIT_DECISIONS), description: "the decision recorded" },
      ...timeQuery("the first event"),
      ...pageQuery,
    },
    responses: { 200: { description: "a page of events", schema: auditPageSchema } },
    errors: { 400: "a filter, the range, limit or cursor is invalid", 404: "no such agent, and no audit trail kept for it" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/audit/verify",
    tag: "audit",
    summary: "Verify the audit trail's hash chain (the whole chain when neither from nor to is given)",
    query: timeQuery("the first event"),
    responses: { 200: { description: "the verification, and the first broken link if any", schema: chainVerificationSchema } },
    errors: { 400: "the range is invalid, or holds too many events to verify at once", 404: "no such agent, and no audit trail kept for it" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/alerts",
    tag: "alerts",
    summary: "Alerts raised for the agent, newest first, with how their delivery went",
    query: {
      type: { schema: z.enum(ALERT_TYPES as [string, ...string[]]), description: "only alerts of this type" },
      status: { schema: z.enum(ALERT_STATUSES), description: "open (nobody acknowledged it yet) or acknowledged" },
      ...timeQuery("the first alert"),
      ...pageQuery,
    },
    responses: { 200: { description: "a page of alerts", schema: alertPageSchema } },
    errors: { 400: "type, status, the range, limit or cursor is invalid", 404: "no such agent" },
  },
  {
    method: "post",
    path: "/v1/agents/:agentId/alerts/:alertId/acknowledge",
    tag: "alerts",
    summary: "Acknowledge an alert: a person has seen it. Idempotent: the first acknowledgement is kept",
    params: { alertId: { schema: z.string().regex(ALERT_ID), description: "the alert's id, as the listing returns it" } },
    body: { schema: acknowledgeSchema, optional: true, description: "an optional note, kept in the audit event" },
    responses: { 200: { description: "the alert, with who acknowledged it and when", schema: alertAcknowledgedSchema } },
    errors: { 400: "alertId is not an alert id, or the body is invalid", 404: "no such agent, or it has no such alert" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/reports/:standard",
    tag: "reports",
    summary: "A compliance report (SOC2 or HIPAA evidence) of a period of at most 366 days",
    params: { standard: { schema: z.enum(REPORT_STANDARDS), description: "the standard the report evidences" } },
    query: {
      ...timeQuery("30 days before to"),
      format: { schema: z.enum(["json", "csv"]), description: "json (default) or csv (RFC 4180, a download)" },
    },
    responses: {
      200: {
        description: "the report, as JSON or as CSV",
        schema: complianceReportSchema,
        other: { "text/csv": { schema: { type: "string" } } },
      },
    },
    errors: { 400: "the standard, format or range is invalid, or the range is longer than 366 days", 404: "no such agent" },
  },
];
