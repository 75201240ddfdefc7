import type { ReplyTarget } from "../core/messages";
import type { Channel, DeliveryAdapter } from "./adapter";
import { emailChannel } from "./email";
import { httpChannel } from "./http";
import { slackChannel } from "./slack";
import { smsChannel } from "./sms";

/** Every channel the worker speaks. A new provider is a folder with its `index.ts` and one line here. */
export const CHANNELS: readonly Channel[] = [httpChannel, slackChannel, smsChannel, emailChannel];

const deliveries = new Map(CHANNELS.flatMap((ch) => (ch.delivery ? [[ch.delivery.kind, ch.delivery] as const] : [])));

/** The adapter that delivers a reply target; throws for a kind no channel delivers (a message queued by a newer version). */
export function deliveryAdapter<K extends ReplyTarget["kind"]>(kind: K): DeliveryAdapter<K> {
  const adapter = deliveries.get(kind);
  if (!adapter) throw new Error(`no channel delivers "${kind}" replies`);
  return adapter as unknown as DeliveryAdapter<K>;
}
