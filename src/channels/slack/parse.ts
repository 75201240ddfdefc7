import { z } from "zod";

const event = z.looseObject({
  type: z.string(),
  subtype: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional(),
  channel: z.string().optional(),
  channel_type: z.string().optional(),
  ts: z.string().optional(),
  thread_ts: z.string().optional(),
});

const envelope = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("url_verification"), challenge: z.string().min(1).max(500) }),
  z.looseObject({
    type: z.literal("event_callback"),
    team_id: z.string().min(1),
    event_id: z.string().min(1).max(100),
    event: event,
    authorizations: z.array(z.looseObject({ user_id: z.string().optional(), is_bot: z.boolean().optional() })).optional(),
  }),
]);

/** A Slack Events API delivery, as Foreman acts on it. */
export type SlackInbound =
  | { kind: "challenge"; challenge: string }
  | {
      kind: "message";
      eventId: string;
      teamId: string;
      channelId: string;
      user: string;
      text: string;
      ts: string;
      /** The thread the message is in, or null for a top-level message. */
      threadTs: string | null;
    }
  /** Verified but not for the agent: our own bot's messages, edits, other event types. */
  | { kind: "ignored"; reason: string };

/**
 * Parses a verified Events API body. Handles `url_verification`, `app_mention` and direct
 * messages (`message` in an `im`); ignores bot messages (ours included: no reply loops), edits
 * and other subtypes. Returns null when the body is not an Events API payload.
 */
export function parseSlackEvent(json: unknown): SlackInbound | null {
  const parsed = envelope.safeParse(json);
  if (!parsed.success) return null;
  const body = parsed.data;
  if (body.type === "url_verification") return { kind: "challenge", challenge: body.challenge };
  const e = body.event;
  const ourBot = body.authorizations?.find((a) => a.is_bot)?.user_id;
  if (e.bot_id || e.subtype === "bot_message" || (ourBot && e.user === ourBot)) return { kind: "ignored", reason: "bot message" };
  if (e.subtype) return { kind: "ignored", reason: `message subtype ${e.subtype}` };
  const isMention = e.type === "app_mention";
  const isDirect = e.type === "message" && e.channel_type === "im";
  if (!isMention && !isDirect) return { kind: "ignored", reason: `event ${e.type}` };
  if (!e.channel || !e.ts || !e.user) return null;
  const text = cleanSlackText(e.text ?? "");
  if (!text) return { kind: "ignored", reason: "empty message" };
  return {
    kind: "message",
    eventId: body.event_id,
    teamId: body.team_id,
    channelId: e.channel,
    user: e.user,
    text,
    ts: e.ts,
    threadTs: e.thread_ts ?? null,
  };
}

/**
 * Slack markup to plain text: user mentions dropped (`<@U123>`), links as `label (url)`,
 * channel refs as `#name`, and the three HTML entities Slack escapes decoded.
 */
export function cleanSlackText(text: string): string {
  return text
    .replace(/<@[A-Z0-9]+(\|[^>]*)?>/g, "")
    .replace(/<#[A-Z0-9]+\|([^>]*)>/g, "#$1")
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, "$2 ($1)")
    .replace(/<(https?:[^>]+)>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/[ \t]+/g, " ")
    .trim();
}
