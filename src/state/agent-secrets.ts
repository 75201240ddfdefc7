/**
 * Reads one of an agent's secrets at run time, for credentials its config names by reference
 * (MCP server headers, the Slack alert webhook). Each read is one call to the agent's object,
 * which hands out a single named secret (`admit`), never the whole set.
 */
import { allowsPrivateUrls } from "../config/urls";
import type { SecretLookup } from "../core/agent";
import { agentObject } from "./objects";

export type { SecretLookup } from "../core/agent";

/**
 * The secrets of one agent, read through its object.
 *
 * @example
 * const token = await agentSecrets("acme", env)("mcp_token");
 */
export function agentSecrets(agentId: string, bindings: Pick<Env, "AGENT_STATE">): SecretLookup {
  return async (name) => (await agentObject(bindings, agentId).admit({ secret: { name } }))?.secret;
}

/** Whether the worker runs with `ALLOW_PRIVATE_URLS` (local development and tests). */
export function workerAllowsPrivateUrls(bindings: Pick<Env, "ALLOW_PRIVATE_URLS">): boolean {
  return allowsPrivateUrls(bindings.ALLOW_PRIVATE_URLS);
}

/**
 * What reaching out on an agent's behalf needs (MCP servers, alert webhooks): its secrets, and
 * whether this worker allows private addresses.
 */
export function outboundAccess(agentId: string, bindings: Pick<Env, "AGENT_STATE" | "ALLOW_PRIVATE_URLS">): { secret: SecretLookup; allowPrivateUrls: boolean } {
  return { secret: agentSecrets(agentId, bindings), allowPrivateUrls: workerAllowsPrivateUrls(bindings) };
}
