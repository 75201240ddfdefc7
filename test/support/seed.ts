/**
 * The trust permissions the vision's `ClaudeAgent({...})` example writes (also the config
 * default), copied from the vision text rather than imported, so tests check the code against
 * the specification.
 */
export const SEED_PERMISSIONS = {
  "0.1": ["Read"],
  "0.3": ["Read", "mcp__slack__*"],
  "0.5": ["Read", "Write", "mcp__*"],
  "0.9": ["*"],
} as const;
