import { EmailMessage } from "cloudflare:email";
import type { EmailSender, Sent } from "../channels/adapter";
import { deliveryAdapter } from "../channels/registry";
import { SlackApiError } from "../channels/slack/api";
import { TwilioApiError } from "../channels/sms/api";
import type { Clock } from "../core/clock";
import { AppError } from "../core/errors";
import { jsonLogger } from "../core/logger";
import { type ReplyTarget, type WorkMessage, workMessageSchema } from "../core/messages";
import type { Answer } from "../core/types";
import { isRateLimited, processMessage, RATE_LIMIT_NOTICE, senderKeyOf } from "../pipeline/process";
import { createServices, type Services } from "../pipeline/services";
import { agentObject } from "../state/objects";
import { consumeDeadLetters } from "./consumer";

export type { EmailSender } from "../channels/adapter";
export { PROGRESS_TEXT } from "../channels/slack/deliver";

/**
 * The `work` queue: messages of asynchronous channels. Each is answered through the pipeline
 * (whose claim makes a redelivered message replay its stored answer rather than call the model
 * again) and delivered to its channel once, by the channel's adapter: sending is claimed too. A
 * transient failure is retried with backoff and ends in the dead-letter queue. A message is acked
 * only once it was handled or kept as a dead letter: a malformed one, or one whose failure must
 * not be retried, is written to the dead letters at once (and retried if even that fails).
 */
export async function consumeWork(
  batch: MessageBatch<unknown>,
  env: Env,
  clock: Clock,
  ctx: ExecutionContext,
  sendEmail: EmailSender = async (from, to, raw) => {
    await env.EMAIL.send(new EmailMessage(from, to, raw));
  },
): Promise<void> {
  const services = createServices(env, { clock, logger: jsonLogger({ queue: batch.queue }), defer: (p) => ctx.waitUntil(p) });
  for (const msg of batch.messages) {
    const parsed = workMessageSchema.safeParse(msg.body);
    if (!parsed.success) {
      services.logger.error("work_message_invalid", { id: msg.id, issues: parsed.error.issues.map((i) => i.path.join(".")) });
      await deadLetter(batch, msg, env, services);
      continue;
    }
    try {
      await deliver(parsed.data, services, sendEmail);
      msg.ack();
    } catch (err) {
      services.logger.error("work_message_failed", { id: msg.id, attempts: msg.attempts, error: String(err) });
      if (err instanceof TwilioApiError && !err.retryable) {
        // The SMS may have been created: retrying could send (and bill) it twice.
        await deadLetter(batch, msg, env, services);
        continue;
      }
      const retryAfter = err instanceof SlackApiError ? err.retryAfter : err instanceof AppError ? err.retryAfter : undefined;
      msg.retry({ delaySeconds: retryAfter ?? Math.min(300, 10 * 2 ** msg.attempts) });
    }
  }
}

/** The rate-limit notice, as the fallback answer it is: no model, no cost, not an interaction. */
function notice(): Answer {
  return { interactionId: crypto.randomUUID(), text: RATE_LIMIT_NOTICE, tier: "fallback", costMicros: 0, trustLevel: 0 };
}

/** A message over the rate limits that was not answered (its sender was told already). */
const unanswered = (): Sent => ({ interactionId: crypto.randomUUID(), parts: 0, reason: "rate_limited", links: [] });

/** Keeps a message that must not be retried as a dead letter now (the dead-letter consumer acks it once stored, or retries it). */
async function deadLetter(batch: MessageBatch<unknown>, msg: Message<unknown>, env: Env, services: Services): Promise<void> {
  const one: MessageBatch<unknown> = { queue: batch.queue, metadata: batch.metadata, messages: [msg], ackAll: () => msg.ack(), retryAll: (options) => msg.retry(options) };
  await consumeDeadLetters(one, env, services.logger);
}

/**
 * One queued message, in round trips to its agent's object: `openDelivery` (the view, the
 * adapter's credentials and the claim on sending), the answer's own (`reserveCall`, `finish`),
 * and `closeDelivery` (sent, its links, its audit event).
 */
async function deliver<K extends ReplyTarget["kind"]>(work: WorkMessage, services: Services, sendEmail: EmailSender): Promise<void> {
  const { env, clock } = services;
  const adapter = deliveryAdapter(work.reply.kind as K);
  const stub = agentObject(env, work.message.agentId);
  const opened = await stub.openDelivery({
    deliveryId: work.message.deliveryId,
    secrets: adapter.deliverySecrets,
    now: clock.now(),
    senderKey: await senderKeyOf(work.message),
  });
  if (!opened) return; // The agent was deleted: nothing to answer for.
  if (opened.claim !== "claimed") return; // Sent, or being sent, by another delivery of this message.
  const base = {
    work: work as WorkMessage & { reply: Extract<ReplyTarget, { kind: K }> },
    view: opened.view,
    secrets: opened.secrets,
    env,
    clock,
    sendEmail,
    smsOptedOut: (number: string) => stub.smsOptedOut(number),
  };
  let sent: Sent;
  try {
    if (opened.limited) {
      // Over the rate limits: no model call; the sender is told once per window, then nothing.
      sent = opened.limited.notify ? await adapter.deliver({ ...base, immediate: true, answer: async () => notice() }) : unanswered();
    } else {
      sent = await adapter.deliver({
        ...base,
        immediate: false,
        answer: (hooks = {}) =>
          processMessage(services.pipeline(hooks.onStep ? { onStep: (_ctx, step, tools) => hooks.onStep!(step, tools) } : {}), work.message, opened.view),
      });
    }
  } catch (err) {
    if (isRateLimited(err)) {
      // Limited between the delivery's check and the claim: nothing was answered, nothing is retried.
      sent = unanswered();
    } else {
      await stub.abandonDelivery(work.message.deliveryId);
      throw err;
    }
  }
  // Kept after the fact: a failure here must not make the queue send the message again.
  await stub
    .closeDelivery({
      deliveryId: work.message.deliveryId,
      links: sent.links,
      now: clock.now(),
      event: {
        level: "standard",
        event: {
          at: clock.now(),
          actor: "agent",
          action: sent.parts > 0 ? "message.delivered" : "message.not_delivered",
          resource: sent.interactionId,
          decision: "recorded",
          details: { channel: work.message.channel, parts: sent.parts, ...(sent.reason ? { reason: sent.reason } : {}) },
        },
      },
    })
    .catch((err: unknown) => services.logger.error("delivery_close_failed", { deliveryId: work.message.deliveryId, error: String(err) }));
}
