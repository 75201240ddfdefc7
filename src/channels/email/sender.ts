/**
 * Who sent an email, as far as the worker can tell. The `From` and `Reply-To` headers are
 * whatever the sender wrote; the envelope sender (SMTP `MAIL FROM`, `message.from`) is what
 * Email Routing received the message from. The verified sender is:
 *
 * 1. the `From` address when it is the envelope sender (case-insensitive, display name aside);
 * 2. the `From` address when Email Routing found DMARC passing for its domain;
 * 3. otherwise the envelope sender.
 *
 * `Reply-To` is never used: the agent must not mail its answers to an address the sender only
 * named. Allow/deny lists, the reply's recipient and the conversation all use the verified sender.
 */

/** The authserv-id Email Routing writes on its own results (RFC 8601 §2.5). */
export const EMAIL_ROUTING_AUTHSERV_ID = "mx.cloudflare.net";

export interface MailHeader {
  key: string;
  value: string;
}

/** RFC 8601 comments `( … )`, nested ones included, which may hold `;` or `=` of their own. */
function withoutComments(value: string): string {
  let out = value;
  for (let i = 0; i < 8; i++) {
    const next = out.replace(/\([^()]*\)/g, " ");
    if (next === out) break;
    out = next;
  }
  return out;
}

/** The DMARC verdicts of one `Authentication-Results` or `ARC-Authentication-Results` value written by Email Routing; null for any other authserv-id. */
function emailRoutingDmarc(key: string, value: string): Array<{ result: string; headerFrom: string | null }> | null {
  let rest = withoutComments(value).trim();
  // ARC-Authentication-Results puts the instance tag first (RFC 8617 §4.1.1): `i=1; mx.cloudflare.net; …`.
  if (key === "arc-authentication-results") {
    const instance = /^i\s*=\s*\d+\s*;/i.exec(rest);
    if (!instance) return null;
    rest = rest.slice(instance[0].length).trim();
  }
  const [authserv = "", ...resinfo] = rest.split(";");
  // The authserv-id may be followed by a version (`mx.cloudflare.net 1`).
  if (authserv.trim().split(/\s+/)[0]?.toLowerCase() !== EMAIL_ROUTING_AUTHSERV_ID) return null;
  const verdicts: Array<{ result: string; headerFrom: string | null }> = [];
  for (const info of resinfo) {
    const dmarc = /^\s*dmarc\s*=\s*([a-z]+)/i.exec(info);
    if (!dmarc) continue;
    const from = /\bheader\.from\s*=\s*"?([^\s";]+)"?/i.exec(info);
    verdicts.push({ result: dmarc[1]!.toLowerCase(), headerFrom: from ? from[1]!.toLowerCase() : null });
  }
  return verdicts;
}

/**
 * Whether Email Routing's results say DMARC passed for `domain` (the `From` domain). Anyone can
 * write an `Authentication-Results` header naming `mx.cloudflare.net` into their own message
 * (RFC 8601 §7.1), so every record under that authserv-id must show `dmarc=pass` with
 * `header.from` equal to `domain`: Email Routing's own record on the message then has to agree
 * with any planted one, and a record without a DMARC verdict fails too.
 *
 * @example
 * dmarcPassed([{ key: "arc-authentication-results", value: "i=1; mx.cloudflare.net; dmarc=pass header.from=example.org policy.dmarc=none" }], "example.org") // true
 */
export function dmarcPassed(headers: readonly MailHeader[], domain: string): boolean {
  const want = domain.toLowerCase();
  let records = 0;
  for (const { key, value } of headers) {
    if (key !== "authentication-results" && key !== "arc-authentication-results") continue;
    const verdicts = emailRoutingDmarc(key, value);
    if (verdicts === null) continue;
    records++;
    if (verdicts.length === 0 || verdicts.some((v) => v.result !== "pass" || v.headerFrom !== want)) return false;
  }
  return records > 0;
}

/** How the sender was established, for logs. */
export type SenderBasis = "from_is_envelope" | "dmarc" | "envelope";

/**
 * The verified sender of a message (see the module comment). `fromHeader` holds the addresses of
 * the `From` header; more than one (RFC 5322 allows a list) is never trusted.
 *
 * @example
 * verifiedSender("ana@example.org", ["Ana@Example.org"], []) // { address: "ana@example.org", basis: "from_is_envelope" }
 * verifiedSender("bounces+x@mailer.example", ["ana@example.org"], []) // { address: "bounces+x@mailer.example", basis: "envelope" }
 */
export function verifiedSender(envelopeFrom: string, fromHeader: readonly string[], headers: readonly MailHeader[]): { address: string; basis: SenderBasis } {
  const envelope = envelopeFrom.trim().replace(/^<(.*)>$/, "$1").toLowerCase();
  const from = fromHeader.length === 1 ? fromHeader[0]!.trim().toLowerCase() : "";
  const domain = /^[^@\s]+@([^@\s]+)$/.exec(from)?.[1];
  if (domain && from === envelope) return { address: from, basis: "from_is_envelope" };
  if (domain && dmarcPassed(headers, domain)) return { address: from, basis: "dmarc" };
  return { address: envelope, basis: "envelope" };
}
