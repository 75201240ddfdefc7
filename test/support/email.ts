import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { handleEmail } from "../../src/channels/email/handler";
import { systemClock } from "../../src/core/clock";
import type { WorkMessage } from "../../src/core/messages";
import { consumeWork } from "../../src/queues/work";
import { putAgent, uniqueAgentId } from "./agents";

/** An inbound message as Email Routing hands it to the worker (ForwardableEmailMessage). */
export function inbound(raw: string, envelope: { from: string; to: string }) {
  const rejected: string[] = [];
  const bytes = new TextEncoder().encode(raw);
  const message = {
    from: envelope.from,
    to: envelope.to,
    headers: new Headers(),
    raw: new Response(bytes).body!,
    rawSize: bytes.byteLength,
    setReject: (reason: string) => void rejected.push(reason),
    forward: async () => {},
    reply: async () => {},
  } as unknown as ForwardableEmailMessage;
  return { message, rejected };
}

export const crlf = (lines: string[]) => lines.join("\r\n");

/** One attachment part of a multipart/mixed message. */
export interface TestAttachment {
  name: string;
  type: string;
  content: string;
}

const ORDER_CSV: TestAttachment = { name: "order.csv", type: "text/csv", content: "sku,qty\nA1,2\n" };

/** A customer's message; `from` is the From header (display name added), the envelope is given to `inbound` separately. */
export function customerMail(opts: {
  messageId: string;
  text: string;
  extraHeaders?: string[];
  from?: string;
  to: string;
  subject?: string;
  attachment?: boolean;
  attachments?: TestAttachment[];
}) {
  const headers = [
    `From: Ana Customer <${opts.from ?? "ana@example.org"}>`,
    `To: ${opts.to}`,
    `Subject: ${opts.subject ?? "Opening hours"}`,
    `Message-ID: ${opts.messageId}`,
    "Date: Wed, 25 Nov 2026 09:00:00 +0000",
    "MIME-Version: 1.0",
    ...(opts.extraHeaders ?? []),
  ];
  const files = opts.attachments ?? (opts.attachment ? [ORDER_CSV] : []);
  if (files.length === 0) return crlf([...headers, "Content-Type: text/plain; charset=utf-8", "", opts.text, ""]);
  return crlf([
    ...headers,
    'Content-Type: multipart/mixed; boundary="b1"',
    "",
    "--b1",
    "Content-Type: text/plain; charset=utf-8",
    "",
    opts.text,
    ...files.flatMap((f) => [
      "--b1",
      `Content-Type: ${f.type}; name="${f.name}"`,
      `Content-Disposition: attachment; filename="${f.name}"`,
      "Content-Transfer-Encoding: base64",
      "",
      btoa(f.content),
    ]),
    "--b1--",
    "",
  ]);
}

export async function emailAgent(features: string[] = ["html", "attachments"], smtp: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
  const agentId = uniqueAgentId("mail").toLowerCase();
  await putAgent(agentId, { config: { ...config, channels: [{ type: "email", smtp: { from: `${agentId}@shop.example`, ...smtp }, features }] } });
  return agentId;
}

/** Runs the handler, then the work queue consumer, capturing the outgoing mail. */
export async function deliver(message: ForwardableEmailMessage) {
  const queued: WorkMessage[] = [];
  await handleEmail(message, { env, queue: { send: async (m) => void queued.push(m) }, clock: systemClock });
  const sent: Array<{ from: string; to: string; raw: string }> = [];
  if (queued.length > 0) {
    const batch = createMessageBatch("foreman-work", queued.map((body, i) => ({ id: `w${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })));
    const ctx = createExecutionContext();
    await consumeWork(batch, env, systemClock, ctx, async (from, to, raw) => void sent.push({ from, to, raw }));
    await getQueueResult(batch, ctx);
  }
  return { queued, sent };
}
