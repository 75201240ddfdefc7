import { z } from "zod";
import type { Attachment } from "../../core/types";
import { normalizeChannelText } from "../normalize";

const event = z.looseObject({
  type: z.string(),
  reaction: z.string().optional(),
  item: z.looseObject({ type: z.string(), channel: z.string().optional(), ts: z.string().optional() }).optional(),
  item_user: z.string().optional(),
  subtype: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional(),
  channel: z.string().optional(),
  channel_type: z.string().optional(),
  ts: z.string().optional(),
  thread_ts: z.string().optional(),
  files: z
    .array(z.looseObject({ name: z.string().optional(), title: z.string().optional(), mimetype: z.string().optional(), size: z.number().optional(), url_private: z.string().optional() }))
    .optional(),
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
      /** As Slack sent it, markup included: `prepareText` cleans it per the agent's config. */
      text: string;
      ts: string;
      /** The thread the message is in, or null for a top-level message. */
      threadTs: string | null;
      /** Files shared with the message (metadata and Slack's private URL; the bot token reads them). */
      files: Attachment[];
    }
  /** 👍 or 👎 on one of the agent's own answers: feedback on that interaction. */
  | { kind: "reaction"; eventId: string; channelId: string; ts: string; user: string; outcome: "success" | "error"; reaction: string }
  /** Verified but not for the agent: our own bot's messages, edits, other event types. */
  | { kind: "ignored"; reason: string }
  /** Not an Events API payload at all; kept as it came, for the error and the logs. */
  | { kind: "unsupported"; raw: unknown };

/**
 * Parses a verified Events API body. Handles `url_verification`, `app_mention` and direct
 * messages (`message` in an `im`); ignores bot messages (ours included: no reply loops), edits
 * and other subtypes; a body that is not an Events API payload is `unsupported`.
 */
export function parseSlackEvent(json: unknown): SlackInbound {
  const parsed = envelope.safeParse(json);
  if (!parsed.success) return { kind: "unsupported", raw: json };
  const body = parsed.data;
  if (body.type === "url_verification") return { kind: "challenge", challenge: body.challenge };
  const e = body.event;
  const ourBot = body.authorizations?.find((a) => a.is_bot)?.user_id;
  if (e.type === "reaction_added") return reaction(body.event_id, e, ourBot);
  if (e.bot_id || e.subtype === "bot_message" || (ourBot && e.user === ourBot)) return { kind: "ignored", reason: "bot message" };
  // A file shared with a message is still a message; edits, joins and the like are not.
  if (e.subtype && e.subtype !== "file_share") return { kind: "ignored", reason: `message subtype ${e.subtype}` };
  const isMention = e.type === "app_mention";
  const isDirect = e.type === "message" && e.channel_type === "im";
  if (!isMention && !isDirect) return { kind: "ignored", reason: `event ${e.type}` };
  if (!e.channel || !e.ts || !e.user) return { kind: "unsupported", raw: json };
  const text = e.text ?? "";
  const files: Attachment[] = (e.files ?? []).slice(0, 20).map((f) => ({
    name: (f.name ?? f.title ?? "file").slice(0, 300),
    mimeType: (f.mimetype ?? "application/octet-stream").slice(0, 200),
    ...(f.size !== undefined && Number.isInteger(f.size) && f.size >= 0 ? { size: f.size } : {}),
    ...(f.url_private?.startsWith("https://") ? { ref: f.url_private.slice(0, 2000) } : {}),
  }));
  // A message that is nothing but markup (a bare mention) and no file says nothing to answer.
  if (!normalizeChannelText("slack", text) && files.length === 0) return { kind: "ignored", reason: "empty message" };
  return {
    kind: "message",
    eventId: body.event_id,
    teamId: body.team_id,
    channelId: e.channel,
    user: e.user,
    text,
    ts: e.ts,
    threadTs: e.thread_ts ?? null,
    files,
  };
}

/** Reactions that say an answer was good or bad; Slack names them without colons. */
const REACTION_OUTCOMES: Record<string, "success" | "error"> = {
  "+1": "success",
  thumbsup: "success",
  white_check_mark: "success",
  "-1": "error",
  thumbsdown: "error",
  x: "error",
};

function reaction(eventId: string, e: z.infer<typeof event>, ourBot: string | undefined): SlackInbound {
  const outcome = REACTION_OUTCOMES[(e.reaction ?? "").replace(/::skin-tone-\d$/, "")];
  if (!outcome) return { kind: "ignored", reason: `reaction ${e.reaction ?? ""}` };
  // Only reactions to the agent's own messages are feedback on its answers.
  if (e.item?.type !== "message" || !e.item.channel || !e.item.ts || !e.user || (ourBot && e.item_user !== ourBot)) {
    return { kind: "ignored", reason: "reaction on another message" };
  }
  return { kind: "reaction", eventId, channelId: e.item.channel, ts: e.item.ts, user: e.user, outcome, reaction: e.reaction ?? "" };
}
