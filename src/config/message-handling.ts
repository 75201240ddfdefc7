/**
 * `messageHandling`: how inbound messages are prepared and taken in (normalizing, urgency,
 * conversation context, rate limits), from the seed's config plus the limits it needs.
 */
import { z } from "zod";
import { duration, flag, intBetween, parseDuration } from "./fields";

const DAY_MS = 86_400_000;

const rateLimitSchema = z.strictObject({
  messages: intBetween(1, 1_000_000),
  window: duration(1_000, 'must be at least "1s"').refine((w) => !/^\d+(ms|s|m|h|d|w|y)$/.test(w) || parseDuration(w) <= DAY_MS, { error: 'must be at most "1d"' }),
});

export const messageHandlingSchema = z.strictObject({
  normalizeInput: flag(true),
  detectUrgency: flag(true),
  /** The urgency from which a message raises an `urgent_message` alert (once per conversation per hour). */
  urgencyAlert: z.enum(["critical", "high", "off"]).default("critical"),
  maintainContext: flag(true),
  /** Recent turns given to the model when `maintainContext` is on. */
  contextTurns: intBetween(0, 50).default(10),
  /**
   * Messages taken in per sliding window, per sender (one customer on one channel) and for the
   * whole agent, counted when a message is first taken up and checked before any model call or
   * alert. Above either, HTTP gets 429 with Retry-After, the other channels one short notice.
   */
  rateLimits: z
    .strictObject({
      perSender: rateLimitSchema.prefault({ messages: 30, window: "10m" }),
      perAgent: rateLimitSchema.prefault({ messages: 600, window: "1m" }),
    })
    .prefault({}),
});
