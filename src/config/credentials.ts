/**
 * Credentials named by the config and kept in the agent's `secrets`: MCP server headers and
 * the Slack alert webhook URL (whose path is Slack's token). The config holds
 * `{ "secret": "<name>" }`; the value is set with `PUT /v1/agents/:id { secrets }` and is never
 * returned by any endpoint. These helpers list the references, check them against the secrets
 * a PUT would leave, and hide credentials that configs stored before references existed hold.
 */
import { z } from "zod";
import { type ConfigIssue, formatPath } from "./errors";
import { type UrlPolicy, urlRisk } from "./urls";

/** An agent's stored secrets: a value, or a provider's named fields (`slack.signingSecret`). */
export type AgentSecrets = Record<string, string | Record<string, string>>;

/** The admin API's rule for secret names. */
export const SECRET_NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** A value kept in the agent's secrets under `secret`. */
export interface SecretRef {
  secret: string;
}

/**
 * A credential field: `{ "secret": "<name>" }`. A plain string is refused with `migrate`,
 * which says how to move the value into the secrets.
 *
 * @example
 * secretRef("set it as a secret").parse({ secret: "mcp_token" });
 */
export function secretRef(migrate: string) {
  return z.strictObject(
    { secret: z.string().regex(SECRET_NAME_RE, { error: "must be a secret name: a letter, then letters, digits or \"_\" (at most 32)" }) },
    { error: (iss) => (iss.code === "invalid_type" && typeof iss.input === "string" ? migrate : undefined) },
  );
}

/** The message for a header value written into the config. */
export const HEADER_MIGRATION =
  'is a credential and is not kept in the config: set the value as a secret with PUT /v1/agents/:id ({ "secrets": { "mcp_token": "<value>" } }) and write { "secret": "mcp_token" } here';

/** The message for a Slack webhook URL written into the config. */
export const WEBHOOK_MIGRATION =
  'holds Slack\'s token and is not kept in the config: set the URL as a secret with PUT /v1/agents/:id ({ "secrets": { "alert_webhook": "<url>" } }) and write { "slackWebhook": { "secret": "alert_webhook" } }';

/** What a reference is used as, which decides how its value is checked. */
type Use = "header" | "url";

interface Reference {
  path: string;
  name: string;
  use: Use;
}

interface CredentialFields {
  tools: { mcpServers: Record<string, { headers?: Record<string, SecretRef | string> }> };
  audit: { alertChannel?: { slackWebhook: SecretRef | string } | { email: string } };
  channels: ReadonlyArray<{ type: string; webhook?: string }>;
}

/** Every secret the config names, with the field that names it. */
export function secretReferences(config: CredentialFields): Reference[] {
  const refs: Reference[] = [];
  for (const [server, { headers = {} }] of Object.entries(config.tools.mcpServers)) {
    for (const [header, value] of Object.entries(headers)) {
      if (typeof value === "object") refs.push({ path: formatPath(["tools", "mcpServers", server, "headers", header]), name: value.secret, use: "header" });
    }
  }
  const channel = config.audit.alertChannel;
  if (channel && "slackWebhook" in channel && typeof channel.slackWebhook === "object") {
    refs.push({ path: "audit.alertChannel.slackWebhook", name: channel.slackWebhook.secret, use: "url" });
  }
  return refs;
}

/** RFC 9110 field-value: no CR, LF or NUL, which `fetch` would refuse when the server is called. */
const HEADER_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Problems with the secrets the config names, given the secrets the agent will have: a name
 * that is not set, or a value that cannot serve its use (a header with a line break, a
 * webhook URL that is not a public https URL).
 *
 * @example
 * credentialIssues(config, { mcp_token: "Bearer x" });
 * // [] or [{ path: "tools.mcpServers.github.headers.authorization", message: 'names the secret "…", which is not set; ...' }]
 */
export function credentialIssues(config: CredentialFields, secrets: AgentSecrets, policy: UrlPolicy = {}): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const ref of secretReferences(config)) {
    const value = secrets[ref.name];
    if (value === undefined) {
      issues.push({ path: ref.path, message: `names the secret "${ref.name}", which is not set; set secrets.${ref.name} with PUT /v1/agents/:id` });
    } else if (typeof value !== "string") {
      issues.push({ path: ref.path, message: `names the secret "${ref.name}", which holds several values; name a secret that holds one string` });
    } else if (ref.use === "header" && !HEADER_VALUE_RE.test(value)) {
      issues.push({ path: ref.path, message: `names the secret "${ref.name}", whose value is not a valid header value (line breaks are not allowed); set it again` });
    } else if (ref.use === "url") {
      const risk = urlRisk(value, policy);
      if (risk) issues.push({ path: ref.path, message: `names the secret "${ref.name}", whose URL ${risk}` });
    }
  }
  return issues;
}

/** Shown in place of a credential that a config stored before secret references still holds. */
export const HIDDEN = "[hidden: move it to secrets]";

/**
 * The config as endpoints may show it: any credential an older config holds inline, and the
 * Slack channel's unused `webhook` URL, is replaced by {@link HIDDEN}.
 *
 * @example
 * hideCredentials(config).tools.mcpServers.github?.headers; // { authorization: "[hidden: move it to secrets]" }
 */
export function hideCredentials<T extends CredentialFields>(config: T): T {
  const mcpServers = Object.fromEntries(
    Object.entries(config.tools.mcpServers).map(([name, server]) => [
      name,
      server.headers
        ? { ...server, headers: Object.fromEntries(Object.entries(server.headers).map(([h, v]) => [h, typeof v === "string" ? HIDDEN : v])) }
        : server,
    ]),
  );
  const channel = config.audit.alertChannel;
  const alertChannel = channel && "slackWebhook" in channel && typeof channel.slackWebhook === "string" ? { slackWebhook: HIDDEN } : channel;
  // The Slack channel's `webhook` (kept for the seed's shape, unused) is an incoming-webhook URL: Slack's token.
  const channels = config.channels.map((channel) => (channel.webhook === undefined ? channel : { ...channel, webhook: HIDDEN }));
  return {
    ...config,
    channels,
    tools: { ...config.tools, mcpServers },
    audit: { ...config.audit, ...(alertChannel ? { alertChannel } : {}) },
  };
}
