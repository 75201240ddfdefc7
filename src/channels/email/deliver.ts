import { buildReply } from "../../core/mime";
import { type Delivery, type DeliveryAdapter, HOLDING_TEXT } from "../adapter";

/**
 * Sends a queued answer as a threaded reply (In-Reply-To, References), text and optionally HTML,
 * through `send_email`; the holding notice of a model outage is a short reply in the same thread.
 */
export const emailDelivery: DeliveryAdapter<"email"> = {
  kind: "email",
  deliverySecrets: [],
  async deliver(delivery) {
    const answered = await delivery.answer();
    await sendReply(delivery, answered.text, answered.interactionId);
    return { interactionId: answered.interactionId, parts: 1, links: [] };
  },
  async hold(delivery) {
    await sendReply(delivery, HOLDING_TEXT, `hold-${crypto.randomUUID()}`);
  },
};

async function sendReply({ work, view, clock, sendEmail }: Omit<Delivery<"email">, "answer" | "immediate">, text: string, id: string): Promise<void> {
  const channel = view.record.config.channels.find((c) => c.type === "email");
  const domain = work.reply.from.split("@")[1] ?? "foreman.local";
  const raw = buildReply({
    from: work.reply.from,
    to: work.reply.to,
    subject: work.reply.subject,
    inReplyTo: work.reply.inReplyTo,
    references: work.reply.references,
    text,
    html: channel?.type === "email" && channel.features.includes("html"),
    messageId: `<${id}@${domain}>`,
    date: new Date(clock.now()),
  });
  await sendEmail(work.reply.from, work.reply.to, raw);
}
