import type { AgentConfig } from "../config";
import { parseDuration } from "../config/fields";

/**
 * The shortest audit retention each compliance standard allows, in config duration form.
 * HIPAA: documentation of the safeguards, audit logs among them, is kept six years
 * (45 CFR §164.316(b)(2)(i)). SOC 2 sets no fixed period, so it adds no floor.
 */
export const REQUIRED_RETENTION: Partial<Record<AgentConfig["audit"]["compliance"]["standards"][number], string>> = {
  HIPAA: "6y",
};

/** A config change that lets retention erase audit events a standard requires to be kept. */
export interface RetentionShortfall {
  /** The standards that ask for more, from the previous and the new config. */
  standards: string[];
  required: string;
  from: string | null;
  to: string;
}

/**
 * Whether `next` sets retention below what the agent's standards require (those of the previous
 * config count too: dropping HIPAA and shortening retention in one PUT is still shortening it),
 * and shorter than it was. Keeping an already short retention is no new erasure.
 *
 * @example
 * retentionShortfall(undefined, hipaaWith1d); // { standards: ["HIPAA"], required: "6y", from: null, to: "1d" }
 */
export function retentionShortfall(previous: AgentConfig | undefined, next: AgentConfig): RetentionShortfall | null {
  const standards = [...new Set([...(previous?.audit.compliance.standards ?? []), ...next.audit.compliance.standards])];
  let required: string | undefined;
  for (const standard of standards) {
    const floor = REQUIRED_RETENTION[standard];
    if (floor && (required === undefined || parseDuration(floor) > parseDuration(required))) required = floor;
  }
  if (required === undefined) return null;
  const to = parseDuration(next.audit.retention.duration);
  if (to >= parseDuration(required)) return null;
  const from = previous?.audit.retention.duration ?? null;
  if (from !== null && to >= parseDuration(from)) return null;
  return { standards: standards.filter((s) => REQUIRED_RETENTION[s] !== undefined), required, from, to: next.audit.retention.duration };
}
