import type { Clock } from "../core/clock";

/** What every route gets besides the bindings; tests may replace the clock. */
export interface AppVariables {
  requestId: string;
  clock: Clock;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
