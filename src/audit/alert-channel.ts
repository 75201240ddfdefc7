import type { AgentConfig } from "../config";
import type { Alert } from "../core/types";

export type AlertChannel = NonNullable<AgentConfig["audit"]["alertChannel"]>;

/**
 * Sends an alert to the agent's alert channel. A Slack incoming webhook takes `{ text }`
 * (https://api.slack.com/messaging/webhooks). Email alerts need the email channel's sender and
 * are reported as not delivered until then. Returns the delivery error, or null.
 */
export async function deliverAlert(alert: Alert, channel: AlertChannel | undefined, fetchFn: typeof fetch = fetch): Promise<string | null> {
  if (!channel) return "no alert channel configured";
  if (!("slackWebhook" in channel)) return "email alert delivery is not available yet";
  const text = `:rotating_light: Foreman alert for agent \`${alert.agentId}\`: *${alert.type}*\n${alert.message}`;
  try {
    const res = await fetchFn(channel.slackWebhook, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });
    return res.ok ? null : `slack webhook answered ${res.status}`;
  } catch (err) {
    return `slack webhook failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
