import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleEmail } from "../../src/channels/email/handler";
import { systemClock } from "../../src/core/clock";
import type { WorkMessage } from "../../src/core/messages";
import { consumeWork } from "../../src/queues/work";
import { uniqueAgentId, putAgent } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";

/** An inbound message as Email Routing hands it to the worker (ForwardableEmailMessage). */
function inbound(raw: string, envelope: { from: string; to: string }) {
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

const crlf = (lines: string[]) => lines.join("\r\n");

function customerMail(opts: { messageId: string; text: string; extraHeaders?: string[]; from?: string; to: string; attachment?: boolean }) {
  const headers = [
    `From: Ana Customer <${opts.from ?? "ana@example.org"}>`,
    `To: ${opts.to}`,
    "Subject: Opening hours",
    `Message-ID: ${opts.messageId}`,
    "Date: Wed, 25 Nov 2026 09:00:00 +0000",
    "MIME-Version: 1.0",
    ...(opts.extraHeaders ?? []),
  ];
  if (!opts.attachment) return crlf([...headers, "Content-Type: text/plain; charset=utf-8", "", opts.text, ""]);
  return crlf([
    ...headers,
    'Content-Type: multipart/mixed; boundary="b1"',
    "",
    "--b1",
    "Content-Type: text/plain; charset=utf-8",
    "",
    opts.text,
    "--b1",
    'Content-Type: text/csv; name="order.csv"',
    'Content-Disposition: attachment; filename="order.csv"',
    "Content-Transfer-Encoding: base64",
    "",
    btoa("sku,qty\nA1,2\n"),
    "--b1--",
    "",
  ]);
}

async function emailAgent(features: string[] = ["html", "attachments"], smtp: Record<string, unknown> = {}) {
  const agentId = uniqueAgentId("mail").toLowerCase();
  await putAgent(agentId, { config: { channels: [{ type: "email", smtp: { from: `${agentId}@shop.example`, ...smtp }, features }] } });
  return agentId;
}

/** Runs the handler, then the work queue consumer, capturing the outgoing mail. */
async function deliver(message: ForwardableEmailMessage) {
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

describe("email channel", () => {
  it("answers a customer's mail with a reply that threads under it, text and HTML", async () => {
    const agentId = await emailAgent();
    await scriptModel(agentId, [{ type: "text", text: "We open at nine." }]);
    const text = "When do you open?\n\nThanks,\nAna\n\nOn Tue, Nov 24, 2026 at 9:00 AM Shop <shop@example.com> wrote:\n> Earlier message";
    const mail = customerMail({ messageId: "<m1@example.org>", text, to: `${agentId}@shop.example`, extraHeaders: ["References: <m0@example.org>", "In-Reply-To: <m0@example.org>"] });
    const { sent } = await deliver(inbound(mail, { from: "ana@example.org", to: `${agentId}@shop.example` }).message);
    expect(sent).toHaveLength(1);
    const reply = sent[0]!;
    expect(reply).toMatchObject({ from: `${agentId}@shop.example`, to: "ana@example.org" });
    expect(reply.raw).toContain("In-Reply-To: <m1@example.org>");
    expect(reply.raw).toContain("References: <m0@example.org> <m1@example.org>");
    expect(reply.raw).toContain("Subject: Re: Opening hours");
    expect(reply.raw).toContain("Content-Type: multipart/alternative");
    expect(reply.raw).toContain("Auto-Submitted: auto-replied");
    expect(reply.raw).toContain(btoa("We open at nine."));
    // The quoted history never reached the model.
    const [request] = await modelRequests(agentId);
    expect(JSON.stringify(request?.body)).not.toContain("Earlier message");
    expect(JSON.stringify(request?.body)).toContain("When do you open?");
  });

  it("keeps an attachment in R2 and tells the agent about it", async () => {
    const agentId = await emailAgent();
    const mail = customerMail({ messageId: "<m2@example.org>", text: "Here is my order.", to: `${agentId}@shop.example`, attachment: true });
    const { queued } = await deliver(inbound(mail, { from: "ana@example.org", to: `${agentId}@shop.example` }).message);
    expect(queued[0]?.message.text).toMatch(/\[Attachment: order\.csv \(text\/csv, 13 bytes\), saved as attachments\/[0-9a-f]+\/order\.csv\]/);
    const listed = await env.WORKSPACE.list({ prefix: `workspaces/${agentId}/attachments/` });
    expect(listed.objects).toHaveLength(1);
    expect(await (await env.WORKSPACE.get(listed.objects[0]!.key))?.text()).toBe("sku,qty\nA1,2\n");
  });

  it("never answers bounces, auto-replies or bulk mail", async () => {
    const agentId = await emailAgent();
    for (const [header, from] of [
      ["Auto-Submitted: auto-replied", "ana@example.org"],
      ["Precedence: bulk", "ana@example.org"],
      ["X-Autoreply: yes", "ana@example.org"],
      ["X-Mailer: test", "MAILER-DAEMON@example.org"],
    ] as const) {
      const mail = customerMail({ messageId: `<auto-${crypto.randomUUID()}@example.org>`, text: "I am out of office.", to: `${agentId}@shop.example`, extraHeaders: [header] });
      const { queued } = await deliver(inbound(mail, { from, to: `${agentId}@shop.example` }).message);
      expect(queued, header).toHaveLength(0);
    }
    expect(await modelRequests(agentId)).toHaveLength(0);
  });

  it("answers one delivery of a Message-ID once", async () => {
    const agentId = await emailAgent([]);
    const mail = customerMail({ messageId: "<dup@example.org>", text: "Hello?", to: `${agentId}@shop.example` });
    const first = await deliver(inbound(mail, { from: "ana@example.org", to: `${agentId}@shop.example` }).message);
    const again = await deliver(inbound(mail, { from: "ana@example.org", to: `${agentId}@shop.example` }).message);
    expect(first.sent).toHaveLength(1);
    expect(again.queued).toHaveLength(0);
    expect(await modelRequests(agentId)).toHaveLength(1);
  });

  it("honours the sender deny list and rejects mail for unknown agents", async () => {
    const agentId = await emailAgent([], { deny: ["spam.example"] });
    const mail = customerMail({ messageId: "<s@spam.example>", from: "x@spam.example", text: "Buy now", to: `${agentId}@shop.example` });
    expect((await deliver(inbound(mail, { from: "x@spam.example", to: `${agentId}@shop.example` }).message)).queued).toHaveLength(0);

    const unknown = inbound(customerMail({ messageId: "<u@example.org>", text: "hi", to: "nobody-here@shop.example" }), { from: "ana@example.org", to: "nobody-here@shop.example" });
    await handleEmail(unknown.message, { env, queue: { send: async () => {} }, clock: systemClock });
    expect(unknown.rejected).toEqual(["unknown recipient"]);
  });
});
