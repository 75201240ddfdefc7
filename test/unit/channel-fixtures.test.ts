import { describe, expect, it } from "vitest";
import { agentIdForRecipient, parseEmail } from "../../src/channels/email/parse";
import { normalizeChannelText, prepareText } from "../../src/channels/normalize";
import { parseSlackEvent } from "../../src/channels/slack/parse";
// Provider payloads as they arrive on the wire (test/fixtures/): imported with `?raw`, since
// tests run inside workerd and cannot read files at runtime.
import multipartAlternativeEml from "../fixtures/email/multipart_alternative.eml?raw";
import plainReplyEml from "../fixtures/email/plain_reply.eml?raw";
import withAttachmentEml from "../fixtures/email/with_attachment.eml?raw";
import appMentionJson from "../fixtures/slack/app_mention.json?raw";
import botMessageIntegrationJson from "../fixtures/slack/bot_message_integration.json?raw";
import botMessageOwnReplyJson from "../fixtures/slack/bot_message_own_reply.json?raw";
import messageFileShareJson from "../fixtures/slack/message_file_share.json?raw";
import messageImJson from "../fixtures/slack/message_im.json?raw";
import reactionAddedJson from "../fixtures/slack/reaction_added.json?raw";
import urlVerificationJson from "../fixtures/slack/url_verification.json?raw";
import inboundMms from "../fixtures/twilio/inbound_mms.txt?raw";
import inboundSms from "../fixtures/twilio/inbound_sms.txt?raw";
import statusCallback from "../fixtures/twilio/status_callback.txt?raw";

const BOT_USER = "U06FRMNB0T1";

describe("Slack Events API fixtures through parseSlackEvent", () => {
  it("answers url_verification with its challenge", () => {
    expect(parseSlackEvent(JSON.parse(urlVerificationJson))).toEqual({
      kind: "challenge",
      challenge: "p4Xo2nVq8sLk1RmT6yUw3ZaB5cD7eF9gH0iJ2kL4mN6oP8qR0sTu",
    });
  });

  it("reads an app_mention in a thread as a message, markup kept for prepareText", () => {
    const inbound = parseSlackEvent(JSON.parse(appMentionJson));
    expect(inbound).toEqual({
      kind: "message",
      eventId: "Ev0A7K3QZM2V",
      teamId: "T05NQ3KX7RP",
      channelId: "C05QF6ZLW0S",
      user: "U05PK8R2D1M",
      text: `<@${BOT_USER}> what time does the Leeds store open on Saturday? Asking for <#C05QF6ZLW0S|store-ops>`,
      ts: "1767617041.512019",
      threadTs: "1767616800.000200",
      files: [],
    });
    if (inbound?.kind !== "message") throw new Error("expected a message");
    expect(normalizeChannelText("slack", inbound.text)).toBe("what time does the Leeds store open on Saturday? Asking for #store-ops");
  });

  it("reads a direct message (message.im) as a top-level message with entities decoded by normalisation", () => {
    const inbound = parseSlackEvent(JSON.parse(messageImJson));
    expect(inbound).toMatchObject({
      kind: "message",
      eventId: "Ev0A7K4B8N1C",
      teamId: "T05NQ3KX7RP",
      channelId: "D06GH2L9XQA",
      user: "U05PK8R2D1M",
      ts: "1767617392.104639",
      threadTs: null,
      files: [],
    });
    if (inbound?.kind !== "message") throw new Error("expected a message");
    expect(normalizeChannelText("slack", inbound.text)).toBe(
      "Hi! Can I change the delivery address on order 10482 to <the office> instead? Details: order 10482 (https://shop.example.com/orders/10482)",
    );
  });

  it("reads a file_share message as a message with its files (name, type, size, private URL)", () => {
    const inbound = parseSlackEvent(JSON.parse(messageFileShareJson));
    expect(inbound).toMatchObject({
      kind: "message",
      eventId: "Ev0A7K6F3R9D",
      channelId: "D06GH2L9XQA",
      user: "U05PK8R2D1M",
      text: "Here's the receipt and a photo of the dented box",
      ts: "1767617823.377409",
      threadTs: null,
    });
    if (inbound?.kind !== "message") throw new Error("expected a message");
    expect(inbound.files).toEqual([
      {
        name: "receipt-10482.pdf",
        mimeType: "application/pdf",
        size: 48213,
        ref: "https://files.slack.com/files-pri/T05NQ3KX7RP-F06HJ3P8W2K/receipt-10482.pdf",
      },
      {
        name: "IMG_4187.jpg",
        mimeType: "image/jpeg",
        size: 1283377,
        ref: "https://files.slack.com/files-pri/T05NQ3KX7RP-F06HJ3Q1M7T/img_4187.jpg",
      },
    ]);
  });

  it("reads 👍 (with a skin tone) on the bot's own answer as success feedback", () => {
    expect(parseSlackEvent(JSON.parse(reactionAddedJson))).toEqual({
      kind: "reaction",
      eventId: "Ev0A7K5D2T6H",
      channelId: "C05QF6ZLW0S",
      ts: "1767617046.880529",
      user: "U05PK8R2D1M",
      outcome: "success",
      reaction: "+1::skin-tone-3",
    });
  });

  it("ignores the same reaction on someone else's message", () => {
    const body = JSON.parse(reactionAddedJson);
    body.event.item_user = "U05PK8R2D1M";
    expect(parseSlackEvent(body)).toEqual({ kind: "ignored", reason: "reaction on another message" });
  });

  it("ignores the bot's own reply echoed back in the DM (no reply loops)", () => {
    expect(parseSlackEvent(JSON.parse(botMessageOwnReplyJson))).toEqual({ kind: "ignored", reason: "bot message" });
  });

  it("ignores another integration's bot_message", () => {
    expect(parseSlackEvent(JSON.parse(botMessageIntegrationJson))).toEqual({ kind: "ignored", reason: "bot message" });
  });
});

