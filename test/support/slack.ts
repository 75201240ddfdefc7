import { exports } from "cloudflare:workers";
import { inject } from "vitest";
import { hmacSha256Hex } from "../../src/core/crypto";

export interface SlackCall {
  method: string;
  body: Record<string, unknown>;
  /** The ts the fake Slack answered with. */
  ts: string;
}

/** The calls the fake Slack API received with this bot token, oldest first. */
export async function slackCalls(botToken: string): Promise<SlackCall[]> {
  const res = await fetch(`${inject("fakeSlackUrl")}/_calls?token=${encodeURIComponent(botToken)}`);
  return ((await res.json()) as { calls: SlackCall[] }).calls;
}

/** Waits until the fake Slack API has at least `count` calls for the token (the work queue runs on its own). */
export async function waitForSlackCalls(botToken: string, count: number, timeoutMs = 15_000): Promise<SlackCall[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const calls = await slackCalls(botToken);
    if (calls.length >= count || Date.now() > deadline) return calls;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Posts an Events API body to the agent's Slack webhook, signed as Slack signs it. */
export async function sendSlack(
  agentId: string,
  body: unknown,
  opts: { signingSecret: string; timestamp?: number; headers?: Record<string, string>; sendBody?: string },
): Promise<Response> {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = `v0=${await hmacSha256Hex(opts.signingSecret, `v0:${ts}:${raw}`)}`;
  return exports.default.fetch(`https://foreman.test/webhooks/${agentId}/slack`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-slack-request-timestamp": String(ts), "x-slack-signature": signature, ...opts.headers },
    body: opts.sendBody ?? raw,
  });
}

/** An `app_mention` event_callback as Slack sends it (shape from the Events API docs). */
export function appMention(opts: { eventId: string; text: string; ts?: string; threadTs?: string; user?: string; botUserId?: string }) {
  return {
    token: "Jhj5dZrVaK7ZwHHjRyZWjbDl",
    team_id: "T123ABC456",
    api_app_id: "A123ABC456",
    event: {
      type: "app_mention",
      user: opts.user ?? "U061F7AUR",
      text: opts.text,
      ts: opts.ts ?? "1515449522.000016",
      ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
      channel: "C123ABC456",
      event_ts: opts.ts ?? "1515449522.000016",
    },
    type: "event_callback",
    event_id: opts.eventId,
    event_time: 1515449522,
    authorizations: [{ enterprise_id: null, team_id: "T123ABC456", user_id: opts.botUserId ?? "U0BOTUSER", is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
  };
}
