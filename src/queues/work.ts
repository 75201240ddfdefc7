import { AppError } from "../core/errors";
import type { Clock } from "../core/clock";
import { slackApi, SlackApiError } from "../channels/slack/api";
import { slackMessage, splitForSlack, toMrkdwn } from "../channels/slack/format";
import { slackMessageKey } from "../channels/slack/keys";
import { EmailMessage } from "cloudflare:email";
import { buildReply } from "../core/mime";
import { sendSms, TwilioApiError } from "../channels/sms/api";
import { fitToSegments, segmentBudget } from "../channels/sms/segments";
import { deliverySecret } from "../channels/webhook";
import type { AgentView } from "../core/agent";
import { jsonLogger } from "../core/logger";
import { agentObject } from "../state/objects";
import { processMessage } from "../pipeline/process";
import { createServices, type Services } from "../pipeline/services";
import { type WorkMessage, workMessageSchema } from "../core/messages";

/** Shown in Slack while the answer is being worked on (`progress_tracking`). */
export const PROGRESS_TEXT = ":hourglass_flowing_sand: Working on it…";

/**
 * The `work` queue: messages of asynchronous channels. Each is answered through the pipeline
 * (whose claim makes a redelivered message replay its stored answer rather than call the model
 * again) and delivered to its channel once: delivery is claimed too. A transient failure is
 * retried with backoff and ends in the dead-letter queue; a malformed message is acked.
 */
/** How a raw email leaves: the `send_email` binding by default. */
export type EmailSender = (from: string, to: string, raw: string) => Promise<void>;

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
      services.logger.error("work_message_invalid", { id: msg.id });
      msg.ack();
      continue;
    }
    try {
      await handle(parsed.data, services, sendEmail);
      msg.ack();
    } catch (err) {
      services.logger.error("work_message_failed", { id: msg.id, attempts: msg.attempts, error: String(err) });
      if (err instanceof TwilioApiError && !err.retryable) {
        // The SMS may have been created: retrying could send (and bill) it twice.
        msg.ack();
        continue;
      }
      const retryAfter = err instanceof SlackApiError ? err.retryAfter : err instanceof AppError ? err.retryAfter : undefined;
      msg.retry({ delaySeconds: retryAfter ?? Math.min(300, 10 * 2 ** msg.attempts) });
    }
  }
}

