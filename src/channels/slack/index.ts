import type { Channel } from "../adapter";
import { slackDelivery } from "./deliver";
import { slackRoutes } from "./route";

/** Slack: verify.ts, parse.ts and route.ts take the Events API in; format.ts, api.ts and deliver.ts answer. */
export const slackChannel: Channel = { type: "slack", routes: slackRoutes, delivery: slackDelivery };
