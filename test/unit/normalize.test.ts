import { describe, expect, it } from "vitest";
import {
  type ChannelType,
  MAX_INPUT_BYTES,
  collapseWhitespace,
  flattenWhitespace,
  normalizeChannelText,
  normalizeCharacters,
  stripEmailSignature,
  stripQuotedReply,
  stripSlackMarkup,
  truncateUtf8,
} from "../../src/channels/normalize";

/** [behaviour, input, expected output] */
type Case = readonly [string, string, string];

const CHANNELS: readonly ChannelType[] = ["http", "slack", "email", "sms"];

// ---------------------------------------------------------------- every channel

/** Single-line cases: every channel gives the same answer. */
const everyChannel: Case[] = [
  ["composes to NFC", "cafe\u0301 Ame\u0301lie", "café Amélie"],
  ["removes zero-width space, word joiner, BOM and soft hyphen", "\uFEFFre\u00ADfund\u200B now\u2060!", "refund now!"],
  ["keeps ZWJ in an emoji sequence", "hi 👩\u200D💻", "hi 👩\u200D💻"],
  ["keeps ZWNJ in Persian", "می\u200Cخواهم", "می\u200Cخواهم"],
  ["composes across a removed soft hyphen", "e\u00AD\u0301", "é"],
  ["collapses runs of spaces and tabs", "where \t  is\t\tmy   order", "where is my order"],
  ["trims", " \t where is my order? \t ", "where is my order?"],
  ["leaves smart quotes and ellipses alone", "“it’s late…”", "“it’s late…”"],
  ["gives empty text for whitespace only", " \t\u200B ", ""],
];

/** Multi-line cases, as the HTTP channel (all-channel rules only) gives them. */
const httpCases: Case[] = [
  ["turns CRLF, CR, U+2028 and U+2029 into \\n", "a\r\nb\rc\u2028d\u2029e", "a\nb\nc\nd\ne"],
  ["allows at most one blank line in a row", "a\n\n\n\nb\r\n\r\n\r\nc", "a\n\nb\n\nc"],
  ["treats a line of spaces and tabs as blank", "a\n \t \n\t\nb", "a\n\nb"],
  ["drops trailing spaces on each line", "a  \nb\t\nc", "a\nb\nc"],
  ["drops leading and trailing blank lines", "\n\n  \nhello\n\n", "hello"],
  ["leaves Slack, email and SMS markup alone", "<@U123> hi\n> quoted\n-- \nsig", "<@U123> hi\n> quoted\n--\nsig"],
];

describe("all channels", () => {
  it.each(everyChannel.flatMap(([name, input, expected]) => CHANNELS.map((channel) => [`${channel}: ${name}`, channel, input, expected] as const)))(
    "%s",
    (_, channel, input, expected) => {
      expect(normalizeChannelText(channel, input)).toBe(expected);
    },
  );

  it.each(httpCases)("http: %s", (_, input, expected) => {
    expect(normalizeChannelText("http", input)).toBe(expected);
  });
});

// ---------------------------------------------------------------- slack

