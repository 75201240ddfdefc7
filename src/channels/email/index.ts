import type { Channel } from "../adapter";
import { emailDelivery } from "./deliver";

/** Email: mail arrives by the worker's `email()` handler (handler.ts, parse.ts); deliver.ts replies through `send_email`. */
export const emailChannel: Channel = { type: "email", delivery: emailDelivery };
