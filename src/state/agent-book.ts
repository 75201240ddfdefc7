import type { AgentConfig } from "../config";
import { type AgentRecord, type AgentSecrets, applySecretsPatch, nextRecord, type SecretsPatch } from "../core/agent";
import type { AuditSink } from "../core/audit";

export interface ConfigureInput {
  agentId: string;
  config: AgentConfig;
  systemPrompt: string;
  model: string;
  secrets?: SecretsPatch;
  now: number;
  /** Who configured it, for the audit trail (`admin:<key id>`, `code`). */
  actor?: string;
  /**
   * For an agent declared in code: the hash of what the code declares. A configure carrying the
   * hash already applied changes nothing, so isolates starting together after a deploy apply a
   * change once, not once each.
   */
  codeHash?: string;
}

/**
 * The agent object's part that holds the agent itself: its record and its secrets (table `kv`,
 * keys `agent` and `secrets`), and which learned-pattern snapshot serves (key `patterns`). Both are read on every message, so the parsed values are kept in
 * memory; the object is their only writer, so the copy cannot go stale.
 */
export class AgentBook {
  #sql: SqlStorage;
  #auditor: AuditSink;
  #record: AgentRecord | null | undefined;
  #secrets: AgentSecrets | undefined;
  #patterns: number | undefined;

  constructor(sql: SqlStorage, auditor: AuditSink) {
    this.#sql = sql;
    this.#auditor = auditor;
    sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  /** The agent, or null when none was ever configured here. */
  record(): AgentRecord | null {
    if (this.#record === undefined) this.#record = this.#get<AgentRecord>("agent") ?? null;
    return this.#record;
  }

  secrets(): AgentSecrets {
    this.#secrets ??= this.#get<AgentSecrets>("secrets") ?? {};
    return this.#secrets;
  }

  /**
   * Creates or replaces the agent, inside the object's transaction; its creation is audited
   * (`agent.created`) and so is a change to a running agent (`agent.updated`), with the names of
   * the secrets set or removed, never their values. An agent created again after a deletion
   * continues its version numbers (see `retire`).
   */
  configure(input: ConfigureInput): { record: AgentRecord; created: boolean; unchanged?: true } {
    const previous = this.record() ?? undefined;
    if (previous && input.codeHash !== undefined && this.#get<string>("code_hash") === input.codeHash) {
      return { record: previous, created: false, unchanged: true };
    }
    const next = nextRecord(previous, input, input.now);
    const retired = previous ? undefined : this.#get<number>("retired_version");
    const record = retired === undefined ? next : { ...next, version: retired + 1 };
    const secrets = applySecretsPatch(this.secrets(), input.secrets);
    this.#put("agent", record);
    this.#put("secrets", secrets);
    if (input.codeHash !== undefined) this.#put("code_hash", input.codeHash);
    else this.#sql.exec("DELETE FROM kv WHERE key = 'code_hash'");
    this.#record = record;
    this.#secrets = secrets;
    const changed = Object.entries(input.secrets ?? {}).map(([name, value]) => (value === null ? `-${name}` : name));
    const details = { version: record.version, model: record.model, secrets: changed };
    this.#auditor.event(record, {
      at: input.now,
      actor: input.actor ?? "admin",
      action: previous ? "agent.updated" : "agent.created",
      resource: input.agentId,
      decision: "changed",
      details: previous ? { ...details, promptChanged: previous.systemPrompt !== record.systemPrompt } : details,
    });
    return { record, created: previous === undefined };
  }

  /** The version of the learned-pattern snapshot that serves (0: none); a pointer, the patterns live in D1 and KV. */
  patterns(): number {
    this.#patterns ??= this.#get<number>("patterns") ?? 0;
    return this.#patterns;
  }

  /** Points at a newer pattern snapshot; an older version (a slower publisher) is ignored. True when it moved. */
  setPatterns(version: number): boolean {
    if (version <= this.patterns()) return false;
    this.#put("patterns", version);
    this.#patterns = version;
    return true;
  }

  /**
   * After the object's tables were emptied for a deletion: remembers the deleted agent's last
   * version, so a new agent under the same id never reuses a version that scoped cached answers.
   */
  retire(version: number): void {
    this.#put("retired_version", version);
    this.invalidate();
  }

  /** Forgets the in-memory copy (after a transaction that wrote it rolled back). */
  invalidate(): void {
    this.#record = undefined;
    this.#secrets = undefined;
    this.#patterns = undefined;
  }

  /** The trust level the first version kept as a bare number under `trust`, taken out once. */
  takeLegacyTrustLevel(): number | undefined {
    const level = this.#get<number>("trust");
    if (typeof level !== "number") return undefined;
    this.#sql.exec("DELETE FROM kv WHERE key = 'trust'");
    return level;
  }

  #get<T>(key: string): T | undefined {
    const row = this.#sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = ?", key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  #put(key: string, value: unknown): void {
    this.#sql.exec("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", key, JSON.stringify(value));
  }
}
