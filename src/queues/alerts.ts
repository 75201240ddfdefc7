import { EmailMessage } from "cloudflare:email";
import { type AlertTransport, deliverStoredAlert } from "../audit/alert-channel";
import type { AgentConfig } from "../config";
import type { Clock } from "../core/clock";
import type { Logger } from "../core/logger";
import { alertMessageSchema } from "../core/messages";
import { outboundAccess } from "../state/agent-secrets";
import { agentObject } from "../state/objects";
import { agentDb, type ShardBindings } from "../db/shards";

/** How alerts leave, for one agent's config: Slack webhooks over HTTP, email through `send_email`. */
export type TransportFor = (config: AgentConfig | undefined) => AlertTransport;

/** The production transport: global `fetch`, and the `EMAIL` binding from the agent's email channel address. */
export function bindingTransport(env: Pick<Env, "EMAIL">): TransportFor {
  return (config) => {
    const emailChannel = config?.channels.find((ch) => ch.type === "email");
    return {
      fetch: (input, init) => fetch(input, init),
      sendEmail: async (from, to, raw) => {
        await env.EMAIL.send(new EmailMessage(from, to, raw));
      },
      ...(emailChannel?.type === "email" && emailChannel.smtp?.from ? { emailFrom: emailChannel.smtp.from } : {}),
    };
  };
}

/**
 * The `alerts` queue: alerts an agent's object has flushed to D1 go out to the agent's alert
 * channel here, not in the object's alarm, so a slow webhook never holds the agent's object.
 * Each delivery is recorded on the alert's row; a repeat of a message finds it recorded and
 * sends nothing. A transport failure is recorded, not retried (the alert stays listed with its
 * error); a failure to read or record is retried by the queue.
 */
export async function consumeAlerts(
  batch: MessageBatch<unknown>,
  env: ShardBindings & Pick<Env, "AGENT_STATE" | "EMAIL" | "ALLOW_PRIVATE_URLS">,
  deps: { clock: Clock; logger: Logger; transport?: TransportFor },
): Promise<void> {
  const transportFor = deps.transport ?? bindingTransport(env);
  for (const msg of batch.messages) {
    const parsed = alertMessageSchema.safeParse(msg.body);
    if (!parsed.success) {
      deps.logger.error("alert_message_invalid", { id: msg.id });
      msg.ack();
      continue;
    }
    const { agentId, alertId } = parsed.data;
    try {
      const config = (await agentObject(env, agentId).admit())?.view.record.config;
      const found = await deliverStoredAlert({
        db: await agentDb(env, agentId),
        agentId,
        alertId,
        channel: config?.audit.alertChannel,
        transport: transportFor(config),
        clock: deps.clock,
        access: outboundAccess(agentId, env),
      });
      if (!found) deps.logger.warn("alert_not_found", { agentId, alertId });
      msg.ack();
    } catch (err) {
      deps.logger.error("alert_delivery_failed", { agentId, alertId, attempts: msg.attempts, error: String(err) });
      msg.retry({ delaySeconds: Math.min(300, 10 * 2 ** msg.attempts) });
    }
  }
}
