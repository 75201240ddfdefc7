/**
 * The agent config: one zod schema for the seed's `ClaudeAgent({...})` object, the same for
 * JSON (admin API) and TypeScript (`defineAgent`), with readable `path: rule` errors.
 */
import { ConfigError, configErrorMap, formatPath, toConfigIssues, type ConfigIssue } from "./errors";
import { agentConfigSchema, type AgentConfig, type AgentConfigInput } from "./schema";
import { type UrlPolicy, urlRisk } from "./urls";

export * from "./schema";
export { ConfigError, configErrorMap, formatIssues, formatPath, toConfigIssues, unknownFieldMessage, ROOT_PATH, type ConfigIssue } from "./errors";
export { SEED_EXAMPLE_CONFIG } from "./seed-example";
export { allowsPrivateUrls, privateHostReason, urlRisk, type UrlPolicy } from "./urls";
export { credentialIssues, hideCredentials, secretReferences, HIDDEN, type SecretRef } from "./credentials";

export type ParseConfigResult = { ok: true; config: AgentConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * Validates untrusted input (a JSON body) and fills in every default. URLs the worker would
 * call must be public https URLs unless `policy.allowPrivateUrls` (local development and tests).
 *
 * @example
 * const r = parseAgentConfig({ trust: { initial: 2 } });
 * // { ok: false, issues: [{ path: "trust.initial", message: "must be between 0 and 1" }] }
 */
export function parseAgentConfig(input: unknown, policy: UrlPolicy = {}): ParseConfigResult {
  const result = agentConfigSchema.safeParse(withPatternDefaults(input), { error: configErrorMap });
  if (!result.success) return { ok: false, issues: toConfigIssues(result.error.issues, [], agentConfigSchema) };
  const issues = urlIssues(result.data, policy);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config: result.data };
}

/** The URLs the worker would call: public https hosts only, unless the policy allows private ones. */
function urlIssues(config: AgentConfig, policy: UrlPolicy): ConfigIssue[] {
  return Object.entries(config.tools.mcpServers).flatMap(([server, { url }]) => {
    const risk = urlRisk(url, policy);
    return risk ? [{ path: formatPath(["tools", "mcpServers", server, "url"]), message: risk }] : [];
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `optimization.patterns` and `learning.patterns` are one knob seen from two sides: a field set
 * on one side only is the other side's default (`minFrequency` ↔ `minOccurrences`, `confidence`
 * ↔ `confidenceThreshold`, the latter only where it is stricter than the other side's default).
 * Fields set on both sides must agree: the learning side may not be looser (checked by the schema).
 */
function withPatternDefaults(input: unknown): unknown {
  if (!isObject(input)) return input;
  const { optimization = {}, learning = {} } = input;
  if (!isObject(optimization) || !isObject(learning)) return input;
  const { patterns: cost = {} } = optimization;
  const { patterns: learned = {} } = learning;
  if (!isObject(cost) || !isObject(learned)) return input;
  const nextLearned = { ...learned };
  const nextCost = { ...cost };
  if (learned.minOccurrences === undefined && typeof cost.minFrequency === "number") nextLearned.minOccurrences = cost.minFrequency;
  if (cost.minFrequency === undefined && typeof learned.minOccurrences === "number") nextCost.minFrequency = learned.minOccurrences;
  if (learned.confidenceThreshold === undefined && typeof cost.confidence === "number" && cost.confidence > 0.95) nextLearned.confidenceThreshold = cost.confidence;
  if (cost.confidence === undefined && typeof learned.confidenceThreshold === "number" && learned.confidenceThreshold < 0.9) nextCost.confidence = learned.confidenceThreshold;
  const touched = (a: Record<string, unknown>, b: Record<string, unknown>) => Object.keys(a).length !== Object.keys(b).length;
  return {
    ...input,
    ...(touched(cost, nextCost) ? { optimization: { ...optimization, patterns: nextCost } } : {}),
    ...(touched(learned, nextLearned) ? { learning: { ...learning, patterns: nextLearned } } : {}),
  };
}

/**
 * Declares an agent in TypeScript: the editor checks the shape, and a bad value throws a
 * ConfigError whose message lists every problem.
 *
 * @example
 * export default defineAgent({
 *   systemPrompt: "You answer questions for Acme Bakery.",
 *   trust: { initial: 0.3 },
 *   channels: [{ type: "sms", provider: "twilio", features: ["short_responses"] }],
 * });
 */
export function defineAgent(config: AgentConfigInput, policy: UrlPolicy = {}): AgentConfig {
  const result = parseAgentConfig(config, policy);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

/** One permission level: the tool globs granted from `level` up to the next level. */
export interface PermissionLevel {
  level: number;
  tools: string[];
}

/**
 * The config's permission levels with their keys parsed, lowest first.
 *
 * @example
 * permissionLevels(defineAgent({}));
 * // [{ level: 0.1, tools: ["Read"] }, { level: 0.3, tools: ["Read", "mcp__slack__*"] }, ...]
 */
export function permissionLevels(config: { trust: { permissions: Readonly<Record<string, readonly string[]>> } }): PermissionLevel[] {
  return Object.entries(config.trust.permissions)
    .map(([key, tools]) => ({ level: Number(key), tools: [...tools] }))
    .sort((a, b) => a.level - b.level);
}