/** The route's test for a message id (src/channels/sms/route.ts). */
const TWILIO_MESSAGE_SID = /^(SM|MM)[0-9a-f]{32}$/;
const form = (body: string) => new Map(new URLSearchParams(body).entries());

describe("Twilio messaging webhook fixtures as the SMS route reads them", () => {
  it("an inbound SMS has the fields the route requires, and a Body", () => {
    const f = form(inboundSms);
    expect(f.get("MessageSid")).toMatch(TWILIO_MESSAGE_SID);
    expect(f.get("MessageSid")).toMatch(/^SM/);
    // The deprecated aliases carry the same id.
    expect(f.get("SmsSid")).toBe(f.get("MessageSid"));
    expect(f.get("SmsMessageSid")).toBe(f.get("MessageSid"));
    expect(f.get("AccountSid")).toMatch(/^AC[0-9a-f]{32}$/);
    expect(f.get("MessagingServiceSid")).toMatch(/^MG[0-9a-f]{32}$/);
    expect(f.get("From")).toBe("+14155550177");
    expect(f.get("To")).toBe("+14155550142");
    expect(f.get("Body")).toBe("Hi, is the Mission St store open until 9 tonight? 🙏");
    expect(f.get("NumMedia")).toBe("0");
    expect(f.get("SmsStatus")).toBe("received");
    expect(f.get("ApiVersion")).toBe("2010-04-01");
    expect(f.has("MediaUrl0")).toBe(false);
  });

  it("an inbound MMS lists NumMedia=2 media with https URLs under its own message", () => {
    const f = form(inboundMms);
    const sid = f.get("MessageSid") ?? "";
    expect(sid).toMatch(TWILIO_MESSAGE_SID);
    expect(sid).toMatch(/^MM/);
    expect(f.get("From")).toBe("+14155550177");
    expect(f.get("To")).toBe("+14155550142");
    expect(f.get("Body")).toBe("The box arrived crushed, photos attached");
    expect(Number.parseInt(f.get("NumMedia") ?? "", 10)).toBe(2);
    const media = [0, 1].map((i) => ({ url: f.get(`MediaUrl${i}`), type: f.get(`MediaContentType${i}`) }));
    expect(media.map((m) => m.type)).toEqual(["image/jpeg", "image/png"]);
    for (const m of media) {
      expect(m.url).toMatch(
        new RegExp(`^https://api\\.twilio\\.com/2010-04-01/Accounts/${f.get("AccountSid")}/Messages/${sid}/Media/ME[0-9a-f]{32}$`),
      );
    }
    expect(f.has("MediaUrl2")).toBe(false);
  });

  it("a status callback has no Body and a MessageStatus, so the route records it and never answers", () => {
    const f = form(statusCallback);
    expect(f.get("MessageSid")).toMatch(TWILIO_MESSAGE_SID);
    expect(f.get("From")).toBe("+14155550142");
    expect(f.get("To")).toBe("+14155550177");
    expect(f.has("Body")).toBe(false);
    expect(f.get("MessageStatus")).toBe("delivered");
    expect(f.get("SmsStatus")).toBe("delivered");
  });

  it("fixtures are exact bodies: no trailing newline to corrupt the last parameter", () => {
    for (const body of [inboundSms, inboundMms, statusCallback]) expect(body).not.toMatch(/\s$/);
  });
});

