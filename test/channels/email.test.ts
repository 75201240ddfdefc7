import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { handleEmail } from "../../src/channels/email/handler";
import { systemClock } from "../../src/core/clock";
import { customerMail, deliver, emailAgent, inbound } from "../support/email";
import { modelRequests, scriptModel } from "../support/model";

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
    const listed = await env.WORKSPACE.list({ prefix: `attachments/${agentId}/` });
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
    // ...without creating an object for the address.
    const wanted = env.AGENT_STATE.idFromName("nobody-here").toString();
    expect((await listDurableObjectIds(env.AGENT_STATE)).some((id) => id.toString() === wanted)).toBe(false);
  });
});
