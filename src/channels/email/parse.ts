import PostalMime, { type Address } from "postal-mime";

export interface InboundEmail {
  from: string;
  subject: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** The body as text (HTML converted when there is no text part), quotes and signature included. */
  text: string;
  html: boolean;
  /** The Importance, Priority or X-Priority header as sent, if any. */
  priority: string | null;
  attachments: Array<{ filename: string; mimeType: string; size: number; content: ArrayBuffer }>;
  /** Why the message must not be answered (bounce, auto-reply, bulk), or null. */
  automated: string | null;
}

function address(a: Address | undefined): string {
  if (!a) return "";
  return (a.address ?? a.group?.[0]?.address ?? "").toLowerCase();
}

const ids = (value: string | undefined) => (value ?? "").match(/<[^<>\s]+>/g) ?? [];

/**
 * Parses a raw RFC 5322 message with postal-mime: sender, threading headers, the new text
 * (HTML converted when there is no text part), attachments, and whether it is automated.
 */
export async function parseEmail(raw: ArrayBuffer | ReadableStream<Uint8Array>, envelopeFrom: string): Promise<InboundEmail> {
  const mail = await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer" });
  const header = (name: string) => mail.headers.find((h) => h.key === name)?.value;
  const from = address(mail.replyTo?.[0]) || address(mail.from) || envelopeFrom.toLowerCase();
  const body = mail.text ?? htmlToText(mail.html ?? "");
  return {
    from,
    subject: (mail.subject ?? "").trim(),
    messageId: ids(mail.messageId)[0] ?? null,
    inReplyTo: ids(mail.inReplyTo)[0] ?? null,
    references: ids(mail.references),
    text: body,
    html: Boolean(mail.html),
    priority: header("importance") ?? header("x-priority") ?? header("priority") ?? null,
    attachments: mail.attachments.map((a) => ({
      filename: a.filename ?? "attachment",
      mimeType: a.mimeType,
      size: a.content instanceof ArrayBuffer ? a.content.byteLength : 0,
      content: a.content instanceof ArrayBuffer ? a.content : new ArrayBuffer(0),
    })),
    automated: automated(header, envelopeFrom),
  };
}

/**
 * Bounces, auto-replies and bulk mail are never answered, so two robots cannot mail each other
 * forever (RFC 3834: Auto-Submitted; Precedence: bulk/junk/list; a null or daemon sender).
 */
export function automated(header: (name: string) => string | undefined, envelopeFrom: string): string | null {
  const auto = header("auto-submitted")?.trim().toLowerCase();
  if (auto && auto !== "no") return `Auto-Submitted: ${auto}`;
  const precedence = header("precedence")?.trim().toLowerCase();
  if (precedence && ["bulk", "junk", "list", "auto_reply"].includes(precedence)) return `Precedence: ${precedence}`;
  if (header("x-autoreply") || header("x-autorespond")) return "auto-reply header";
  if (header("list-id") || header("list-unsubscribe")) return "mailing list";
  const sender = envelopeFrom.trim().toLowerCase();
  if (sender === "" || sender === "<>" || /^(mailer-daemon|postmaster)@/.test(sender)) return "bounce";
  return null;
}

/** Just enough HTML-to-text for mail without a text part. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, "")
    .replace(/<blockquote[\s\S]*?<\/blockquote>/gi, "")
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** Whether a sender may be answered: `deny` wins; with an `allow` list, only matches. Patterns: address, `*@domain`, `domain`. */
export function senderAllowed(sender: string, allow?: readonly string[], deny?: readonly string[]): boolean {
  const s = sender.toLowerCase();
  const domain = s.split("@")[1] ?? "";
  const matches = (p: string) => {
    const q = p.toLowerCase();
    return q === s || q === `*@${domain}` || q === domain;
  };
  if (deny?.some(matches)) return false;
  return !allow || allow.length === 0 || allow.some(matches);
}

/** The agent an address belongs to: `<agentId>@…`, or plus-addressing `support+<agentId>@…`. */
export function agentIdForRecipient(to: string): string | null {
  const local = to.toLowerCase().split("@")[0] ?? "";
  const id = local.includes("+") ? local.slice(local.indexOf("+") + 1) : local;
  return /^[a-z0-9][a-z0-9_-]{0,63}$/.test(id) ? id : null;
}