/** Texts as they arrive in `event.text` of app_mention and message.im events. */
const slackCases: Case[] = [
  ["drops the app's mention", "<@U0BOTUSER> when do you open?", "when do you open?"],
  ["drops mentions with a name", "<@U0BOTUSER> ask <@U024BE7LH|bob> about it", "ask about it"],
  ["drops enterprise user mentions", "<@W0BOTUSER> hi", "hi"],
  ["drops @here, @channel and @everyone", "<!here> <!channel|channel> <!everyone|@everyone> the site is down", "the site is down"],
  ["writes a channel as #name", "see <#C024BE7LR|support-escalations>", "see #support-escalations"],
  ["writes a channel without a name as its id", "see <#C024BE7LR> and <#C024BE7LS|>", "see #C024BE7LR and #C024BE7LS"],
  ["writes a labelled link as label (url)", "the <https://shop.example/refunds|refund page> 404s", "the refund page (https://shop.example/refunds) 404s"],
  ["writes a bare link as the url", "is <https://shop.example/status> right?", "is https://shop.example/status right?"],
  ["writes a link labelled with its own url once", "<https://shop.example|https://shop.example>", "https://shop.example"],
  ["writes a mail link as the address", "mail <mailto:ana@acme.example|ana@acme.example>", "mail ana@acme.example"],
  ["keeps a mail link's other label", "mail <mailto:ana@acme.example|Ana>", "mail Ana (ana@acme.example)"],
  ["writes a user group as its handle", "cc <!subteam^SAZ94GDB8|@support-team>", "cc @support-team"],
  ["writes a date as its fallback text", "since <!date^1392734382^{date_short}|Feb 18, 2014>", "since Feb 18, 2014"],
  ["decodes &lt; &gt; &amp;", "5 &lt; 10 &amp;&amp; 10 &gt; 5", "5 < 10 && 10 > 5"],
  ["decodes &amp; inside a link's url", "<https://shop.example/o?id=1&amp;tab=2|order>", "order (https://shop.example/o?id=1&tab=2)"],
  ["leaves *bold*, _italic_ and ~strike~ alone", "*urgent*: _please_ ~ignore~ refund", "*urgent*: _please_ ~ignore~ refund"],
  ["leaves other entities alone", "&quot;hi&quot; &#39;", "&quot;hi&quot; &#39;"],
  ["leaves a token it does not know alone", "<tel:+15550100|call us>", "<tel:+15550100|call us>"],
  [
    "cleans a multi-line direct message",
    "<@U0BOTUSER>\n\n\n\nOrder *#4417*:\n•  2 × mugs\n•  1 × teapot\n\n\n\nwhere is it?",
    "Order *#4417*:\n• 2 × mugs\n• 1 × teapot\n\nwhere is it?",
  ],
];

/** Decoding is done once: the output holds characters Slack would have escaped. */
const slackEscapes: Case[] = [
  ["decodes &amp;lt; only once", "&amp;lt;", "&lt;"],
  ["decodes an escaped mention to text, not a mention", "who is &lt;@U123&gt;?", "who is <@U123>?"],
];

describe("slack", () => {
  it.each([...slackCases, ...slackEscapes])("%s", (_, input, expected) => {
    expect(normalizeChannelText("slack", input)).toBe(expected);
  });

  it("cleans the Slack texts the channel has always cleaned the same way", () => {
    const cases: Array<[string, string]> = [
      ["<@U0BOTUSER> when do you open?", "when do you open?"],
      ["<@U0BOTUSER> ask <@U024BE7LH|bob> about it", "ask about it"],
      ["see <#C024BE7LR|support-escalations>", "see #support-escalations"],
      ["the <https://shop.example/refunds|refund page> 404s", "the refund page (https://shop.example/refunds) 404s"],
      ["is <https://shop.example/status> right?", "is https://shop.example/status right?"],
      ["5 &lt; 10 &amp;&amp; 10 &gt; 5", "5 < 10 && 10 > 5"],
      ["&amp;lt;", "&lt;"],
      ["*urgent*: _please_ ~ignore~ refund", "*urgent*: _please_ ~ignore~ refund"],
      ["  two\t\tspaces  ", "two spaces"],
    ];
    for (const [text, expected] of cases) expect(normalizeChannelText("slack", text), text).toBe(expected);
  });

  it("is only markup removal in stripSlackMarkup: whitespace is left for the caller", () => {
    expect(stripSlackMarkup("<@U0BOT> see <#C024BE7LR|refunds> &amp; <https://x.example|the form>")).toBe(
      " see #refunds & the form (https://x.example)",
    );
  });
});

// ---------------------------------------------------------------- email

const gmailReply = `Hi,

Yes, please go ahead and send the replacement to the same address.

Thanks,
Ana

On Mon, Mar 2, 2026 at 10:12 AM Shop Support <support@shop.example> wrote:

> Hello Ana,
>
> We are sorry your order #4417 arrived damaged. Would you like a replacement?
>
> Best regards,
> Shop Support
`;

