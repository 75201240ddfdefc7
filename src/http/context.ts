import type { Clock } from "../core/clock";
import type { Services } from "../pipeline/services";

/** What every route gets besides the bindings; tests may replace the clock. */
export interface AppVariables {
  /** Ours, always (a UUID): what the error envelope, logs and audit events carry. */
  requestId: string;
  /** The caller's `X-Request-Id`, when within bounds; never used as `requestId`. */
  clientRequestId: string | undefined;
  clock: Clock;
  /** Built once per request by the service factory middleware. */
  services: Services;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
