import type { Clock } from "../core/clock";
import type { Services } from "../pipeline/services";

/** What every route gets besides the bindings; tests may replace the clock. */
export interface AppVariables {
  requestId: string;
  clock: Clock;
  /** Built once per request by the service factory middleware. */
  services: Services;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
