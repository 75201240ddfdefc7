/** The Slack Web API errors Foreman acts on; Slack answers most failures with HTTP 200 and `ok: false`. */
export class SlackApiError extends Error {
  override readonly name = "SlackApiError";
  readonly code: string;
  /** Seconds Slack asked us to wait (HTTP 429), when it did. */
  readonly retryAfter: number | undefined;

  constructor(code: string, retryAfter?: number) {
    super(`Slack API error: ${code}`);
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export interface SlackPost {
  channel: string;
  text: string;
  thread_ts?: string;
  blocks?: Array<Record<string, unknown>>;
}

/**
 * The two Web API methods Foreman uses (chat.postMessage, chat.update), with the agent's bot
 * token. `baseUrl` is `SLACK_API_URL` (https://slack.com/api in production, a fake in tests).
 */
export function slackApi(baseUrl: string, botToken: string, fetchFn: typeof fetch = fetch) {
  async function call(method: string, body: Record<string, unknown>): Promise<{ ts: string; channel: string }> {
    const res = await fetchFn(`${baseUrl.replace(/\/$/, "")}/${method}`, {
      method: "POST",
      headers: { authorization: `Bearer ${botToken}`, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(body),
    });
    if (res.status === 429) throw new SlackApiError("ratelimited", Number(res.headers.get("retry-after") ?? "1"));
    const json = (await res.json().catch(() => null)) as { ok?: boolean; error?: string; ts?: string; channel?: string } | null;
    if (!res.ok || !json?.ok) throw new SlackApiError(json?.error ?? `http_${res.status}`);
    return { ts: json.ts ?? "", channel: json.channel ?? String(body.channel) };
  }
  return {
    postMessage: (post: SlackPost) => call("chat.postMessage", { ...post }),
    update: (update: { channel: string; ts: string; text: string; blocks?: Array<Record<string, unknown>> }) => call("chat.update", { ...update }),
  };
}
