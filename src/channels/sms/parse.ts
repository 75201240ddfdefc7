import type { Attachment } from "../../core/types";

/** Twilio's message ids: `SM…` for SMS, `MM…` for MMS, 32 hex digits. */
const SID = /^(SM|MM)[0-9a-f]{32}$/;
/** Twilio sends at most 10 media per MMS. */
const MAX_MEDIA = 10;

/** A verified Twilio messaging webhook, as Foreman acts on it. */
export type TwilioInbound =
  | { kind: "message"; sid: string; from: string; to: string; body: string; media: Attachment[] }
  /** A delivery status callback (`MessageStatus` without `Body`): recorded, never answered. */
  | { kind: "status"; sid: string; from: string; to: string; status: string }
  /** Not a message Foreman can act on; the form is kept as it came. */
  | { kind: "unsupported"; reason: string; raw: Record<string, string> };

/**
 * Parses a verified webhook's form parameters (field names from Twilio's "messaging webhook
 * request" reference).
 *
 * @example
 * parseTwilioForm([["MessageSid", "SM" + "0".repeat(32)], ["From", "+14155550100"], ["To", "+14155550199"], ["Body", "hi"]]).kind; // "message"
 */
export function parseTwilioForm(params: ReadonlyArray<readonly [string, string]>): TwilioInbound {
  const form = new Map(params);
  const sid = form.get("MessageSid") ?? "";
  const from = form.get("From") ?? "";
  const to = form.get("To") ?? "";
  if (!SID.test(sid) || !from || !to) return { kind: "unsupported", reason: "MessageSid, From and To are required", raw: Object.fromEntries(form) };
  const status = form.get("MessageStatus") ?? form.get("SmsStatus");
  if (!form.has("Body") && status) return { kind: "status", sid, from, to, status };
  return { kind: "message", sid, from, to, body: (form.get("Body") ?? "").trim(), media: mmsMedia(form) };
}

/** An MMS's media as Twilio lists them (`NumMedia`, `MediaUrl{N}`, `MediaContentType{N}`); the URLs need the account's credentials. */
function mmsMedia(form: Map<string, string>): Attachment[] {
  const count = Math.min(MAX_MEDIA, Number.parseInt(form.get("NumMedia") ?? "0", 10) || 0);
  const media: Attachment[] = [];
  for (let i = 0; i < count; i++) {
    const url = form.get(`MediaUrl${i}`);
    if (!url?.startsWith("https://")) continue;
    media.push({ name: `media-${i}`, mimeType: (form.get(`MediaContentType${i}`) ?? "application/octet-stream").slice(0, 200), ref: url.slice(0, 2000) });
  }
  return media;
}