const gmailWrappedAttribution = `Can I change the delivery date to Friday?

On Mon, Mar 2, 2026 at 10:12 AM Shop Support Team <
support@shop.example> wrote:

> Your order has shipped.
`;

const outlookReply = `Hello,\r
\r
The order number is 4417. The box was crushed on one side.\r
\r
Kind regards\r
Ana Customer\r
Procurement | ACME Ltd\r
+44 20 7946 0958\r
\r
________________________________\r
From: Shop Support <support@shop.example>\r
Sent: Monday, March 2, 2026 10:12 AM\r
To: Ana Customer <ana@acme.example>\r
Subject: RE: Damaged order\r
\r
Hello Ana,\r
Could you send us the order number?\r
`;

const outlookOriginalMessage = `Please cancel it.

-----Original Message-----
From: Shop Support [mailto:support@shop.example]
Sent: Monday, March 2, 2026 10:12 AM
To: Ana Customer
Subject: Your order

Your order will ship tomorrow.
`;

const outlookMobile = `Yes, Friday works.

Get Outlook for iOS<https://aka.ms/o0ukef>
________________________________
From: Shop Support <support@shop.example>
Sent: Monday, March 2, 2026 10:12:03 AM
To: ana@acme.example <ana@acme.example>
Subject: Collection

Shall we collect on Friday?
`;

const appleMailReply = `That works for me, thank you.

Ana

> On 2 Mar 2026, at 10:12, Shop Support <support@shop.example> wrote:
>
> Shall we collect the parcel on Friday?
`;

const appleMailUnquotedAttribution = `Perfect.

On 2 Mar 2026, at 10:12, Shop Support <support@shop.example> wrote:

> Your refund is on its way.
`;

const iphoneReply = `Yes please

Sent from my iPhone

> On 2 Mar 2026, at 10:12, Shop Support <support@shop.example> wrote:
>
> Would you like a refund?
`;

const frenchGmail = "Merci, c'est parfait.\n\nLe lun. 2 mars 2026 à 10:12, Shop Support <support@shop.example> a écrit\u00A0:\n\n> Bonjour";
const germanGmail = "Passt, danke.\n\nAm Mo., 2. März 2026 um 10:12 Uhr schrieb Shop Support <support@shop.example>:\n\n> Hallo";
const spanishGmail = "Perfecto.\n\nEl lun, 2 mar 2026 a las 10:12, Shop Support (<support@shop.example>) escribió:\n\n> Hola";
const germanOutlook = `Vielen Dank!

Mit freundlichen Grüßen
Jonas Beispiel

Von: Shop Support <support@shop.example>
Gesendet: Montag, 2. März 2026 10:12
An: Jonas Beispiel <jonas@example.de>
Betreff: AW: Bestellung 4417

Hallo Jonas,
`;

const rfcSignature = `Please send the invoice again; the first one had the wrong VAT number.

-- 
Ana Customer
Head of Procurement, ACME Ltd
+44 20 7946 0958
https://acme.example
`;

