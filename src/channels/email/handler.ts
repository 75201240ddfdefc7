import type { AgentConfig } from "../../config";
import type { AgentView } from "../../core/agent";
import type { Clock } from "../../core/clock";
import type { Logger } from "../../core/logger";
import { sha256Hex } from "../../core/crypto";
import type { Attachment, NormalizedMessage } from "../../core/types";
import { type WorkMessage, workMessageSchema } from "../../core/messages";
import { attachmentsPrefix } from "../../llm/tools";
import { agentExists } from "../../state/agent-directory";
import { agentObject } from "../../state/objects";
import { prepareText, withAttachmentNotes } from "../normalize";
import { agentIdForRecipient, type InboundEmail, MAX_EMAIL_ATTACHMENTS, parseEmail, senderAllowed } from "./parse";

/** Larger mail is refused at the SMTP level; customers' questions are far smaller. */
export const MAX_EMAIL_BYTES = 10 * 1024 * 1024;
/** Text given to the agent from one email. */
const MAX_EMAIL_TEXT = 32_000;
/** Subjects are short; a longer one is cut so the queued message stays within the queue's size. */
const MAX_SUBJECT = 1000;

/**
 * An email conversation: the verified sender and the thread's first Message-ID, hashed. Tying it
 * to the sender means a stranger who quotes someone else's Message-ID in `References` starts a
 * conversation of their own instead of reading the other customer's turns.
 */
export async function emailConversationKey(sender: string, thread: string): Promise<string> {
  return (await sha256Hex(`${sender.toLowerCase()}\u0000${thread}`)).slice(0, 32);
}

export interface EmailDeps {
  env: Pick<Env, "AGENT_STATE" | "WORKSPACE" | "CACHE" | "DB">;
  queue: { send(message: WorkMessage): Promise<unknown> };
  clock: Clock;
  logger?: Logger;
}

/**
 * The worker's `email()` handler (Cloudflare Email Routing). Routes by recipient
 * (`<agentId>@domain` or `name+<agentId>@domain`), refuses unknown recipients, drops bounces,
 * auto-replies, bulk mail and denied senders without answering, claims the Message-ID, keeps
 * attachments in R2 (with `attachments`, under the conversation's own prefix), and queues the new
 * text of the message; the reply is sent from the `work` queue, to the verified sender only
 * (sender.ts).
 */
export async function handleEmail(message: ForwardableEmailMessage, deps: EmailDeps): Promise<void> {
  const agentId = agentIdForRecipient(message.to);
  // An unknown recipient never reaches (and so never creates) an agent's object.
  const known = agentId !== null && (await agentExists(deps.env, agentId));
  const stub = agentId && known ? agentObject(deps.env, agentId) : null;
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
    deps.logger?.info("email_sender_refused", { agentId, basis: mail.senderBasis });
    return;
  }
  const now = deps.clock.now();
  const messageId = mail.messageId ?? `<${(await sha256Hex(new TextDecoder().decode(raw))).slice(0, 32)}@foreman.local>`;
  const receipt = `email:${messageId}`;
  if (!(await stub.receive(receipt, now))) return;
  try {
    const work = await queuedWork(deps, { agentId, agent, channel, mail, messageId, now, to: message.to });
    if (!work) return;
    const checked = workMessageSchema.safeParse(work);
    if (!checked.success) {
      // The consumer could not read it: refuse the mail (the sender is told) rather than queue it.
      deps.logger?.error("email_work_invalid", { agentId, issues: checked.error.issues.map((i) => i.path.join(".")) });
      await stub.forget(receipt);
      message.setReject("message could not be processed");
      return;
    }
    await deps.queue.send(work);
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
  const thread = mail.references[0] ?? mail.inReplyTo ?? messageId;
  const conversationKey = await emailConversationKey(mail.from, thread);
  const attachments: Attachment[] = [];
  if (mail.attachments.length > 0) {
    const folder = (await sha256Hex(messageId)).slice(0, 24);
    // Kept under the conversation's prefix, outside the agent's workspace: only a model turn of this conversation can open them (src/llm/tools.ts).
    const prefix = await attachmentsPrefix(agentId, { channel: "email", key: conversationKey });
    for (const [i, a] of mail.attachments.entries()) {
      const name = a.filename.replace(/[^\w.-]+/g, "_").slice(0, 100) || `attachment-${i}`;
      const kept = channel.features.includes("attachments");
      if (kept) {
        await deps.env.WORKSPACE.put(`${prefix}${folder}/${name}`, a.content, { httpMetadata: { contentType: a.mimeType } });
      }
      attachments.push({ name, mimeType: a.mimeType, size: a.size, ...(kept ? { ref: `attachments/${folder}/${name}` } : {}) });
    }
  }
  const body = prepareText(agent.record.config.messageHandling.normalizeInput, "email", mail.text);
  const leftOut = mail.attachmentsLeftOut > 0 ? `[${mail.attachmentsLeftOut} more attachment${mail.attachmentsLeftOut === 1 ? "" : "s"} not kept: at most ${MAX_EMAIL_ATTACHMENTS} per email]` : "";
  const notes = [withAttachmentNotes("", attachments), leftOut].filter(Boolean).join("\n");
  const question = [mail.subject ? `Subject: ${mail.subject.slice(0, MAX_SUBJECT)}` : "", body].filter(Boolean).join("\n\n");
  // The notes are kept whole and the text cut first, so the agent always learns what was attached.
  const text = [question.slice(0, Math.max(0, MAX_EMAIL_TEXT - notes.length - 2)), notes].filter(Boolean).join("\n\n");
  if (!text.trim()) return null;
  const normalized: NormalizedMessage = {
    agentId,
    channel: "email",
    deliveryId: messageId,
    conversationKey,
    thread,
    ...(attachments.length > 0 ? { attachments } : {}),
    sender: mail.from,
    text,
    receivedAt: now,
    ...(mail.subject ? { subject: mail.subject.slice(0, MAX_SUBJECT) } : {}),
    ...(mail.priority ? { priority: mail.priority.slice(0, 200) } : {}),
  };
  const work: WorkMessage = {
    type: "channel_message",
    message: normalized,
    reply: {
      kind: "email",
      from: channel.smtp?.from ?? to,
      // The verified sender (never Reply-To): the agent's answer goes to whoever really wrote.
      to: mail.from,
      subject: mail.subject.slice(0, MAX_SUBJECT),
      inReplyTo: messageId,
      references: [...mail.references, messageId].slice(-20),
    },
  };
  return work;
}
