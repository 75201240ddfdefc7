import { Hono } from "hono";
import { AppError } from "../../core/errors";
import type { NormalizedMessage } from "../../core/types";
import { readBodyLimited } from "../../http/body";
import type { AppEnv } from "../../http/context";
import type { WorkMessage } from "../../core/messages";
import { verifiedAgent } from "../webhook";
import { isRateLimited, processIfCheap, RATE_LIMIT_NOTICE } from "../../pipeline/process";
import { prepareText, withAttachmentNotes } from "../normalize";
import { smsKeyword } from "./keywords";
import { parseTwilioForm } from "./parse";
import { fitToSegments, segmentBudget } from "./segments";
import { verifyTwilioRequest } from "./verify";

const MAX_SMS_BODY_BYTES = 64 * 1024;
const HELP_REPLY = "Reply STOP to stop messages, START to resume. Write to this number for help.";

function twiml(message?: string): Response {
  const escaped = message?.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const body = `<?xml version="1.0" encoding="UTF-8"?><Response>${escaped ? `<Message>${escaped}</Message>` : ""}</Response>`;
  return new Response(body, { headers: { "content-type": "text/xml; charset=utf-8" } });
}

/**
 * `POST /webhooks/:agentId/sms`: Twilio's messaging webhook. Verifies `X-Twilio-Signature`
 * over the public URL and every form parameter, claims the `MessageSid` (status callbacks are
 * keyed separately), and handles STOP/START/HELP before the agent. An answer a rule or cache
 * can give at once comes back as TwiML; anything else is queued and its answer goes out
 * through the Messages API, with an empty TwiML reply here.
 */
export const smsRoutes = new Hono<AppEnv>().post("/webhooks/:agentId/sms", async (c) => {
  const raw = await readBodyLimited(c.req.raw, MAX_SMS_BODY_BYTES);
  const params = [...new URLSearchParams(raw).entries()];
  const requestUrl = new URL(c.req.url);
  const url = c.env.PUBLIC_BASE_URL ? `${c.env.PUBLIC_BASE_URL.replace(/\/$/, "")}${requestUrl.pathname}${requestUrl.search}` : c.req.url;
  const { agentId, stub, agent } = await verifiedAgent(c, {
    channel: "sms",
    secret: { name: "twilio", field: "authToken" },
    verify: async (authToken) =>
      (await verifyTwilioRequest({ authToken, url, params, signature: c.req.header("x-twilio-signature") })) ? { ok: true } : { ok: false, reason: "bad_signature" },
    messages: { bad_signature: "X-Twilio-Signature does not match" },
  });
  const inbound = parseTwilioForm(params);
  if (inbound.kind === "unsupported") throw new AppError("invalid_request", inbound.reason);
  const now = c.var.clock.now();
  if (inbound.kind === "status") {
    // A status callback: recorded once per status, never answered.
    await stub.receive(`sms-status:${inbound.sid}:${inbound.status}`, now);
    return c.body(null, 204);
  }
  const { sid, from, to, body, media } = inbound;
  const channel = agent.record.config.channels.find((ch) => ch.type === "sms");
  if (!channel) throw new AppError("not_found", "this agent has no SMS channel configured");

  const receipt = `sms-receipt:${sid}`;
  const keyword = smsKeyword(body);
  // The receipt, STOP/START and the opt-out check, in one round trip.
  const books = await stub.smsInbound({ receipt, from, keyword, now });
  if (!books.fresh) return twiml();
  let reply: Response;
  if (keyword === "stop" || keyword === "start") {
    reply = twiml(); // Twilio sends the carrier's opt-out confirmation itself.
  } else if (keyword === "help") {
    reply = twiml(HELP_REPLY);
  } else if ((!body && media.length === 0) || books.optedOut) {
    reply = twiml();
  } else {
    const message: NormalizedMessage = {
      agentId,
      channel: "sms",
      deliveryId: sid,
      // One conversation per pair of numbers.
      conversationKey: `${to}:${from}`,
      sender: from,
      text: withAttachmentNotes(prepareText(agent.record.config.messageHandling.normalizeInput, "sms", body), media),
      ...(media.length > 0 ? { attachments: media } : {}),
      receivedAt: now,
    };
    try {
      // Rules and caches answer at once, in the TwiML reply; the rest waits for the model in the queue.
      const quick = await processIfCheap(c.var.services.pipeline(), message, agent);
      if (quick) {
        reply = twiml(fitToSegments(quick.text, segmentBudget(channel)));
      } else {
        const work: WorkMessage = { type: "channel_message", message, reply: { kind: "sms", from: to, to: from } };
        await c.env.WORK_QUEUE.send(work);
        reply = twiml();
      }
    } catch (err) {
      // Over the rate limits: told once per window, and the message is not answered.
      if (isRateLimited(err)) return twiml(err.details.notify ? RATE_LIMIT_NOTICE : undefined);
      // Not answered: Twilio retries, and the forgotten receipt lets the retry through.
      await stub.forget(receipt);
      throw err;
    }
  }
  return reply;
});