const emailCases: Case[] = [
  ["keeps only the new text of a Gmail reply, without its sign-off", gmailReply, "Hi,\n\nYes, please go ahead and send the replacement to the same address."],
  ["cuts at an attribution Gmail wrapped over two lines", gmailWrappedAttribution, "Can I change the delivery date to Friday?"],
  ["cuts at Outlook's header block and the rule above it, and drops the signature", outlookReply, "Hello,\n\nThe order number is 4417. The box was crushed on one side."],
  ["cuts at -----Original Message-----", outlookOriginalMessage, "Please cancel it."],
  ["drops Outlook mobile's footer and header block", outlookMobile, "Yes, Friday works."],
  ["drops an Apple Mail quote", appleMailReply, "That works for me, thank you.\n\nAna"],
  ["cuts at an unquoted Apple Mail attribution", appleMailUnquotedAttribution, "Perfect."],
  ["drops an iPhone footer and quote", iphoneReply, "Yes please"],
  ["cuts at a French attribution", frenchGmail, "Merci, c'est parfait."],
  ["cuts at a German attribution", germanGmail, "Passt, danke."],
  ["cuts at a Spanish attribution", spanishGmail, "Perfecto."],
  ["cuts at a German Outlook header block and drops the closing", germanOutlook, "Vielen Dank!"],
  ["cuts at the RFC 3676 signature delimiter", rfcSignature, "Please send the invoice again; the first one had the wrong VAT number."],
  ["cuts at a delimiter that lost its trailing space", "See attached.\n--\nAna", "See attached."],
  ["cuts at localised original-message rules", "Ok.\n-----Ursprüngliche Nachricht-----\nVon: Shop", "Ok."],
  ["drops interleaved quoted lines", "> Which size?\nLarge\n> Which colour?\nBlue", "Large\nBlue"],
  ["drops a Regards closing without a comma", "Please call me.\nRegards", "Please call me."],
  ["drops Cheers, and a name", "Sounds good.\n\nCheers,\nBob", "Sounds good."],
  ["drops a closing followed by four short lines", "Refund please.\n\nBest regards,\n\nAna Customer\nHead of Procurement\nACME Ltd\n+44 20 7946 0958", "Refund please."],
  ["drops several closings at the end", "Hello\nCheers,\nx\ny\nz\nRegards,\nBob", "Hello"],
  ["drops a closing then a mobile footer", "Can you call me?\nThanks,\nAna\n\nSent from my Samsung Galaxy smartphone.", "Can you call me?"],
  ["drops localised mobile footers", "Oui.\n\nEnvoyé de mon iPhone", "Oui."],
  ["drops a German mobile footer", "Ja.\n\nVon meinem iPhone gesendet", "Ja."],
  [
    "keeps a closing followed by five lines",
    "Refund please.\n\nBest regards,\nAna\nHead of Procurement\nACME Ltd\n1 Main St\n+44 20 7946 0958",
    "Refund please.\n\nBest regards,\nAna\nHead of Procurement\nACME Ltd\n1 Main St\n+44 20 7946 0958",
  ],
  [
    "keeps a closing followed by a long line",
    "Regards,\nthe delivery note says three boxes but only two arrived on Monday morning",
    "Regards,\nthe delivery note says three boxes but only two arrived on Monday morning",
  ],
  ["keeps Thanks! that is not a closing", "Got it.\nThanks!", "Got it.\nThanks!"],
  ["keeps a closing in the middle", "Thanks,\nthat fixed it.\nThe order number is 4417, and the box was crushed on one side.", "Thanks,\nthat fixed it.\nThe order number is 4417, and the box was crushed on one side."],
  [
    "keeps a sentence that starts like a mobile footer",
    "Sent from my work address, please write to my personal one instead.",
    "Sent from my work address, please write to my personal one instead.",
  ],
  ["keeps From:/To:/Date: without a Subject:", "Booking:\nFrom: London\nTo: Paris\nDate: 3 March 2026", "Booking:\nFrom: London\nTo: Paris\nDate: 3 March 2026"],
  ["keeps an 'On … wrote:' line without a date", "On the box it says the courier wrote:\nFRAGILE", "On the box it says the courier wrote:\nFRAGILE"],
  ["keeps a forwarded message", "See below.\n\n---------- Forwarded message ---------\nFrom: Courier", "See below.\n\n---------- Forwarded message ---------\nFrom: Courier"],
];

/** Stripping would leave nothing: the whitespace-normalised original is returned instead. */
const neverEmptyCases: Case[] = [
  ["a reply that is only a quote", "> only quoted\r\n>   text", "> only quoted\n> text"],
  ["a reply that is only a closing", "Thanks,\n\n\nAna", "Thanks,\n\nAna"],
  ["a reply that is only a signature", "-- \nAna Customer", "--\nAna Customer"],
  ["a reply that is only an attribution and a quote", "On 2 Mar 2026, Shop <s@shop.example> wrote:\n> Hi", "On 2 Mar 2026, Shop <s@shop.example> wrote:\n> Hi"],
  ["a mobile footer and nothing else", "Sent from my iPhone", "Sent from my iPhone"],
];

