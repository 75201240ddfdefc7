/** Catalogue: pattern learning (runs, review, packs, analytics) and dead letters. */
import { z } from "zod";
import { PATTERN_STATUSES } from "../../learn/lifecycle";
import { PACK_FORMAT, packSchema } from "../../learn/packs";
import { decisionSchema } from "../patterns";
import { count, isoDay, isoTime, timeQuery, usd, type RouteDoc } from "./catalogue";

const status = z.enum(PATTERN_STATUSES);
const share = z.number().min(0).max(1);

/** How a pattern fared on its held-out members when the matcher was validated. */
export const patternReportSchema = z.object({
  valid: z.boolean(),
  target: z.number(),
  threshold: z.number().nullable(),
  errorBound: z.number(),
  heldOut: count,
  answered: count,
  correct: count,
  coverage: share,
  handled: share,
  requiredCoverage: share,
  confusions: z.record(z.string(), count),
  facts: count.optional(),
});

export const patternViewSchema = z.object({
  id: z.string(),
  status,
  canonicalAnswer: z.string(),
  examples: count,
  agreement: share,
  detectedAt: isoTime,
  window: z.object({ from: isoTime, to: isoTime }),
  report: patternReportSchema.nullable(),
  changed: z.object({ at: isoTime, by: z.string().nullable(), reason: z.string().nullable() }).nullable(),
});

export const patternSchema = patternViewSchema.extend({
  rollout: z.object({ served: count, shadow: count, disagreed: count, negativeFeedback: count }),
});

export const runReportSchema = z.object({
  agentId: z.string(),
  window: z.object({ from: isoTime, to: isoTime }),
  learnable: count,
  candidates: z.array(patternViewSchema),
  known: count,
  unassigned: count,
});

export const learningAnalyticsSchema = z.object({
  agentId: z.string(),
  from: isoTime,
  to: isoTime,
  patterns: z.array(
    z.object({ id: z.string(), status, served: count, shadow: count, agreement: share.nullable(), negativeFeedback: count, savingsUsd: usd.nullable() }),
  ),
  byStatus: z.record(z.string(), count),
  served: count,
  savingsUsd: usd.nullable(),
  intelligentMeanUsd: usd.nullable(),
  days: z.array(z.object({ day: isoDay, requests: count, shares: z.record(z.string(), share) })),
});

/** An export: what an import takes, though it may hold no pattern (an import needs one). */
export const exportedPackSchema = z.object({
  format: z.literal(PACK_FORMAT),
  exportedAt: isoTime,
  patterns: z.array(z.object({ canonicalAnswer: z.string(), signature: z.array(z.number().int().min(0)), examples: count })),
});

export const deadLetterSchema = z.object({
  id: z.string(),
  queue: z.string(),
  attempts: count,
  receivedAt: isoTime,
  replayedAt: isoTime.nullable(),
  replayable: z.boolean(),
  /** Why it cannot be replayed; only when it cannot. */
  reason: z.string().optional(),
  /** The message as it was queued, customer text and addresses masked. */
  message: z.unknown(),
});

const patternIdParam = { patternId: { schema: z.string(), description: "the pattern's id, pat_…" } };

export const LEARNING_ROUTES: RouteDoc[] = [
  {
    method: "post",
    path: "/v1/agents/:agentId/learn/run",
    tag: "patterns",
    summary: "Run pattern detection now (the hourly cron runs the same)",
    responses: { 200: { description: "what the run found", schema: runReportSchema } },
    errors: { 404: "no such agent", 409: "learning.enabled is off for this agent" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/patterns",
    tag: "patterns",
    summary: "The agent's patterns, largest first",
    query: { status: { schema: status, description: "only patterns of this status" } },
    responses: { 200: { description: "the patterns", schema: z.object({ agentId: z.string(), patterns: z.array(patternSchema) }) } },
    errors: { 400: "status is not one of the statuses", 404: "no such agent" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/learning/analytics",
    tag: "patterns",
    summary: "Per pattern what it served, agreed and saved; the share of each tier per day",
    query: timeQuery("30 days before to"),
    responses: { 200: { description: "learning analytics of the range", schema: learningAnalyticsSchema } },
    errors: { 400: "from or to is not a time, or from is after to", 404: "no such agent" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/patterns/export",
    tag: "patterns",
    summary: "The active patterns as a pack (canonical answers and signatures, no customer text)",
    responses: { 200: { description: "the pack", schema: exportedPackSchema } },
    errors: { 404: "no such agent" },
  },
  {
    method: "post",
    path: "/v1/agents/:agentId/patterns/import",
    tag: "patterns",
    summary: "Add a pack's patterns as imported, to be validated on this agent's traffic",
    body: { schema: packSchema },
    responses: {
      200: { description: "the patterns added, and how many the agent already had", schema: z.object({ agentId: z.string(), imported: z.array(z.string()), skipped: count }) },
    },
    errors: { 400: "the pack is invalid", 404: "no such agent", 413: "the pack is larger than 4 MiB" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/patterns/:patternId",
    tag: "patterns",
    summary: "One pattern, with its validation report and rollout",
    params: patternIdParam,
    responses: { 200: { description: "the pattern", schema: patternSchema } },
    errors: { 404: "no such agent, or no such pattern for it" },
  },
  {
    method: "post",
    path: "/v1/agents/:agentId/patterns/:patternId/:action{approve|reject|rollback}",
    tag: "patterns",
    summary: "A person's decision on a pattern (audited with the note)",
    params: {
      ...patternIdParam,
      action: { schema: z.enum(["approve", "reject", "rollback"]), description: "the decision" },
    },
    body: { schema: decisionSchema, optional: true, description: "an optional note; an empty body is accepted" },
    responses: { 200: { description: "the pattern after the decision", schema: patternSchema.extend({ previousStatus: status }) } },
    errors: { 400: "the body is invalid", 404: "no such agent, or no such pattern", 409: "the decision does not apply to the pattern's status", 413: "the body is larger than 8 KiB" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/dead-letters",
    tag: "dead letters",
    summary: "Messages that ran out of retries, oldest first, 100 a page, masked",
    query: { cursor: { schema: z.string(), description: "the nextCursor of the previous page" } },
    responses: {
      200: { description: "a page of dead letters", schema: z.object({ agentId: z.string(), deadLetters: z.array(deadLetterSchema), nextCursor: z.string().nullable() }) },
    },
    errors: { 400: "cursor is not one of this agent's dead letters", 404: "no such agent" },
  },
  {
    method: "post",
    path: "/v1/agents/:agentId/dead-letters/replay",
    tag: "dead letters",
    summary: "Send every replayable dead letter (at most 100) back to the work queue",
    responses: {
      202: {
        description: "the ids sent back, and those skipped with why",
        schema: z.object({ agentId: z.string(), replayed: z.array(z.string()), skipped: z.array(z.object({ id: z.string(), reason: z.string() })) }),
      },
    },
    errors: { 404: "no such agent" },
  },
  {
    method: "post",
    path: "/v1/agents/:agentId/dead-letters/:id/replay",
    tag: "dead letters",
    summary: "Send one dead letter back to the work queue",
    params: { id: { schema: z.string(), description: "the dead letter's id" } },
    responses: { 202: { description: "sent back", schema: z.object({ agentId: z.string(), id: z.string(), replayedAt: isoTime }) } },
    errors: { 404: "no such agent, or no such dead letter", 409: "the dead letter was already replayed, or cannot be" },
  },
];
