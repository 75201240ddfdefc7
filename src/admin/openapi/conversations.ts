/** Catalogue: an agent's conversations and their masked transcripts. */
import { z } from "zod";
import { CHANNELS, OUTCOMES, TIERS } from "../../channels/analytics";
import { CONVERSATION_ID } from "../conversations";
import { count, isoTime, pageQuery, timeQuery, usd, type RouteDoc } from "./catalogue";

export const conversationPageSchema = z.strictObject({
  agentId: z.string(),
  from: isoTime,
  to: isoTime,
  conversations: z.array(
    z.strictObject({
      id: z.string().regex(CONVERSATION_ID),
      channel: z.string(),
      firstAt: isoTime,
      lastAt: isoTime,
      messages: count,
      tiers: z.partialRecord(z.enum(TIERS), count),
      outcomes: z.strictObject(Object.fromEntries(OUTCOMES.map((o) => [o, count])) as Record<(typeof OUTCOMES)[number], typeof count>),
      costUsd: usd,
      turnsKept: z.boolean(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const transcriptSchema = z.strictObject({
  agentId: z.string(),
  conversationId: z.string().regex(CONVERSATION_ID),
  channel: z.string(),
  firstAt: isoTime,
  lastAt: isoTime,
  turns: z.array(
    z.strictObject({
      role: z.enum(["customer", "agent"]),
      at: isoTime,
      /** PII masked (`[EMAIL]`, `[PHONE]`, `[CARD]`, …). */
      text: z.string(),
      interactionId: z.string().nullable(),
      tier: z.string().nullable(),
      outcome: z.string().nullable(),
      costUsd: usd.nullable(),
    }),
  ),
});

export const CONVERSATION_ROUTES: RouteDoc[] = [
  {
    method: "get",
    path: "/v1/agents/:agentId/conversations",
    tag: "conversations",
    summary: "The agent's conversations with answers in the range, newest activity first",
    query: {
      channel: { schema: z.enum(CHANNELS), description: "only conversations on this channel" },
      ...timeQuery("30 days before to"),
      ...pageQuery,
    },
    responses: { 200: { description: "a page of conversations", schema: conversationPageSchema } },
    errors: { 400: "channel, the range, limit or cursor is invalid", 404: "no such agent" },
  },
  {
    method: "get",
    path: "/v1/agents/:agentId/conversations/:conversationId",
    tag: "conversations",
    summary: "One conversation's transcript, personal data masked, each answer with its tier, outcome and cost",
    params: { conversationId: { schema: z.string().regex(CONVERSATION_ID), description: "the conversation's id, as the listing returns it (32 hex)" } },
    responses: { 200: { description: "the transcript", schema: transcriptSchema } },
    errors: { 400: "conversationId is not a conversation id", 404: "no such agent or conversation, or its turns were not kept or were deleted by retention" },
  },
];
