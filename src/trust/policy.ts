import { type AgentConfig, parseDuration } from "../config";
import type { TrustPolicy } from "./rules";

/** The rules engine's policy from an agent's `trust` config. */
export function trustPolicy(trust: AgentConfig["trust"]): TrustPolicy & { windowOutcomes: number; windowMs: number | null } {
  return {
    rules: trust.rules,
    minOutcomes: trust.minOutcomes,
    cooldownMs: parseDuration(trust.cooldown),
    evaluationPeriodMs: parseDuration(trust.evaluationPeriod),
    windowOutcomes: trust.window.outcomes,
    windowMs: trust.window.duration ? parseDuration(trust.window.duration) : null,
  };
}