const bytes = (raw: string) => new TextEncoder().encode(raw).buffer as ArrayBuffer;

describe("raw email fixtures through parseEmail", () => {
  it("a plain-text reply: sender, threading, and only the new text once quotes and sign-off go", async () => {
    const mail = await parseEmail(bytes(plainReplyEml), "ana.customer@example.net");
    expect(mail.from).toBe("ana.customer@example.net");
    expect(mail.subject).toBe("Re: Your order #10482");
    expect(mail.messageId).toBe("<CAK7d3mQx9Fh2vR+Lp4nWs8TyE1uJbZo6cXa0gDk5iNqH3rVfYw@mail.example.net>");
    expect(mail.inReplyTo).toBe("<20260105091211.7b3d0e55@mail.example.com>");
    expect(mail.references).toEqual(["<20260102163005.4f2a9c1e@mail.example.com>", "<20260105091211.7b3d0e55@mail.example.com>"]);
    expect(mail.html).toBe(false);
    expect(mail.attachments).toEqual([]);
    expect(mail.automated).toBeNull();
    expect(mail.priority).toBeNull();
    // Quoted-printable decoded (soft line break, é); the quote is still in the parsed body...
    expect(mail.text).toContain("a sourdough loaf and a café au lait cake");
    expect(mail.text).toContain("> Your order #10482 is ready.");
    // ...and normalisation keeps only the new text (Gmail's attribution wraps over two lines).
    expect(normalizeChannelText("email", mail.text)).toBe(
      "Yes please, Thursday morning works. Could you also add a sourdough loaf and a café au lait cake to the same order?",
    );
    expect(agentIdForRecipient("support+bakery@mail.example.com")).toBe("bakery");
  });

  it("a multipart/alternative message from Outlook: text part used, HTML noted, Outlook header block cut", async () => {
    const mail = await parseEmail(bytes(multipartAlternativeEml), "jordan.blake@contoso.example.org");
    expect(mail.from).toBe("jordan.blake@contoso.example.org");
    expect(mail.subject).toBe("Catering for 40 on 14 January - urgent");
    expect(mail.messageId).toBe("<DB9PR08MB7113E2B54F0A2C9D6E1F3A7BC8A52@DB9PR08MB7113.eurprd08.prod.contoso.example.org>");
    expect(mail.inReplyTo).toBeNull();
    expect(mail.references).toEqual([]);
    expect(mail.html).toBe(true);
    expect(mail.priority).toBe("high");
    expect(mail.attachments).toEqual([]);
    expect(mail.automated).toBeNull();
    // ISO-8859-1 £ decoded from the text part, not the HTML one.
    expect(mail.text).toContain("around £400.");
    expect(mail.text).not.toContain("<div");
    expect(prepareText(true, "email", mail.text)).toBe(
      "Hi,\n\nWe need sandwiches and pastries for 40 people on Wednesday 14 January, delivered by 11:30 to our office. Two guests are coeliac and one is vegan. Can you quote by Friday? Our budget is around £400.",
    );
  });

  it("a message with a PDF attachment: the verified sender (not Reply-To), encoded words decoded, attachment bytes kept", async () => {
    const mail = await parseEmail(bytes(withAttachmentEml), "tomas@ferreira-events.example");
    // From is the envelope sender, so it is verified; the Reply-To address is never answered.
    expect(mail.from).toBe("tomas@ferreira-events.example");
    expect(mail.senderBasis).toBe("from_is_envelope");
    expect(mail.subject).toBe("Invoice for the café catering order");
    expect(mail.messageId).toBe("<8B3F1D2E-47A9-4C6B-9E05-2D7A1F4C8E93@ferreira-events.example>");
    expect(mail.html).toBe(false);
    expect(mail.automated).toBeNull();
    expect(mail.attachments).toHaveLength(1);
    const [pdf] = mail.attachments;
    expect(pdf).toMatchObject({ filename: "invoice-INV-2026-0193.pdf", mimeType: "application/pdf", size: 224 });
    expect(new TextDecoder("latin1").decode(pdf?.content.slice(0, 8))).toBe("%PDF-1.4");
    expect(new TextDecoder("latin1").decode(pdf?.content.slice(-6))).toBe("%%EOF\n");
    expect(normalizeChannelText("email", mail.text)).toBe(
      "Good morning,\n\nPlease find attached our invoice INV-2026-0193 for the pastries we ordered\non 2 January. Could you confirm the bank details before we pay?",
    );
  });
});
