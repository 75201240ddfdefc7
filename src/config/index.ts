/**
 * The agent config: one zod schema for the seed's `ClaudeAgent({...})` object, the same for
 * JSON (admin API) and TypeScript (`defineAgent`), with readable `path: rule` errors.
 */
import { ConfigError, configErrorMap, toConfigIssues, type ConfigIssue } from "./errors";
import { agentConfigSchema, type AgentConfig, type AgentConfigInput } from "./schema";

export * from "./schema";
export { ConfigError, configErrorMap, formatIssues, formatPath, toConfigIssues, ROOT_PATH, type ConfigIssue } from "./errors";
export { SEED_EXAMPLE_CONFIG } from "./seed-example";

export type ParseConfigResult = { ok: true; config: AgentConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * Validates untrusted input (a JSON body) and fills in every default.
 *
 * @example
 * const r = parseAgentConfig({ trust: { initial: 2 } });
 * // { ok: false, issues: [{ path: "trust.initial", message: "must be between 0 and 1" }] }
 */
export function parseAgentConfig(input: unknown): ParseConfigResult {
  const result = agentConfigSchema.safeParse(withPatternDefaults(input), { error: configErrorMap });
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, issues: toConfigIssues(result.error.issues) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `optimization.patterns` is the cost side's view of what `learning.patterns` decides: a
 * `learning.patterns` field left out takes its default from it (`minOccurrences` from
 * `minFrequency`; `confidenceThreshold` from `confidence` when that is stricter than 0.95).
 * Fields set on both sides must agree (checked by the schema).
 */
function withPatternDefaults(input: unknown): unknown {
  if (!isObject(input) || !isObject(input.optimization) || !isObject(input.optimization.patterns)) return input;
  if (input.learning !== undefined && !isObject(input.learning)) return input;
  const cost = input.optimization.patterns;
  const learning = input.learning ?? {};
  if (learning.patterns !== undefined && !isObject(learning.patterns)) return input;
  const patterns = { ...(learning.patterns ?? {}) };
  if (patterns.minOccurrences === undefined && typeof cost.minFrequency === "number") patterns.minOccurrences = cost.minFrequency;
  if (patterns.confidenceThreshold === undefined && typeof cost.confidence === "number" && cost.confidence > 0.95) patterns.confidenceThreshold = cost.confidence;
  return { ...input, learning: { ...learning, patterns } };
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
export function defineAgent(config: AgentConfigInput): AgentConfig {
  const result = parseAgentConfig(config);
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
