import type { Channel } from "../adapter";
import { smsDelivery } from "./deliver";
import { smsRoutes } from "./route";

/** SMS by Twilio: verify.ts, parse.ts and route.ts take the webhook in; segments.ts, api.ts and deliver.ts answer. */
export const smsChannel: Channel = { type: "sms", routes: smsRoutes, delivery: smsDelivery };
