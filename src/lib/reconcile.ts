/**
 * Agents as code: the agents a worker declares (`createForeman({ agents })`) are applied to their
 * records (the agent's object, its D1 row, the directory entry) through the admin API's own save,
 * so they are validated, versioned and audited exactly as a `PUT /v1/agents/:agentId` would be.
 */
import { storeAgent } from "../admin/agents";
import type { ConfigIssue } from "../config";
import type { Clock } from "../core/clock";
import { hmacSha256Hex, sha256Hex } from "../core/crypto";
import { canonicalJson } from "../core/json";
import { AppError } from "../core/errors";
import type { Logger } from "../core/logger";
import type { ClaudeAgent, SecretBindings } from "./claude-agent";
import { shards } from "../db/shards";

/** The audit trail's actor for changes made by deploying code. */
export const CODE_ACTOR = "code";

/** What one reconciliation did, agent by agent. */
export interface ReconcileReport {
  created: string[];
  updated: string[];
  /** Already as the code declares them: nothing was written. */
  unchanged: string[];
  /** Code-managed agents the code no longer declares: kept as they are, never deleted. */
  notInCode: string[];
  /** Agents that could not be applied, with why (the rest were still applied). */
  failed: Array<{ agentId: string; message: string; issues?: ConfigIssue[] }>;
}

/**
 * Applies the declared agents. An agent whose code hash matches the one its row records is left
 * alone (one D1 read for all of them); a new or changed one is saved as `PUT` would save it, with
 * actor `code` (`agent.created` / `agent.updated` in its audit trail). An agent of the admin API
 * with the same id becomes code-managed. Code-managed agents missing from the code are reported
 * (logged as `code_agent_not_in_code`), never deleted.
 *
 * @example
 * const report = await reconcileAgents(env, [shop], { clock: systemClock, logger });
 * // { created: ["shop"], updated: [], unchanged: [], notInCode: [], failed: [] }
 */
export async function reconcileAgents(
  env: Env,
  agents: readonly ClaudeAgent[],
  deps: { clock: Clock; logger: Logger },
  /** `these`: only the agents given (one agent's own `handle`), so the others are not "missing". */
  scope: "all" | "these" = "all",
): Promise<ReconcileReport> {
  const report: ReconcileReport = { created: [], updated: [], unchanged: [], notInCode: [], failed: [] };
  const applied = new Map<string, string | null>();
  for (const shard of shards(env).all) {
    const { results } = await shard.db.prepare("SELECT id, code_hash FROM agents WHERE managed_by = 'code'").all<{ id: string; code_hash: string | null }>();
    for (const row of results) applied.set(row.id, row.code_hash);
  }
  for (const agent of agents) {
    const secrets = resolveSecrets(agent.secretBindings, env as unknown as Record<string, unknown>);
    if (!secrets.ok) {
      report.failed.push({ agentId: agent.id, message: secrets.issues.map((i) => `${i.path}: ${i.message}`).join("; "), issues: secrets.issues });
      continue;
    }
    const hash = await codeHash(agent, secrets.values, env.ADMIN_TOKEN);
    if (applied.get(agent.id) === hash) {
      report.unchanged.push(agent.id);
      continue;
    }
    try {
      const body = { config: agent.configInput(), ...(Object.keys(secrets.values).length > 0 ? { secrets: secrets.values } : {}) };
      const saved = await storeAgent(env, { actor: CODE_ACTOR, role: "admin", now: deps.clock.now() }, agent.id, body, { managedBy: "code", hash });
      (saved.created ? report.created : saved.unchanged ? report.unchanged : report.updated).push(agent.id);
      for (const warning of saved.warnings) deps.logger.warn("code_agent_warning", { agentId: agent.id, path: warning.path, message: warning.message });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const issues = (err.details as { issues?: ConfigIssue[] } | undefined)?.issues;
      report.failed.push({ agentId: agent.id, message: err.message, ...(issues ? { issues } : {}) });
    }
  }
  const declared = new Set(agents.map((a) => a.id));
  if (scope === "all") report.notInCode = [...applied.keys()].filter((id) => !declared.has(id)).sort();

  for (const agentId of report.notInCode) deps.logger.warn("code_agent_not_in_code", { agentId, fix: "declare it again, or delete it with DELETE /v1/agents/:agentId" });
  for (const failure of report.failed) deps.logger.error("code_agent_not_applied", { agentId: failure.agentId, message: failure.message });
  if (report.created.length + report.updated.length > 0) {
    deps.logger.info("code_agents_applied", { created: report.created, updated: report.updated });
  }
  return report;
}

/** Why an agent was not applied in a report, or undefined when it was. */
export function failureOf(report: ReconcileReport | undefined, agentId: string): string | undefined {
  return report?.failed.find((f) => f.agentId === agentId)?.message;
}

type Resolved = { ok: true; values: Record<string, string | Record<string, string>> } | { ok: false; issues: ConfigIssue[] };

/** The agent's secrets, read from the worker's secrets that `secretBindings` names. */
function resolveSecrets(bindings: Readonly<SecretBindings>, env: Record<string, unknown>): Resolved {
  const values: Record<string, string | Record<string, string>> = {};
  const issues: ConfigIssue[] = [];
  const read = (path: string, binding: string): string | undefined => {
    const value = env[binding];
    if (typeof value === "string" && value !== "") return value;
    issues.push({ path, message: `the worker has no secret ${binding}: set it with \`wrangler secret put ${binding}\` (or in .dev.vars locally)` });
    return undefined;
  };
  for (const [name, binding] of Object.entries(bindings)) {
    if (typeof binding === "string") {
      const value = read(`secretBindings.${name}`, binding);
      if (value !== undefined) values[name] = value;
      continue;
    }
    const fields: Record<string, string> = {};
    for (const [field, fieldBinding] of Object.entries(binding)) {
      const value = read(`secretBindings.${name}.${field}`, fieldBinding);
      if (value !== undefined) fields[field] = value;
    }
    values[name] = fields;
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, values };
}

/**
 * What the code declares, as one hash: the validated config (defaults filled, so a default that
 * changes with an upgrade is applied too) and the secrets' values, so a rotated
 * `wrangler secret put` is applied on the next start. The values enter the hash only through an
 * HMAC keyed with the worker's ADMIN_TOKEN: the row in D1, where secrets never go, then says
 * nothing that would let a weak secret be guessed offline. (Without ADMIN_TOKEN the admin API is
 * closed, and a plain SHA-256 is used.)
 */
export async function codeHash(agent: ClaudeAgent, secrets: Record<string, unknown>, key: string | undefined): Promise<string> {
  const values = canonicalJson(secrets);
  const secretsDigest = key ? await hmacSha256Hex(key, values) : await sha256Hex(values);
  return sha256Hex(canonicalJson({ id: agent.id, config: agent.config, secrets: secretsDigest }));
}
