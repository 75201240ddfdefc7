import { describe, expect, it } from "vitest";
import { buildReply } from "../../src/core/mime";
import { agentIdForRecipient, automated, senderAllowed } from "../../src/channels/email/parse";
import { normalizeChannelText } from "../../src/channels/normalize";

describe("email text normalization", () => {
  it("keeps only the new text of a reply", () => {
    expect(normalizeChannelText("email", "Yes please.\n\nOn Mon, 1 Jan 2026, Shop <s@x.com> wrote:\n> Shall we?")).toBe("Yes please.");
    expect(normalizeChannelText("email", "Merci !\n\nLe lun. 1 janv. 2026, Shop a écrit :\n> Bonjour")).toBe("Merci !");
    expect(normalizeChannelText("email", "Ok\n-----Original Message-----\nFrom: shop")).toBe("Ok");
    expect(normalizeChannelText("email", "Thanks\n-- \nAna Customer\nACME Ltd")).toBe("Thanks");
    expect(normalizeChannelText("email", "> quoted only\nnew line")).toBe("new line");
  });
});

describe("automated mail", () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name];
  it("recognises auto-replies, bulk mail, lists and bounces, and lets Auto-Submitted: no through", () => {
    expect(automated(headers({ "auto-submitted": "auto-replied" }), "a@b.c")).toContain("Auto-Submitted");
    expect(automated(headers({ precedence: "bulk" }), "a@b.c")).toContain("bulk");
    expect(automated(headers({ "list-id": "<news.example.com>" }), "a@b.c")).toBe("mailing list");
    expect(automated(headers({}), "MAILER-DAEMON@mx.example.com")).toBe("bounce");
    expect(automated(headers({}), "")).toBe("bounce");
    expect(automated(headers({ "auto-submitted": "no" }), "a@b.c")).toBeNull();
  });
});

describe("senders and recipients", () => {
  it("lets deny win and, with an allow list, lets only its matches through", () => {
    expect(senderAllowed("a@spam.com", undefined, ["spam.com"])).toBe(false);
    expect(senderAllowed("a@good.com", ["*@good.com"], ["a@good.com"])).toBe(false);
    expect(senderAllowed("b@good.com", ["*@good.com"])).toBe(true);
    expect(senderAllowed("b@other.com", ["good.com"])).toBe(false);
    expect(senderAllowed("b@other.com")).toBe(true);
  });

  it("finds the agent in the recipient's local part or after a plus", () => {
    expect(agentIdForRecipient("bakery@mail.example.com")).toBe("bakery");
    expect(agentIdForRecipient("support+bakery@mail.example.com")).toBe("bakery");
    expect(agentIdForRecipient("-bad@x.com")).toBeNull();
  });
});

describe("buildReply", () => {
  it("adds Re: once, threads with In-Reply-To and References, and encodes a non-ASCII subject", () => {
    const raw = buildReply({
      from: "shop@x.com",
      to: "ana@y.com",
      subject: "Re: Öffnungszeiten",
      inReplyTo: "<m1@y.com>",
      references: ["<m0@y.com>", "<m1@y.com>"],
      text: "Ab 9 Uhr.",
      html: false,
      messageId: "<r1@x.com>",
      date: new Date(Date.UTC(2026, 10, 25)),
    });
    expect(raw).toMatch(/^Subject: =\?UTF-8\?B\?.+\?=\r$/m);
    expect(raw).not.toContain("Re: Re:");
    expect(raw).toContain("In-Reply-To: <m1@y.com>\r\nReferences: <m0@y.com> <m1@y.com>\r\n");
    expect(raw).not.toContain("multipart");
  });
});
