import type { ReplyTarget } from "../core/messages";
import type { DeliveryAdapter } from "./adapter";
import { emailDelivery } from "./email/deliver";
import { slackDelivery } from "./slack/deliver";
import { smsDelivery } from "./sms/deliver";

/** Every channel that answers from the work queue, by the kind of its reply target. A new provider is one line here. */
export const DELIVERY_ADAPTERS: { [K in ReplyTarget["kind"]]: DeliveryAdapter<K> } = {
  slack: slackDelivery,
  sms: smsDelivery,
  email: emailDelivery,
};

/** The adapter that delivers a reply target. */
export function deliveryAdapter<K extends ReplyTarget["kind"]>(kind: K): DeliveryAdapter<K> {
  return DELIVERY_ADAPTERS[kind];
}
