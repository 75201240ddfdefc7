import type { AgentConfig } from "../config";
import type { AgentSecrets } from "../config/credentials";

/** Provider credentials of one agent: `http`, `slack.signingSecret`, `twilio.authToken`, ... */
export type { AgentSecrets };

/** A change to the secrets: a key set to null is removed, keys not named stay as they are. */
export type SecretsPatch = Record<string, string | Record<string, string> | null>;

/** An agent as stored: the validated config and what it runs with. */
export interface AgentRecord {
  agentId: string;
  /** Increases by one with every PUT; caches key on it so a new config never reads old answers. */
  version: number;
  config: AgentConfig;
  systemPrompt: string;
  model: string;
  createdAt: number;
  updatedAt: number;
}

/** What the message path knows of an agent: its record and trust level, never its secrets. */
export interface AgentView {
  record: AgentRecord;
  trustLevel: number;
  /** The version of the agent's learned-pattern snapshot; absent or 0 when none serves. */
  patterns?: number;
}

/** The agent with its secrets, for the admin API (which shows their names, never their values). */
export interface AgentSnapshot extends AgentView {
  secrets: AgentSecrets;
}

/** Names a channel secret: `http`, or a provider's field such as `slack.signingSecret`. */
export interface SecretRef {
  name: string;
  field?: string;
}

/**
 * The secret a reference names, or undefined when it is not set.
 *
 * @example
 * secretValue({ slack: { botToken: "x" } }, { name: "slack", field: "botToken" }); // "x"
 */
export function secretValue(secrets: AgentSecrets, ref: SecretRef): string | undefined {
  const value = secrets[ref.name];
  if (ref.field) return typeof value === "object" ? value[ref.field] : undefined;
  return typeof value === "string" ? value : undefined;
}

/**
 * Applies a secrets patch.
 *
 * @example
 * applySecretsPatch({ http: "a", slack: { botToken: "x" } }, { http: null }); // { slack: { botToken: "x" } }
 */
export function applySecretsPatch(current: AgentSecrets, patch: SecretsPatch | undefined): AgentSecrets {
  if (!patch) return current;
  const next: AgentSecrets = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** The names of the secrets that are set, for showing without values (`slack.botToken`). */
export function secretNames(secrets: AgentSecrets): string[] {
  return Object.entries(secrets)
    .flatMap(([k, v]) => (typeof v === "string" ? [k] : Object.keys(v).map((sub) => `${k}.${sub}`)))
    .sort();
}

/** The next record for a PUT: a new agent starts at version 1, a replacement keeps its creation time. */
export function nextRecord(
  previous: AgentRecord | undefined,
  input: { agentId: string; config: AgentConfig; systemPrompt: string; model: string },
  now: number,
): AgentRecord {
  return {
    ...input,
    version: (previous?.version ?? 0) + 1,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  };
}

/** The value of one of an agent's secrets, or undefined when the agent has no such secret. */
export type SecretLookup = (name: string) => Promise<string | undefined>;
