import { z } from "zod";

/** Characters kept of a learnable question or answer. */
export const MAX_LEARNABLE_CHARS = 4_000;

/**
 * A finished interaction as the `learning` queue carries it: what analytics, trust and pattern
 * learning need. The conversation is a hash. Customer text only for a learnable interaction, and
 * then masked by the PII module before it leaves the worker.
 */
export const interactionSchema = z.object({
  id: z.string().min(1),
  agentId: z.string().min(1),
  channel: z.enum(["http", "slack", "email", "sms"]),
  deliveryId: z.string().min(1),
  conversationHash: z.string().min(1),
  tier: z.enum(["rule", "cache", "similar", "pattern", "intelligent", "fallback"]),
  model: z.string().nullable(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
  costMicros: z.number().int().nonnegative(),
  steps: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  deniedTools: z.array(z.string()),
  outcome: z.enum(["success", "error", "denied", "escalated"]),
  createdAt: z.number().int(),
  /** From the channel's receipt of the message to the answer, in milliseconds (queue time included). */
  latencyMs: z.number().int().nonnegative().default(0),
  /** How urgent the message read (`detectUrgency`). */
  urgency: z.enum(["normal", "high", "critical"]).default("normal"),
  /** Earlier turns of the conversation the message was answered with (0: it opened the conversation). */
  position: z.number().int().nonnegative().default(0),
  /**
   * Whether pattern learning may use it: a model answer to a conversation's opening message, with
   * no attachment, PII, side-effecting tool, refusal or escalation (the caches' rules), while the
   * agent's `learning.enabled` is on.
   */
  learnable: z.boolean().default(false),
  /** The question and the answer, masked; null unless learnable. */
  question: z.string().max(MAX_LEARNABLE_CHARS).nullable().default(null),
  answer: z.string().max(MAX_LEARNABLE_CHARS).nullable().default(null),
  /** The id (hex) of the Conversation object holding the turns; null when the agent keeps no context. */
  conversationObject: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable()
    .default(null),
});

/** An interaction as it is sent; fields added later (latency, urgency, learning) default when an older sender leaves them out. */
export type InteractionRecord = z.input<typeof interactionSchema>;

/**
 * Evidence on a learned pattern in rollout: an answer it gave (`served`), a model answer to a
 * request it matched, compared with what it would have said (`shadow`, `error` when they
 * disagree). No text.
 */
export const patternSampleSchema = z.object({
  agentId: z.string().min(1),
  interactionId: z.string().min(1),
  patternId: z.string().min(1),
  kind: z.enum(["served", "shadow"]),
  error: z.boolean(),
  at: z.number().int(),
});

/** Feedback on an interaction, for the pattern that answered it (if one did). */
export const feedbackSchema = z.object({
  agentId: z.string().min(1),
  interactionId: z.string().min(1),
  outcome: z.enum(["success", "error", "denied", "escalated"]),
  at: z.number().int(),
});

/** Every message the `learning` queue accepts. */
export const learningMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("interaction"), interaction: interactionSchema }),
  z.object({ type: z.literal("pattern_sample"), sample: patternSampleSchema }),
  z.object({ type: z.literal("feedback"), feedback: feedbackSchema }),
]);

export type LearningMessage = z.input<typeof learningMessageSchema>;

const normalizedMessageSchema = z.object({
  agentId: z.string().min(1),
  channel: z.enum(["http", "slack", "email", "sms"]),
  deliveryId: z.string().min(1),
  conversationKey: z.string().min(1),
  sender: z.string(),
  text: z.string().min(1),
  receivedAt: z.number().int(),
  thread: z.string().max(1000).optional(),
  attachments: z
    .array(z.object({ name: z.string().max(300), mimeType: z.string().max(200), size: z.number().int().nonnegative().optional(), ref: z.string().max(2000).optional() }))
    .max(50)
    .optional(),
  subject: z.string().max(1000).optional(),
  priority: z.string().max(200).optional(),
});

/** Where and how the answer to a queued message goes back. */
export const replyTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("slack"), channelId: z.string().min(1), ts: z.string().min(1), threadTs: z.string().nullable() }),
  /** `from` is the agent's address, `to` the customer's; the rest threads the reply. */
  z.object({
    kind: z.literal("email"),
    from: z.string().min(3),
    to: z.string().min(3),
    subject: z.string(),
    inReplyTo: z.string().nullable(),
    references: z.array(z.string()),
  }),
  /** `from` is the agent's Twilio number, `to` the customer's. */
  z.object({ kind: z.literal("sms"), from: z.string().min(1), to: z.string().min(1) }),
]);

export type ReplyTarget = z.infer<typeof replyTargetSchema>;

/** Every message the `work` queue accepts: a channel message that needs the pipeline. */
export const workMessageSchema = z.object({
  type: z.literal("channel_message"),
  message: normalizedMessageSchema,
  reply: replyTargetSchema,
});

export type WorkMessage = z.infer<typeof workMessageSchema>;

/** What the `alerts` queue carries: an alert already stored in D1, to deliver to its agent's alert channel. */
export const alertMessageSchema = z.object({
  type: z.literal("alert"),
  agentId: z.string().min(1),
  alertId: z.string().min(1),
});

export type AlertMessage = z.infer<typeof alertMessageSchema>;