async function handle(work: WorkMessage, services: Services, sendEmail: EmailSender): Promise<void> {
  const { env, clock } = services;
  const stub = agentObject(env, work.message.agentId);
  const view = (await stub.admit())?.view;
  if (!view) return; // The agent was deleted: nothing to answer for.
  const delivered = `delivered:${work.message.deliveryId}`;
  const claim = await stub.claim(delivered, clock.now());
  if (claim.kind !== "claimed") return;
  let sent: Sent;
  try {
    const agent = { stub, view };
    sent =
      work.reply.kind === "slack"
        ? await deliverSlack({ ...work, reply: work.reply }, agent, services)
        : work.reply.kind === "sms"
          ? await deliverSms({ ...work, reply: work.reply }, agent, services)
          : await deliverEmail({ ...work, reply: work.reply }, agent, services, sendEmail);
    await stub.complete(delivered, "{}", clock.now());
  } catch (err) {
    await stub.release(delivered);
    throw err;
  }
  // Audited after the fact: a failure here must not make the queue send the message again.
  await stub
    .recordEvents([
      {
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
    ])
    .catch((err: unknown) => services.logger.error("delivery_audit_failed", { deliveryId: work.message.deliveryId, error: String(err) }));
}

/** What a delivery did: the interaction it answered and how many messages went out (0: none, and why). */
interface Sent {
  interactionId: string;
  parts: number;
  reason?: string;
}

type With<K extends WorkMessage["reply"]["kind"]> = WorkMessage & { reply: Extract<WorkMessage["reply"], { kind: K }> };

/** The agent a queued message belongs to: its object and its view, read once per message. */
interface Agent {
  stub: ReturnType<typeof agentObject>;
  view: AgentView;
}

async function deliverSms(work: With<"sms">, { stub, view }: Agent, services: Services): Promise<Sent> {
  const [accountSid, authToken] = await Promise.all([
    deliverySecret(stub, { name: "twilio", field: "accountSid" }),
    deliverySecret(stub, { name: "twilio", field: "authToken" }),
  ]);
  const answer = await processMessage(services.pipeline(), work.message, view);
  const channel = view.record.config.channels.find((c) => c.type === "sms");
  const maxSegments = segmentBudget(channel?.type === "sms" ? channel : undefined);
  // The opt-out list is checked at the moment of sending: STOP may have come in meanwhile.
  if (await stub.smsOptedOut(work.reply.to)) return { interactionId: answer.interactionId, parts: 0, reason: "opted_out" };
  await sendSms({ baseUrl: services.env.TWILIO_API_URL, accountSid, authToken, from: work.reply.from, to: work.reply.to, body: fitToSegments(answer.text, maxSegments) });
  return { interactionId: answer.interactionId, parts: 1 };
}

async function deliverEmail(work: With<"email">, { view }: Agent, services: Services, sendEmail: EmailSender): Promise<Sent> {
  const answer = await processMessage(services.pipeline(), work.message, view);
  const channel = view.record.config.channels.find((c) => c.type === "email");
  const domain = work.reply.from.split("@")[1] ?? "foreman.local";
  const raw = buildReply({
    from: work.reply.from,
    to: work.reply.to,
    subject: work.reply.subject,
    inReplyTo: work.reply.inReplyTo,
    references: work.reply.references,
    text: answer.text,
    html: channel?.type === "email" && channel.features.includes("html"),
    messageId: `<${answer.interactionId}@${domain}>`,
    date: new Date(services.clock.now()),
  });
  await sendEmail(work.reply.from, work.reply.to, raw);
  return { interactionId: answer.interactionId, parts: 1 };
}

async function deliverSlack(work: With<"slack">, { stub, view }: Agent, services: Services): Promise<Sent> {
  const { clock } = services;
  const api = slackApi(services.env.SLACK_API_URL, await deliverySecret(stub, { name: "slack", field: "botToken" }));
  const features = view.record.config.channels.find((c) => c.type === "slack")?.features ?? [];
  const thread = work.reply.threadTs ?? undefined;

  let placeholder: { channel: string; ts: string } | undefined;
  if (features.includes("progress_tracking")) {
    placeholder = await api.postMessage({ channel: work.reply.channelId, text: PROGRESS_TEXT, ...(thread ? { thread_ts: thread } : {}) });
  }
  const onStep = placeholder
    ? async (_ctx: unknown, step: number, tools: string[]) => {
        if (tools.length === 0) return;
        await api
          .update({ channel: placeholder.channel, ts: placeholder.ts, text: `${PROGRESS_TEXT} (step ${step}: ${tools.join(", ")})` })
          .catch(() => {}); // Progress is a courtesy; the answer must not fail on it.
      }
    : undefined;

  const answer = await processMessage(services.pipeline({ onStep }), work.message, view);
  const chunks = splitForSlack(toMrkdwn(answer.text));
  for (const [i, chunk] of chunks.entries()) {
    const posted =
      i === 0 && placeholder
        ? await api.update({ channel: placeholder.channel, ts: placeholder.ts, ...slackMessage(chunk) })
        : await api.postMessage({ channel: work.reply.channelId, ...slackMessage(chunk), ...(thread ? { thread_ts: thread } : {}) });
    // Remember which interaction the message answers, so a 👍/👎 on it becomes feedback.
    const key = slackMessageKey(posted.channel, posted.ts);
    if ((await stub.claim(key, clock.now())).kind === "claimed") await stub.complete(key, answer.interactionId, clock.now());
  }
  return { interactionId: answer.interactionId, parts: chunks.length };
}