describe("email", () => {
  it.each(emailCases)("%s", (_, input, expected) => {
    expect(normalizeChannelText("email", input)).toBe(expected);
  });

  it.each(neverEmptyCases)("never strips to nothing: %s", (_, input, expected) => {
    expect(normalizeChannelText("email", input)).toBe(expected);
  });

  it("leaves the empty-text case to the caller in the helpers", () => {
    expect(stripQuotedReply("> only quoted")).toBe("");
    expect(stripEmailSignature("Thanks,\nAna")).toBe("");
  });

  it("keeps the cases stripQuoted already handles", () => {
    expect(normalizeChannelText("email", "Yes please.\n\nOn Mon, 1 Jan 2026, Shop <s@x.com> wrote:\n> Shall we?")).toBe("Yes please.");
    expect(normalizeChannelText("email", "Merci !\n\nLe lun. 1 janv. 2026, Shop a écrit :\n> Bonjour")).toBe("Merci !");
    expect(normalizeChannelText("email", "Ok\n-----Original Message-----\nFrom: shop")).toBe("Ok");
    expect(normalizeChannelText("email", "Thanks\n-- \nAna Customer\nACME Ltd")).toBe("Thanks");
    expect(normalizeChannelText("email", "> quoted only\nnew line")).toBe("new line");
  });
});

// ---------------------------------------------------------------- sms

const smsCases: Case[] = [
  ["collapses line breaks and runs of whitespace to single spaces", "  Hi,\n\nis the   store\topen\r\ntoday?  ", "Hi, is the store open today?"],
  ["collapses no-break and other Unicode spaces", "open\u00A0\u00A0 at\u2003nine", "open at nine"],
  ["leaves GSM smart characters alone", "“Can’t” – €5 @ 10¥", "“Can’t” – €5 @ 10¥"],
  ["leaves what looks like other channels' markup alone", "<@U1> > ok\n-- \nAna", "<@U1> > ok -- Ana"],
];

describe("sms", () => {
  it.each(smsCases)("%s", (_, input, expected) => {
    expect(normalizeChannelText("sms", input)).toBe(expected);
  });
});

// ---------------------------------------------------------------- helpers

describe("helpers", () => {
  it("cut UTF-8 at a character boundary", () => {
    expect(truncateUtf8("héllo", 2)).toBe("h");
    expect(truncateUtf8("héllo", 3)).toBe("hé");
    expect(truncateUtf8("a😀b", 4)).toBe("a");
    expect(truncateUtf8("a😀b", 5)).toBe("a😀");
    expect(truncateUtf8("short", MAX_INPUT_BYTES)).toBe("short");
  });

  it("do what their examples say", () => {
    expect(normalizeCharacters("cafe\u0301\u200B\r\n")).toBe("café\n");
    expect(collapseWhitespace("  Hi\t\tthere  \n\n\n\nBye ")).toBe("Hi there\n\nBye");
    expect(flattenWhitespace(" Is it\n\nopen? ")).toBe("Is it open?");
    expect(stripQuotedReply("Blue, please.\n\nOn Mon, 2 Mar 2026 at 10:12, Shop <s@shop.example> wrote:\n> Which colour?")).toBe("Blue, please.\n");
    expect(stripEmailSignature("Please cancel it.\n\nKind regards,\nAna Customer\nACME Ltd")).toBe("Please cancel it.\n");
  });
});

// ---------------------------------------------------------------- idempotence

