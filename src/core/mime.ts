/** Builds the raw RFC 5322 reply Foreman sends: threading headers, text and optional HTML. */

const CRLF = "\r\n";

function base64Lines(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return (btoa(binary).match(/.{1,76}/g) ?? []).join(CRLF);
}

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
function headerText(value: string): string {
  const clean = value.replace(/[\r\n]+/g, " ");
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?UTF-8?B?${base64Lines(clean).replace(/\r\n/g, "")}?=`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export interface ReplySpec {
  from: string;
  to: string;
  subject: string;
  /** The Message-ID of the message answered, with angle brackets. */
  inReplyTo: string | null;
  /** The thread so far: the answered message's References plus its Message-ID. */
  references: string[];
  text: string;
  html: boolean;
  messageId: string;
  date: Date;
}

/**
 * A message Foreman starts itself (an alert to an operator): plain text, marked
 * `Auto-Submitted: auto-generated` (RFC 3834) so that no robot answers it.
 */
export function buildNotice(spec: { from: string; to: string; subject: string; text: string; messageId: string; date: Date }): string {
  return [
    `From: ${spec.from}`,
    `To: ${spec.to}`,
    `Subject: ${headerText(spec.subject)}`,
    `Date: ${spec.date.toUTCString()}`,
    `Message-ID: ${spec.messageId}`,
    "Auto-Submitted: auto-generated",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    base64Lines(spec.text),
  ].join(CRLF) + CRLF;
}

/**
 * A reply that mail clients thread under the original: `In-Reply-To` and `References` (RFC 5322
 * 3.6.4), `Re:` once, and with `html` a multipart/alternative of text and HTML.
 */
export function buildReply(spec: ReplySpec): string {
  const subject = /^re:/i.test(spec.subject) ? spec.subject : `Re: ${spec.subject || "your message"}`;
  const headers = [
    `From: ${spec.from}`,
    `To: ${spec.to}`,
    `Subject: ${headerText(subject)}`,
    `Date: ${spec.date.toUTCString()}`,
    `Message-ID: ${spec.messageId}`,
    ...(spec.inReplyTo ? [`In-Reply-To: ${spec.inReplyTo}`] : []),
    ...(spec.references.length ? [`References: ${spec.references.join(" ")}`] : []),
    // Marks the reply as automatic, so well-behaved robots do not answer it (RFC 3834).
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
  ];
  const textPart = ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", base64Lines(spec.text)];
  if (!spec.html) return [...headers, ...textPart].join(CRLF) + CRLF;
  const boundary = `foreman-${crypto.randomUUID()}`;
  const html = `<!doctype html><html><body><div style="font-family:sans-serif;white-space:pre-wrap">${escapeHtml(spec.text)}</div></body></html>`;
  return [
    ...headers,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    ...textPart,
    `--${boundary}`,
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    base64Lines(html),
    `--${boundary}--`,
    "",
  ].join(CRLF);
}
