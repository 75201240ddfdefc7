import { buildNotice } from "../core/mime";
import type { AgentConfig } from "../config";
import type { SecretRef } from "../config/credentials";
import { urlRisk } from "../config/urls";
import type { SecretLookup } from "../core/agent";
import type { Clock } from "../core/clock";
import type { Alert } from "../core/types";

/** The configured channel; a plain webhook string is what configs stored before secret references hold. */
export type AlertChannel = NonNullable<AgentConfig["audit"]["alertChannel"]> | { slackWebhook: string };

/** Where the Slack webhook URL comes from and which URLs may be called. */
export interface AlertAccess {
  /** Reads the secret the channel names; without it a Slack channel cannot be used. */
  secret?: SecretLookup;
  /** Local development and tests: allow private hosts and plain http (see src/config/urls.ts). */
  allowPrivateUrls?: boolean;
}

/** How an alert leaves: HTTP for a Slack webhook, the `send_email` binding for email. */
export interface AlertTransport {
  fetch: typeof fetch;
  /** Sends a raw RFC 5322 message; the binding checks that `to` is a verified destination. */
  sendEmail(from: string, to: string, raw: string): Promise<void>;
  /** The sender for email alerts: the agent's email channel `smtp.from`, if it has one. */
  emailFrom?: string;
}

/**
 * Sends an alert to the agent's alert channel: a Slack incoming webhook takes `{ text }`
 * (https://api.slack.com/messaging/webhooks); an email goes out through `send_email` from the
 * agent's email channel address, since Cloudflare sends only from domains with Email Routing.
 * Returns the delivery error, or null.
 */
export async function deliverAlert(
  alert: Alert,
  channel: AlertChannel | undefined,
  transport: AlertTransport,
  access: AlertAccess = {},
): Promise<string | null> {
  if (!channel) return "no alert channel configured";
  const summary = `Foreman alert for agent ${alert.agentId}: ${alert.type}`;
  if ("email" in channel) {
    if (!transport.emailFrom) return "email alerts need the agent's email channel with smtp.from as the sender";
    const domain = transport.emailFrom.split("@")[1] ?? "foreman.local";
    const raw = buildNotice({
      from: transport.emailFrom,
      to: channel.email,
      subject: summary,
      text: `${alert.message}\n\nType: ${alert.type}\nAt: ${new Date(alert.at).toISOString()}\nDetails: ${JSON.stringify(alert.details)}\nAlert id: ${alert.id}\n`,
      messageId: `<alert-${alert.id}@${domain}>`,
      date: new Date(alert.at),
    });
    try {
      await transport.sendEmail(transport.emailFrom, channel.email, raw);
      return null;
    } catch (err) {
      return `email alert failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const ref = channel.slackWebhook;
  const url = typeof ref === "string" ? ref : await access.secret?.(ref.secret);
  if (url === undefined) return `slack webhook: the agent has no secret "${(ref as SecretRef).secret}"; set it with PUT /v1/agents/:id`;
  // Checked when the secret was set; checked again for configs stored before that, and because the value is never shown.
  const risk = urlRisk(url, { allowPrivateUrls: access.allowPrivateUrls ?? false });
  if (risk) return `slack webhook refused: its URL ${risk}`;
  const text = `:rotating_light: Foreman alert for agent \`${alert.agentId}\`: *${alert.type}*\n${alert.message}`;
  try {
    // Slack does not redirect webhooks; following one could send the worker to a private address.
    const res = await transport.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
      redirect: "manual",
    });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      return `slack webhook answered ${res.status} (a redirect), which is not followed`;
    }
    return res.ok ? null : `slack webhook answered ${res.status}`;
  } catch (err) {
    return `slack webhook failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * Delivers one stored alert to its agent's alert channel and records the delivery (or its error)
 * on the alert's D1 row. An alert already delivered, or one that failed for good, is left alone,
 * so a redelivered queue message never posts twice. False when no such alert exists.
 */
export async function deliverStoredAlert(input: {
  db: D1Database;
  agentId: string;
  alertId: string;
  channel: AlertChannel | undefined;
  transport: AlertTransport;
  clock: Clock;
  /** The agent's secrets and whether the worker allows private URLs (ALLOW_PRIVATE_URLS). */
  access: AlertAccess;
}): Promise<boolean> {
  const row = await input.db
    .prepare("SELECT id, agent_id, at, type, message, details, delivered_at, delivery_error FROM alerts WHERE id = ? AND agent_id = ?")
    .bind(input.alertId, input.agentId)
    .first<{ id: string; agent_id: string; at: number; type: Alert["type"]; message: string; details: string; delivered_at: number | null; delivery_error: string | null }>();
  if (!row) return false;
  if (row.delivered_at !== null || row.delivery_error !== null) return true;
  const alert: Alert = { id: row.id, agentId: row.agent_id, at: row.at, type: row.type, message: row.message, details: JSON.parse(row.details) as Record<string, unknown> };
  const error = await deliverAlert(alert, input.channel, input.transport, input.access);
  await input.db
    .prepare("UPDATE alerts SET delivered_at = ?, delivery_error = ? WHERE id = ?")
    .bind(error ? null : input.clock.now(), error, alert.id)
    .run();
  return true;
}

/** Records that alerts could not be handed to the delivery queue, so an operator sees why they did not arrive. */
export async function markUndeliverable(db: D1Database, alerts: readonly Alert[], reason: string): Promise<void> {
  if (alerts.length === 0) return;
  await db.batch(alerts.map((a) => db.prepare("UPDATE alerts SET delivery_error = ? WHERE id = ? AND delivered_at IS NULL").bind(reason, a.id)));
}