describe("idempotence", () => {
  const all: Array<readonly [ChannelType, string]> = [
    ...everyChannel.flatMap(([, input]) => CHANNELS.map((channel) => [channel, input] as const)),
    ...httpCases.map(([, input]) => ["http", input] as const),
    ...slackCases.map(([, input]) => ["slack", input] as const),
    ...emailCases.map(([, input]) => ["email", input] as const),
    ...neverEmptyCases.map(([, input]) => ["email", input] as const),
    ...smsCases.map(([, input]) => ["sms", input] as const),
    // Other channels' cases through each channel: normalising is stable whatever the text.
    ...[...slackCases, ...emailCases, ...smsCases].flatMap(([, input]) => (["http", "email", "sms"] as const).map((channel) => [channel, input] as const)),
  ];

  it.each(all.map(([channel, input], i) => [i, channel, input] as const))("case %i (%s) gives the same text when normalised again", (_, channel, input) => {
    const once = normalizeChannelText(channel, input);
    expect(normalizeChannelText(channel, once)).toBe(once);
  });

  it("does not hold for Slack escapes, which are decoded once: normalise at the edge only", () => {
    for (const [, input, once] of slackEscapes) {
      expect(normalizeChannelText("slack", input)).toBe(once);
      expect(normalizeChannelText("slack", once)).not.toBe(once);
    }
  });
});

// ---------------------------------------------------------------- bounded work

describe("bounded work", () => {
  const KIB_64 = MAX_INPUT_BYTES;

  it("cuts input to 64 KiB before looking at it", () => {
    const quotedTail = `${"x".repeat(KIB_64 + 10)}\nOn 2 Mar 2026, Shop <s@shop.example> wrote:\n> Hi`;
    expect(normalizeChannelText("email", quotedTail)).toBe("x".repeat(KIB_64));
    expect(normalizeChannelText("http", "é".repeat(KIB_64))).toBe("é".repeat(KIB_64 / 2));
    expect(normalizeChannelText("http", `a${"😀".repeat(KIB_64)}`)).toBe(`a${"😀".repeat(KIB_64 / 4 - 1)}`);
  });

  // Each input makes a backtracking regex or a rescanning loop quadratic; the answers show the work was done.
  const adversarial: Array<readonly [string, ChannelType, string, string]> = [
    ["unclosed mentions", "slack", "<@U1".repeat(KIB_64 / 2), "<@U1".repeat(KIB_64 / 4)],
    ["an unclosed link with a long label", "slack", `<https://x|${"a".repeat(KIB_64)}`, `<https://x|${"a".repeat(KIB_64 - 11)}`],
    ["unclosed links", "slack", "<https://a|".repeat(KIB_64 / 8), "<https://a|".repeat(KIB_64 / 8).slice(0, KIB_64)],
    ["entities and ampersands", "slack", "&amp;".repeat(KIB_64 / 4), "&".repeat(KIB_64 / 5) + "&amp;".slice(0, KIB_64 % 5)],
    ["From: lines without a header block", "email", "From: a\n".repeat(KIB_64 / 4), Array(KIB_64 / 8).fill("From: a").join("\n")],
    ["attribution prefixes with quotes between", "email", "On 1\n> q\n".repeat(KIB_64 / 4), Array(Math.ceil(KIB_64 / "On 1\n> q\n".length)).fill("On 1").join("\n")],
    ["a long dash line", "email", "-".repeat(KIB_64 * 2), "-".repeat(KIB_64)],
    ["many closings", "email", "Hello\n" + "Cheers,\nAna\n".repeat(KIB_64 / 8), "Hello"],
    ["spaces and tabs", "http", ` \t${" \t".repeat(KIB_64)}x`, ""],
    ["blank lines", "http", `a${"\n \n".repeat(KIB_64)}`, "a"],
    ["whitespace for SMS", "sms", `a${" \n\t".repeat(KIB_64)}`, "a"],
  ];

  it.each(adversarial)("finishes on %s (%s)", (_, channel, input, expected) => {
    const output = normalizeChannelText(channel, input);
    expect(output.length).toBe(expected.length);
    expect(output).toBe(expected);
  });
});
