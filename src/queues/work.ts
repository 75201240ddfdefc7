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
 * transient failure is retried with backoff (`retryDelaySeconds`) and ends in the dead-letter
 * queue; on a delivery's first model outage the customer is told the answer is coming. A message is acked
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
      if (err instanceof AppError && err.code === "model_rejected") {
        // The model API refused the request itself (unknown model, bad key): every retry would
        // fail the same way and count against the agent again. Kept for a replay once fixed.
        await deadLetter(batch, msg, env, services);
        continue;
      }
      msg.retry({ delaySeconds: retryDelaySeconds(err, msg.attempts) });
    }
  }
}

/** The longest wait between two attempts at a queued message. */
export const MAX_RETRY_DELAY_S = 300;

/**
 * How long the queue waits before attempt `attempts + 1`: exponential backoff (20, 40, 80, 160,
 * 300 s after attempts 1 to 5), never less than the `retry-after` the failure asked for, never
 * more than 5 minutes. With the consumer's `max_retries = 5` (6 attempts, wrangler.toml), a model
 * outage of up to about 10 minutes is ridden out before the message becomes a dead letter.
 * Other failures that name their own wait (a busy conversation, Slack's rate limit) get just that.
 */
export function retryDelaySeconds(err: unknown, attempts: number): number {
  const backoff = Math.min(MAX_RETRY_DELAY_S, 10 * 2 ** Math.max(1, attempts));
  const retryAfter = err instanceof SlackApiError ? err.retryAfter : err instanceof AppError ? err.retryAfter : undefined;
  if (isModelOutage(err)) return Math.min(MAX_RETRY_DELAY_S, Math.max(retryAfter ?? 0, backoff));
  return Math.min(MAX_RETRY_DELAY_S, retryAfter ?? backoff);
}

/** The model API was down (429, 5xx, 529, no connection): the provider's outage, not the agent's fault. */
function isModelOutage(err: unknown): boolean {
  return err instanceof AppError && err.code === "model_unavailable";
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
    memo: opened.progress ? { progress: opened.progress } : {},
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
      const outage = isModelOutage(err);
      const { hold } = await stub.abandonDelivery({ deliveryId: work.message.deliveryId, ...(base.memo.progress ? { progress: base.memo.progress } : {}), outage, now: clock.now() });
      // Told once per delivery, on its first outage; the note was kept first, so never twice.
      if (hold && adapter.hold) {
        await adapter.hold(base).catch((holdErr: unknown) => services.logger.warn("holding_notice_failed", { deliveryId: work.message.deliveryId, error: String(holdErr) }));
      }
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
