import { z } from "zod";
import type { NormalizedMessage } from "../../core/types";
import { prepareText } from "../normalize";

/** Bytes of body accepted before a 413; far above any chat message. */
export const MAX_HTTP_BODY_BYTES = 64 * 1024;

// Printable ids without whitespace: they end up in storage keys and logs.
const idField = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

/** The HTTP channel's request body: `{ id, conversation, from, text }`. */
export const httpMessageSchema = z.strictObject({
  id: idField,
  conversation: idField,
  from: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  text: z.string().trim().min(1, "must not be empty").max(32_000, "must be at most 32000 characters"),
});

export type HttpMessage = z.infer<typeof httpMessageSchema>;

/** The normalized form of an HTTP-channel message. */
export function normalizeHttpMessage(agentId: string, body: HttpMessage, receivedAt: number, normalizeInput: boolean): NormalizedMessage {
  return {
    agentId,
    channel: "http",
    deliveryId: body.id,
    conversationKey: body.conversation,
    sender: body.from,
    text: prepareText(normalizeInput, "http", body.text),
    receivedAt,
  };
}
