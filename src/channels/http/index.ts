import type { Channel } from "../adapter";
import { httpChannelRoutes } from "./route";

/** The generic signed HTTP channel: answered inside the request, nothing queued. */
export const httpChannel: Channel = { type: "http", routes: httpChannelRoutes };
