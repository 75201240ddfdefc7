import { type DeliveryAdapter, HOLDING_TEXT } from "../adapter";
import { requireSecret } from "../secrets";
import { sendSms, TwilioApiError } from "./api";
import { fitToSegments, segmentBudget } from "./segments";

/**
 * Sends a queued answer by Twilio's Messages API, fitted to the channel's segments, unless the
 * customer sent STOP meanwhile; the holding notice of a model outage is one short SMS.
 */
export const smsDelivery: DeliveryAdapter<"sms"> = {
  kind: "sms",
  deliverySecrets: [
    { name: "twilio", field: "accountSid" },
    { name: "twilio", field: "authToken" },
  ],
  async deliver({ work, view, secrets, env, answer, smsOptedOut }) {
    const accountSid = requireSecret(secrets[0], "twilio.accountSid");
    const authToken = requireSecret(secrets[1], "twilio.authToken");
    const answered = await answer();
    const channel = view.record.config.channels.find((c) => c.type === "sms");
    const maxSegments = segmentBudget(channel?.type === "sms" ? channel : undefined);
    // The opt-out list is checked at the moment of sending: STOP may have come in meanwhile.
    if (await smsOptedOut(work.reply.to)) return { interactionId: answered.interactionId, parts: 0, reason: "opted_out", links: [] };
    try {
      await sendSms({ baseUrl: env.TWILIO_API_URL, accountSid, authToken, from: work.reply.from, to: work.reply.to, body: fitToSegments(answered.text, maxSegments) });
    } catch (err) {
      // Only 429 is retried (api.ts): any other refusal is final, so the delivery is closed with
      // its reason (audited as `message.not_delivered`) instead of vanishing.
      if (err instanceof TwilioApiError && !err.retryable) return { interactionId: answered.interactionId, parts: 0, reason: `twilio_${err.status}`, links: [] };
      throw err;
    }
    return { interactionId: answered.interactionId, parts: 1, links: [] };
  },
  async hold({ work, secrets, env, smsOptedOut }) {
    if (await smsOptedOut(work.reply.to)) return;
    const accountSid = requireSecret(secrets[0], "twilio.accountSid");
    const authToken = requireSecret(secrets[1], "twilio.authToken");
    await sendSms({ baseUrl: env.TWILIO_API_URL, accountSid, authToken, from: work.reply.from, to: work.reply.to, body: HOLDING_TEXT });
  },
};
