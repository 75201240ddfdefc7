import type { AgentConfig } from "../../config";
import type { AgentView } from "../../core/agent";
import type { Clock } from "../../core/clock";
import type { Logger } from "../../core/logger";
import { sha256Hex } from "../../core/crypto";
import type { Attachment, NormalizedMessage } from "../../core/types";
import type { WorkMessage } from "../../core/messages";
import { agentObject } from "../../state/objects";
import { prepareText, withAttachmentNotes } from "../normalize";
import { agentIdForRecipient, type InboundEmail, parseEmail, senderAllowed } from "./parse";

/** Larger mail is refused at the SMTP level; customers' questions are far smaller. */
export const MAX_EMAIL_BYTES = 10 * 1024 * 1024;
/** Text given to the agent from one email. */
const MAX_EMAIL_TEXT = 32_000;

export interface EmailDeps {
  env: Pick<Env, "AGENT_STATE" | "WORKSPACE">;
  queue: { send(message: WorkMessage): Promise<unknown> };
  clock: Clock;
  logger?: Logger;
}

/**
 * The worker's `email()` handler (Cloudflare Email Routing). Routes by recipient
 * (`<agentId>@domain` or `name+<agentId>@domain`), refuses unknown recipients, drops bounces,
 * auto-replies, bulk mail and denied senders without answering, claims the Message-ID, keeps
 * attachments in R2 (with `attachments`), and queues the new text of the message; the reply is
 * sent from the `work` queue.
 */
export async function handleEmail(message: ForwardableEmailMessage, deps: EmailDeps): Promise<void> {
  const agentId = agentIdForRecipient(message.to);
  const stub = agentId ? agentObject(deps.env, agentId) : null;
  const agent = stub ? (await stub.admit())?.view : undefined;
  const channel = agent?.record.config.channels.find((c) => c.type === "email");
  if (!agentId || !stub || !agent || channel?.type !== "email") {
    message.setReject("unknown recipient");
    return;
  }
  if (message.rawSize > MAX_EMAIL_BYTES) {
    message.setReject("message too large");
    return;
  }
  const raw = await new Response(message.raw).arrayBuffer();
  const mail = await parseEmail(raw, message.from);
  if (mail.automated) {
    deps.logger?.info("email_not_answered", { agentId, reason: mail.automated });
    return;
  }
  if (!senderAllowed(mail.from, channel.smtp?.allow, channel.smtp?.deny)) {
    deps.logger?.info("email_sender_refused", { agentId });
    return;
  }
  const now = deps.clock.now();
  const messageId = mail.messageId ?? `<${(await sha256Hex(new TextDecoder().decode(raw))).slice(0, 32)}@foreman.local>`;
  const receipt = `email:${messageId}`;
  if (!(await stub.receive(receipt, now))) return;
  try {
    const work = await queuedWork(deps, { agentId, agent, channel, mail, messageId, now, to: message.to });
    if (work) await deps.queue.send(work);
  } catch (err) {
    // Thrown: the sending server gets a temporary failure and tries again later.
    await stub.forget(receipt);
    throw err;
  }
}

/** What the work queue gets for an inbound email: its attachments kept in R2 first; null when there is nothing to answer. */
async function queuedWork(
  deps: EmailDeps,
  input: { agentId: string; agent: AgentView; channel: Extract<AgentConfig["channels"][number], { type: "email" }>; mail: InboundEmail; messageId: string; now: number; to: string },
): Promise<WorkMessage | null> {
  const { agentId, agent, channel, mail, messageId, now, to } = input;
  const attachments: Attachment[] = [];
  if (mail.attachments.length > 0) {
    const folder = (await sha256Hex(messageId)).slice(0, 24);
    for (const [i, a] of mail.attachments.entries()) {
      const name = a.filename.replace(/[^\w.-]+/g, "_").slice(0, 100) || `attachment-${i}`;
      const kept = channel.features.includes("attachments");
      if (kept) {
        await deps.env.WORKSPACE.put(`workspaces/${agentId}/attachments/${folder}/${name}`, a.content, { httpMetadata: { contentType: a.mimeType } });
      }
      attachments.push({ name, mimeType: a.mimeType, size: a.size, ...(kept ? { ref: `attachments/${folder}/${name}` } : {}) });
    }
  }
  const body = prepareText(agent.record.config.messageHandling.normalizeInput, "email", mail.text);
  const text = withAttachmentNotes([mail.subject ? `Subject: ${mail.subject}` : "", body].filter(Boolean).join("\n\n"), attachments).slice(0, MAX_EMAIL_TEXT);
  if (!text.trim()) return null;
  const thread = mail.references[0] ?? mail.inReplyTo ?? messageId;
  const normalized: NormalizedMessage = {
    agentId,
    channel: "email",
    deliveryId: messageId,
    // The thread's first message identifies the conversation.
    conversationKey: thread,
    thread,
    ...(attachments.length > 0 ? { attachments } : {}),
    sender: mail.from,
    text,
    receivedAt: now,
    ...(mail.subject ? { subject: mail.subject.slice(0, 1000) } : {}),
    ...(mail.priority ? { priority: mail.priority.slice(0, 200) } : {}),
  };
  const work: WorkMessage = {
    type: "channel_message",
    message: normalized,
    reply: {
      kind: "email",
      from: channel.smtp?.from ?? to,
      to: mail.from,
      subject: mail.subject,
      inReplyTo: messageId,
      references: [...mail.references, messageId].slice(-20),
    },
  };
  return work;
}
