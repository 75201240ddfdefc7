/**
 * The one rule for agent ids. They appear in URLs, storage keys, object names and KV keys, so the
 * admin API refuses any other id and the webhooks answer one as they answer an unknown agent.
 */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The rule in words, for error messages. */
export const AGENT_ID_RULE = "agent ids are 1-64 letters, digits, '-' or '_', starting with a letter or digit";

/**
 * @example
 * isAgentId("acme-support"); // true
 * isAgentId("../admin");     // false
 */
export function isAgentId(value: string): boolean {
  return AGENT_ID_PATTERN.test(value);
}
