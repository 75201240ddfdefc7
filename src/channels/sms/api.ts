/** A Twilio Messages API failure; only a 429 may be retried (a retried create can send and bill twice). */
export class TwilioApiError extends Error {
  override readonly name = "TwilioApiError";
  readonly status: number;
  readonly retryable: boolean;

  constructor(status: number, detail: string) {
    super(`Twilio API error ${status}: ${detail}`);
    this.status = status;
    this.retryable = status === 429;
  }
}

/**
 * Sends one SMS through the Messages API (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`,
 * form-encoded, HTTP Basic auth with the account SID and auth token). `baseUrl` is
 * `TWILIO_API_URL` (https://api.twilio.com in production, a fake in tests).
 */
export async function sendSms(
  opts: { baseUrl: string; accountSid: string; authToken: string; from: string; to: string; body: string },
  fetchFn: typeof fetch = fetch,
): Promise<{ sid: string }> {
  const res = await fetchFn(`${opts.baseUrl.replace(/\/$/, "")}/2010-04-01/Accounts/${encodeURIComponent(opts.accountSid)}/Messages.json`, {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`${opts.accountSid}:${opts.authToken}`)}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ To: opts.to, From: opts.from, Body: opts.body }).toString(),
  });
  const json = (await res.json().catch(() => null)) as { sid?: string; message?: string; code?: number } | null;
  if (!res.ok) throw new TwilioApiError(res.status, json?.message ?? `code ${json?.code ?? "unknown"}`);
  return { sid: json?.sid ?? "" };
}
