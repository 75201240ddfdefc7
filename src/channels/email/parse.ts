import PostalMime, { type Address, addressParser } from "postal-mime";
import { type SenderBasis, verifiedSender } from "./sender";

/** At most this many attachments of one email are kept; the rest are named in the text the agent sees. */
export const MAX_EMAIL_ATTACHMENTS = 20;
/** Message-IDs longer than this are ignored (RFC 5322 lines stop at 998 characters; real ids are far shorter). */
const MAX_MESSAGE_ID = 500;

export interface InboundEmail {
  /** The verified sender (see sender.ts): allow/deny lists, the reply and the conversation use it. */
  from: string;
  /** How `from` was established. */
  senderBasis: SenderBasis;
  subject: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** The body as text (HTML converted when there is no text part), quotes and signature included. */
  text: string;
  html: boolean;
  /** The Importance, Priority or X-Priority header as sent, if any. */
  priority: string | null;
  /** The first `MAX_EMAIL_ATTACHMENTS` attachments, MIME type checked (`application/octet-stream` when malformed or too long). */
  attachments: Array<{ filename: string; mimeType: string; size: number; content: ArrayBuffer }>;
  /** Attachments beyond `MAX_EMAIL_ATTACHMENTS`, not kept. */
  attachmentsLeftOut: number;
  /** Why the message must not be answered (bounce, auto-reply, bulk), or null. */
  automated: string | null;
}

/** Every address of an address header, groups flattened. */
function addresses(list: readonly Address[] | undefined): string[] {
  return (list ?? []).flatMap((a) => (a.group ? a.group.map((g) => g.address ?? "") : [a.address ?? ""]));
}

const ids = (value: string | undefined) => ((value ?? "").match(/<[^<>\s]+>/g) ?? []).filter((id) => id.length <= MAX_MESSAGE_ID);

/**
 * Parses a raw RFC 5322 message with postal-mime: sender, threading headers, the new text
 * (HTML converted when there is no text part), attachments, and whether it is automated.
 */
export async function parseEmail(raw: ArrayBuffer | ReadableStream<Uint8Array>, envelopeFrom: string): Promise<InboundEmail> {
  const mail = await PostalMime.parse(raw, { attachmentEncoding: "arraybuffer" });
  const header = (name: string) => mail.headers.find((h) => h.key === name)?.value;
  const fromHeaders = mail.headers.filter((h) => h.key === "from");
  // Two From headers are as untrustworthy as a From with two addresses: neither is used.
  const fromAddresses = fromHeaders.length === 1 ? addresses(addressParser(fromHeaders[0]!.value)) : [];
  const sender = verifiedSender(envelopeFrom, fromAddresses, mail.headers);
  const body = mail.text ?? htmlToText(mail.html ?? "");
  return {
    from: sender.address,
    senderBasis: sender.basis,
    subject: (mail.subject ?? "").trim(),
    messageId: ids(mail.messageId)[0] ?? null,
    inReplyTo: ids(mail.inReplyTo)[0] ?? null,
    references: ids(mail.references),
    text: body,
    html: Boolean(mail.html),
    priority: header("importance") ?? header("x-priority") ?? header("priority") ?? null,
    attachments: mail.attachments.slice(0, MAX_EMAIL_ATTACHMENTS).map((a) => ({
      filename: (a.filename ?? "attachment").slice(0, 200),
      mimeType: mimeType(a.mimeType),
      size: a.content instanceof ArrayBuffer ? a.content.byteLength : 0,
      content: a.content instanceof ArrayBuffer ? a.content : new ArrayBuffer(0),
    })),
    attachmentsLeftOut: Math.max(0, mail.attachments.length - MAX_EMAIL_ATTACHMENTS),
    automated: automated(header, envelopeFrom),
  };
}

/** A `type/subtype` (RFC 6838 §4.2 names, at most 100 characters in all), lower-cased; anything else is `application/octet-stream`. */
export function mimeType(value: string): string {
  const v = value.trim().toLowerCase();
  return v.length <= 100 && /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(v) ? v : "application/octet-stream";
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
