import { exports } from "cloudflare:workers";
import { inject } from "vitest";
import { twilioSignature } from "../../src/channels/sms/verify";

/** What the fake Twilio API sent for an account, oldest first. */
export async function sentSms(accountSid: string): Promise<Array<Record<string, string>>> {
  const res = await fetch(`${inject("fakeTwilioUrl")}/_sent?account=${encodeURIComponent(accountSid)}`);
  return ((await res.json()) as { sent: Array<Record<string, string>> }).sent;
}

export async function waitForSms(accountSid: string, count: number, timeoutMs = 15_000): Promise<Array<Record<string, string>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sent = await sentSms(accountSid);
    if (sent.length >= count || Date.now() > deadline) return sent;
    await new Promise((r) => setTimeout(r, 100));
  }
}

let sids = 0;
/** A fresh MessageSid in Twilio's form. */
export function messageSid(): string {
  sids += 1;
  return `SM${crypto.randomUUID().replaceAll("-", "").slice(0, 28)}${String(sids).padStart(4, "0")}`;
}

/** An inbound-message webhook as Twilio posts it (form fields from Twilio's docs), signed with the auth token. */
export async function sendSms(
  agentId: string,
  fields: Record<string, string>,
  opts: { authToken: string; signature?: string; tamper?: Record<string, string> },
): Promise<Response> {
  const url = `https://foreman.test/webhooks/${agentId}/sms`;
  const params: Record<string, string> = {
    ToCountry: "US",
    SmsStatus: "received",
    NumMedia: "0",
    NumSegments: "1",
    AccountSid: "AC00000000000000000000000000000000",
    ApiVersion: "2010-04-01",
    ...fields,
  };
  const signature = opts.signature ?? (await twilioSignature(opts.authToken, url, Object.entries(params)));
  const body = new URLSearchParams({ ...params, ...opts.tamper }).toString();
  return exports.default.fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
    body,
  });
}
