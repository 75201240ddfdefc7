/**
 * Who may do what on the admin API: the principal a bearer token stands for and the one rule
 * table every request passes through before its route runs. Pure functions, no bindings.
 */

import type { Principal } from "../http/context";

export type { Principal } from "../http/context";
export type Role = Principal["role"];
export const ROLES = ["admin", "operator", "viewer"] as const satisfies readonly Role[];

/** The `ADMIN_TOKEN` secret: an admin key for every agent, with no row of its own. */
export const BOOTSTRAP_PRINCIPAL: Principal = { keyId: "bootstrap", role: "admin", agents: null };

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Where the admin API's OpenAPI document is served. */
export const OPENAPI_PATH = "/v1/openapi.json";
const AGENT_PATH = /^\/v1\/agents\/([^/]+)(\/.*)?$/;

/** Where a request is going, as far as access is concerned. */
export interface Target {
  method: string;
  /** The path as received, e.g. `/v1/agents/shop/legal-hold`. */
  path: string;
}

/** The agent an admin path is about (`/v1/agents/:agentId/…`), or null for a path about none. */
export function agentOfPath(path: string): string | null {
  const match = AGENT_PATH.exec(path);
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/**
 * Why the principal may not make the request, or null when it may. The order matters: the
 * narrowest rule that refuses gives the message.
 *
 * - the API's own description (`GET /v1/openapi.json`) holds no agent's data: any valid key reads it;
 * - keys (`/v1/keys…`) are managed by admin keys only;
 * - a viewer makes no change (any method but GET/HEAD/OPTIONS): not even acknowledging an
 *   alert or replaying a dead letter, which operators of the agent and admins may. It reads all
 *   of its agents' routes, conversation transcripts included: they are PII masked before they
 *   leave the worker;
 * - a key limited to agents reaches only those agents, and, outside any agent, only reads
 *   (the agent listing, which the route filters to its agents);
 * - lifting a legal hold lets retention erase the audit trail: admin keys only;
 * - moving an agent to another D1 shard rewrites all of its rows: admin keys only.
 *
 * Shortening retention below what the agent's standards require is decided by the PUT route,
 * which alone sees the configs (`retentionShortfall`).
 *
 * @example
 * denial({ keyId: "key_1", role: "viewer", agents: null }, { method: "POST", path: "/v1/agents/a/trust" });
 * // "viewer keys are read-only"
 */
export function denial(principal: Principal, target: Target): string | null {
  const method = target.method.toUpperCase();
  const write = !READ_METHODS.has(method);
  if (target.path === OPENAPI_PATH && !write) return null;
  if (target.path === "/v1/keys" || target.path.startsWith("/v1/keys/")) {
    return principal.role === "admin" ? null : "only admin keys manage keys";
  }
  if (write && principal.role === "viewer") return "viewer keys are read-only";
  const agentId = agentOfPath(target.path);
  if (principal.agents !== null) {
    if (agentId === null && write) return "this key is limited to some agents: changes outside an agent need an admin key";
    if (agentId !== null && !principal.agents.includes(agentId)) return `this key is not allowed to reach agent "${agentId}"`;
  }
  if (method === "DELETE" && /^\/v1\/agents\/[^/]+\/legal-hold\/?$/.test(target.path) && principal.role !== "admin") {
    return "lifting a legal hold lets retention erase the audit trail: it needs an admin key";
  }
  if (method === "POST" && /^\/v1\/agents\/[^/]+\/move\/?$/.test(target.path) && principal.role !== "admin") {
    return "moving an agent to another shard rewrites all of its rows: it needs an admin key";
  }
  return null;
}

/** The role that can hold agents: an operator must name them; an admin key is never limited. */
export function scopeProblem(role: Role, agents: string[] | undefined): string | null {
  if (role === "operator" && (agents === undefined || agents.length === 0)) return "agents: an operator key needs the agents it operates, e.g. [\"shop\"]";
  if (role === "admin" && agents !== undefined) return "agents: an admin key reaches every agent; leave agents out, or use an operator or viewer key";
  return null;
}
