import { buildReply } from "../../core/mime";
import type { DeliveryAdapter } from "../adapter";

/** Sends a queued answer as a threaded reply (In-Reply-To, References), text and optionally HTML, through `send_email`. */
export const emailDelivery: DeliveryAdapter<"email"> = {
  kind: "email",
  deliverySecrets: [],
  async deliver({ work, view, clock, sendEmail, answer }) {
    const answered = await answer();
    const channel = view.record.config.channels.find((c) => c.type === "email");
    const domain = work.reply.from.split("@")[1] ?? "foreman.local";
    const raw = buildReply({
      from: work.reply.from,
      to: work.reply.to,
      subject: work.reply.subject,
      inReplyTo: work.reply.inReplyTo,
      references: work.reply.references,
      text: answered.text,
      html: channel?.type === "email" && channel.features.includes("html"),
      messageId: `<${answered.interactionId}@${domain}>`,
      date: new Date(clock.now()),
    });
    await sendEmail(work.reply.from, work.reply.to, raw);
    return { interactionId: answered.interactionId, parts: 1, links: [] };
  },
};
