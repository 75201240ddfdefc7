import { Hono } from "hono";
import { prepareText, withAttachmentNotes } from "../normalize";
import { AppError } from "../../core/errors";
import type { NormalizedMessage } from "../../core/types";
import { parseJson, readBodyLimited } from "../../http/body";
import type { AppEnv } from "../../http/context";
import type { WorkMessage } from "../../core/messages";
import { sendFeedback } from "../../pipeline/interaction";
import { verifiedAgent } from "../webhook";
import { slackMessageKey } from "./keys";
import { parseSlackEvent } from "./parse";
import { verifySlackRequest } from "./verify";

/** Slack's payloads are small; anything near this is not an Events API delivery. */
const MAX_SLACK_BODY_BYTES = 256 * 1024;

const REJECTIONS = {
  missing_signature: "X-Slack-Signature and X-Slack-Request-Timestamp are required",
  malformed_timestamp: "X-Slack-Request-Timestamp must be Unix seconds",
  stale_timestamp: "X-Slack-Request-Timestamp is more than 5 minutes from now",
  bad_signature: "signature does not match",
} as const;

/**
 * `POST /webhooks/:agentId/slack`: the Events API request URL. Verifies the signature, answers
 * `url_verification`, claims the `event_id` (Slack retries at once, after 1 and 5 minutes: a
 * retry is acknowledged and dropped), queues the message for the `work` queue and acknowledges
 * within Slack's 3 seconds. The answer is posted from the queue.
 */
export const slackRoutes = new Hono<AppEnv>().post("/webhooks/:agentId/slack", async (c) => {
  const rawBody = await readBodyLimited(c.req.raw, MAX_SLACK_BODY_BYTES);
  const now = c.var.clock.now();
  const { agentId, stub, agent } = await verifiedAgent(c, {
    channel: "slack",
    secret: { name: "slack", field: "signingSecret" },
    verify: (signingSecret) =>
      verifySlackRequest({
        signingSecret,
        timestamp: c.req.header("x-slack-request-timestamp"),
        signature: c.req.header("x-slack-signature"),
        rawBody,
        nowSeconds: Math.floor(now / 1000),
      }),
    messages: REJECTIONS,
  });

  const inbound = parseSlackEvent(parseJson(rawBody));
  if (inbound.kind === "unsupported") throw new AppError("invalid_request", "body is not a Slack Events API payload");
  if (inbound.kind === "challenge") return c.json({ challenge: inbound.challenge });
  if (inbound.kind === "ignored") return c.body(null, 200);
  if (inbound.kind === "reaction") {
    // Which interaction a message of ours answered is remembered when it is posted.
    const interactionId = await stub.reactionFeedback({
      linkKey: slackMessageKey(inbound.channelId, inbound.ts),
      receipt: `slack-event:${inbound.eventId}`,
      outcome: inbound.outcome,
      note: `Slack reaction :${inbound.reaction}: by ${inbound.user}`,
      actor: "customer:slack",
      now,
    });
    if (interactionId) await sendFeedback(c.var.services.pipeline(), { agentId: agent.record.agentId, interactionId, outcome: inbound.outcome, at: now });
    return c.body(null, 200);
  }
  const channel = agent.record.config.channels.find((ch) => ch.type === "slack");
  if (!channel) throw new AppError("not_found", "this agent has no Slack channel configured");

  // The event id is recorded at receipt, so a retry that arrives before the answer is not queued twice.
  const receipt = `slack-event:${inbound.eventId}`;
  if (!(await stub.receive(receipt, now))) return c.body(null, 200);

  const thread = inbound.threadTs ?? inbound.ts;
  const message: NormalizedMessage = {
    agentId,
    channel: "slack",
    deliveryId: inbound.eventId,
    // A thread is a conversation; a direct message without a thread continues the DM.
    conversationKey: `${inbound.teamId}:${inbound.channelId}:${channel.features.includes("threading") ? thread : "main"}`,
    sender: inbound.user,
    text: withAttachmentNotes(prepareText(agent.record.config.messageHandling.normalizeInput, "slack", inbound.text), inbound.files),
    ...(inbound.threadTs ? { thread: inbound.threadTs } : {}),
    ...(inbound.files.length > 0 ? { attachments: inbound.files } : {}),
    receivedAt: now,
  };
  const work: WorkMessage = {
    type: "channel_message",
    message,
    reply: { kind: "slack", channelId: inbound.channelId, ts: inbound.ts, threadTs: channel.features.includes("threading") ? thread : null },
  };
  try {
    await c.env.WORK_QUEUE.send(work);
  } catch (err) {
    // Not acknowledged: Slack retries, and the forgotten receipt lets the retry through.
    await stub.forget(receipt);
    throw err;
  }
  return c.body(null, 200);
});
