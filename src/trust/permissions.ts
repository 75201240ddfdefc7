/**
 * Tool permissions by trust level. A level grants the tools of the highest permission key at
 * or below it; tool names are matched against globs where `*` stands for any run of characters,
 * wherever it appears (`mcp__*` matches every MCP tool, `mcp__slack__*` the Slack server's).
 */

/** Keys and levels are compared with this slack so 0.3 + 0.2 reaches the 0.5 key. */
const EPSILON = 1e-9;

const globCache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`);
    globCache.set(glob, re);
  }
  return re;
}

/**
 * Whether a tool name matches one glob.
 *
 * @example
 * matchesGlob("mcp__slack__post", "mcp__*"); // true
 * matchesGlob("Write", "Read"); // false
 */
export function matchesGlob(tool: string, glob: string): boolean {
  return globToRegExp(glob).test(tool);
}

/** Whether a tool name matches any of the globs. */
export function matchesAny(tool: string, globs: readonly string[]): boolean {
  return globs.some((g) => matchesGlob(tool, g));
}

/**
 * The globs in force at a trust level: those of the highest key at or below it, or none.
 *
 * @example
 * globsForLevel(0.4, { "0.1": ["Read"], "0.3": ["Read", "mcp__slack__*"] }); // ["Read", "mcp__slack__*"]
 */
export function globsForLevel(level: number, permissions: Readonly<Record<string, readonly string[]>>): readonly string[] {
  const key = tierKeyAt(level, permissions);
  return key === null ? [] : (permissions[key] ?? []);
}

/** `ask`: the level does not allow the tool, but a person may approve a request to run it. */
export type PermissionDecision = { allowed: true } | { allowed: false; reason: string; ask?: true };

export interface PermissionPolicy {
  level: number;
  permissions: Readonly<Record<string, readonly string[]>>;
  /** Globs denied at every level, even under `*`. */
  deny: readonly string[];
  /** Globs the agent may request with a person's approval where its level does not allow them. */
  ask?: readonly string[];
}

/**
 * Decides whether a tool may run at the policy's level. The reason is shown to the model.
 *
 * @example
 * checkTool("Write", { level: 0.3, permissions: { "0.3": ["Read"] }, deny: [] });
 * // { allowed: false, reason: 'tool "Write" is not allowed at trust level 0.3' }
 */
export function checkTool(tool: string, policy: PermissionPolicy): PermissionDecision {
  if (matchesAny(tool, policy.deny)) {
    return { allowed: false, reason: `tool "${tool}" is denied for this agent` };
  }
  if (matchesAny(tool, globsForLevel(policy.level, policy.permissions))) return { allowed: true };
  if (policy.ask && matchesAny(tool, policy.ask)) {
    return { allowed: false, ask: true, reason: `tool "${tool}" needs a person's approval at trust level ${formatLevel(policy.level)}` };
  }
  return { allowed: false, reason: `tool "${tool}" is not allowed at trust level ${formatLevel(policy.level)}` };
}

/** A trust level as people read it: at most three decimals, no float noise. */
export function formatLevel(level: number): string {
  return String(Math.round(level * 1000) / 1000);
}

/** The permission key in force at a level (the highest at or below it), or null below every key. */
export function tierKeyAt(level: number, permissions: Readonly<Record<string, readonly string[]>>): string | null {
  let best: string | null = null;
  for (const key of Object.keys(permissions)) {
    if (Number(key) <= level + EPSILON && (best === null || Number(key) > Number(best))) best = key;
  }
  return best;
}

/**
 * The globs a move from one level to another grants that the old level lacked; non-empty means a rise
 * into a tier with more tools, which raises a `permission_escalation` alert.
 *
 * @example
 * newGlobs(0.4, 0.5, seedPermissions); // ["Write", "mcp__*"]
 */
export function newGlobs(from: number, to: number, permissions: Readonly<Record<string, readonly string[]>>): string[] {
  if (to <= from) return [];
  const before = globsForLevel(from, permissions);
  // A new glob is covered when an old glob matches it as a name: `mcp__*` covers `mcp__slack__*`.
  return globsForLevel(to, permissions).filter((g) => !matchesAny(g, before));
}
