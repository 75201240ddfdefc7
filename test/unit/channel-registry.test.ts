import { describe, expect, it } from "vitest";
import { CHANNELS, deliveryAdapter } from "../../src/channels/registry";
import { parseSlackEvent } from "../../src/channels/slack/parse";
import { parseTwilioForm } from "../../src/channels/sms/parse";
import { replyTargetSchema } from "../../src/core/messages";
import inboundMms from "../fixtures/twilio/inbound_mms.txt?raw";
import inboundSms from "../fixtures/twilio/inbound_sms.txt?raw";
import statusCallback from "../fixtures/twilio/status_callback.txt?raw";

const form = (raw: string) => [...new URLSearchParams(raw).entries()];

describe("the channel registry", () => {
  it("has a delivery adapter for every kind of reply target the work queue carries", () => {
    const kinds = replyTargetSchema.options.map((o) => o.shape.kind.value);
    for (const kind of kinds) expect(deliveryAdapter(kind).kind).toBe(kind);
  });

  it("mounts each webhook channel once, and lists every channel type once", () => {
    const types = CHANNELS.map((c) => c.type);
    expect(new Set(types).size).toBe(types.length);
    expect(types.sort()).toEqual(["email", "http", "slack", "sms"]);
    expect(CHANNELS.filter((c) => c.routes).map((c) => c.type).sort()).toEqual(["http", "slack", "sms"]);
  });

  it("refuses a reply kind no channel delivers, naming it", () => {
    expect(() => deliveryAdapter("fax" as "sms")).toThrow('no channel delivers "fax" replies');
  });
});

describe("parsers keep what they cannot act on", () => {
  it("Twilio: a text, an MMS with its media, and a status callback", () => {
    expect(parseTwilioForm(form(inboundSms))).toMatchObject({ kind: "message", media: [] });
    const mms = parseTwilioForm(form(inboundMms));
    expect(mms.kind).toBe("message");
    if (mms.kind === "message") expect(mms.media).toHaveLength(2);
    expect(parseTwilioForm(form(statusCallback))).toMatchObject({ kind: "status", status: "delivered" });
  });

  it("Twilio: a form without a valid MessageSid, From or To is unsupported, with the form kept raw", () => {
    const garbage = [["MessageSid", "SMnot-a-sid"], ["From", "+14155550100"], ["To", "+14155550199"], ["Body", "hi"]] as const;
    expect(parseTwilioForm(garbage)).toEqual({
      kind: "unsupported",
      reason: "MessageSid, From and To are required",
      raw: { MessageSid: "SMnot-a-sid", From: "+14155550100", To: "+14155550199", Body: "hi" },
    });
    expect(parseTwilioForm([])).toMatchObject({ kind: "unsupported", raw: {} });
  });

  it("Slack: a body that is not an Events API payload is unsupported, with the body kept raw", () => {
    expect(parseSlackEvent({ hello: "world" })).toEqual({ kind: "unsupported", raw: { hello: "world" } });
    expect(parseSlackEvent("text")).toEqual({ kind: "unsupported", raw: "text" });
  });
});
