import type { Clock } from "../core/clock";
import type { Services } from "../pipeline/services";

/** The authenticated caller of an admin request (see src/admin/access.ts). */
export interface Principal {
  /** The key's id (`key_…`), or `bootstrap` for the `ADMIN_TOKEN` secret. Never the key. */
  keyId: string;
  role: "admin" | "operator" | "viewer";
  /** The agents the key is limited to; null for every agent. */
  agents: string[] | null;
}

/** What every route gets besides the bindings; tests may replace the clock. */
export interface AppVariables {
  /** Ours, always (a UUID): what the error envelope, logs and audit events carry. */
  requestId: string;
  /** The caller's `X-Request-Id`, when within bounds; never used as `requestId`. */
  clientRequestId: string | undefined;
  clock: Clock;
  /** Built once per request by the service factory middleware. */
  services: Services;
  /** Who made an admin request (set by the admin auth middleware; absent elsewhere). */
  principal?: Principal;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
