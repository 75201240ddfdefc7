/**
 * A pattern's life after detection, and what serves:
 *
 *   candidate ─ validated ─ pending_approval ─┬─ canary ─── active
 *                                ╱            ├─ shadow    │
 *   imported (a pack), once validated         └─ active    ├─ rolled_back (automatic, or a person)
 *   on the agent's own traffic                             ┘
 *   any of those ─ rejected (a person)
 *
 * Validated and pending patterns are in the snapshot too, as `pending`: they never answer, but
 * the model's answers to what they match are compared with them.
 *
 * Pattern state lives in D1 (`patterns`), never in the agent's hot object. What serves is a
 * snapshot in KV: a manifest (`learn:manifest:<agent>:<version>`: per class of the matcher, the
 * pattern, its status, canonical answer and signature) and the matcher it names
 * (`learn:matcher:<agent>:<run>`). Every change raises the agent's version in the same D1 batch
 * (`pattern_versions`), the snapshot is built from one consistent read, and the agent's object
 * keeps the newest version it was told of: so a rolled-back pattern stops serving with the next
 * message, whoever published last.
 */
import type { PendingAuditEvent } from "../core/audit";
import { AppError } from "../core/errors";
import type { Alert } from "../core/types";

export const PATTERN_STATUSES = ["candidate", "validated", "imported", "pending_approval", "canary", "shadow", "active", "rejected", "rolled_back"] as const;
export type PatternStatus = (typeof PATTERN_STATUSES)[number];

/** Statuses a pattern can be deployed to: canary and active answer, shadow only compares. */
export type ServingStatus = "canary" | "shadow" | "active";
export const SERVING_STATUSES: readonly ServingStatus[] = ["canary", "shadow", "active"];

/**
 * A pattern as the snapshot shows it: a deployed one, or `pending` (validated, waiting for a
 * person), which never answers but is compared with the model's answers, so the person sees
 * how it would have done and a canary starts with that evidence.
 */
export type SnapshotStatus = ServingStatus | "pending";

export interface ServingClass {
  id: string;
  status: SnapshotStatus;
  answer: string;
  /** What a model answer must say to agree (see signature.ts). */
  signature: number[];
}

export interface ServingManifest {
  format: 1;
  agentId: string;
  version: number;
  /** The detection run whose matcher this is; null when nothing serves. */
  runId: string | null;
  /** Indexed by the matcher's class: the pattern there, or null when that class must not answer. */
  classes: Array<ServingClass | null>;
}

export const matcherKey = (agentId: string, runId: string) => `learn:matcher:${agentId}:${runId}`;
export const manifestKey = (agentId: string, version: number) => `learn:manifest:${agentId}:${version}`;

/** Where pattern changes go besides D1: the agent's object (version pointer, audit, alerts). */
export interface PatternStore {
  db: D1Database;
  kv: KVNamespace;
  changed(input: { version: number; events: PendingAuditEvent[]; alert?: Omit<Alert, "id" | "agentId"> }): Promise<void>;
}

/** Raises the agent's pattern version; put in the same batch as the change it stands for. */
export function bumpVersion(db: D1Database, agentId: string): D1PreparedStatement {
  return db
    .prepare("INSERT INTO pattern_versions (agent_id, version) VALUES (?, 1) ON CONFLICT(agent_id) DO UPDATE SET version = version + 1")
    .bind(agentId);
}

interface ServingRow {
  id: string;
  status: ServingStatus | "validated" | "pending_approval";
  canonical_answer: string;
  run_id: string;
  class_index: number;
  signature: string | null;
}

/**
 * Builds the agent's serving snapshot from one consistent read, stores it and points the agent's
 * object at it, with the audit events (and alert) of the change that led here. Returns the version.
 */
export async function publish(store: PatternStore, agentId: string, events: PendingAuditEvent[], alert?: Omit<Alert, "id" | "agentId">): Promise<number> {
  const [versionRows, servingRows] = await store.db.batch([
    store.db.prepare("SELECT version FROM pattern_versions WHERE agent_id = ?").bind(agentId),
    store.db
      .prepare(
        "SELECT id, status, canonical_answer, run_id, class_index, signature FROM patterns WHERE agent_id = ? AND status IN ('validated', 'pending_approval', 'canary', 'shadow', 'active') AND run_id IS NOT NULL AND class_index IS NOT NULL",
      )
      .bind(agentId),
  ]);
  const version = (versionRows!.results[0] as { version: number } | undefined)?.version ?? 0;
  const rows = servingRows!.results as unknown as ServingRow[];
  // Serving patterns are classes of the newest proven run; one that run left out keeps an older
  // run's place and is not served (see `newestRun`).
  const runId = rows.length ? newestRun(rows) : null;
  const classes: Array<ServingClass | null> = [];
  for (const r of rows) {
    if (r.run_id !== runId) continue;
    while (classes.length <= r.class_index) classes.push(null);
    const status: SnapshotStatus = r.status === "validated" || r.status === "pending_approval" ? "pending" : r.status;
    classes[r.class_index] = { id: r.id, status, answer: r.canonical_answer, signature: r.signature ? (JSON.parse(r.signature) as number[]) : [] };
  }
  const manifest: ServingManifest = { format: 1, agentId, version, runId, classes };
  await store.kv.put(manifestKey(agentId, version), JSON.stringify(manifest));
  await store.changed({ version, events, ...(alert ? { alert } : {}) });
  await deleteOlderManifests(store.kv, agentId, version);
  return version;
}

/**
 * Deletes the agent's manifests older than `version` (isolates that loaded one keep their copy):
 * the one just replaced, and any a failed or overtaken publish left behind.
 */
async function deleteOlderManifests(kv: KVNamespace, agentId: string, version: number): Promise<void> {
  const prefix = manifestKey(agentId, 0).slice(0, -1);
  let cursor: string | undefined;
  do {
    const page: KVNamespaceListResult<unknown, string> = await kv.list({ prefix, ...(cursor ? { cursor } : {}) });
    const older = page.keys.map((k) => k.name).filter((name) => Number(name.slice(prefix.length)) < version);
    await Promise.all(older.map((name) => kv.delete(name)));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
}

/**
 * Publishes again when the agent's object points at an older version than D1 holds: a change
 * was committed but its publish failed half-way. True when it published.
 */
export async function republishIfBehind(store: PatternStore, agentId: string, pointed: number): Promise<boolean> {
  const row = await store.db.prepare("SELECT version FROM pattern_versions WHERE agent_id = ?").bind(agentId).first<{ version: number }>();
  if (!row || row.version <= pointed) return false;
  await publish(store, agentId, []);
  return true;
}

/** The run most serving patterns point at: every run updates all the patterns it holds. */
function newestRun(rows: readonly ServingRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.run_id, (counts.get(r.run_id) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

/** Where an approved pattern goes: its strategy's first serving status. */
export function deployedStatus(strategy: "canary" | "immediate" | "shadow"): ServingStatus {
  return strategy === "immediate" ? "active" : strategy;
}

export type PatternAction = "approve" | "reject" | "rollback";

/** What each action accepts, and where it leads (approve depends on the strategy and on where it starts). */
export const ACCEPTS: Record<PatternAction, readonly PatternStatus[]> = {
  approve: ["validated", "pending_approval", "canary", "shadow"],
  reject: ["candidate", "validated", "imported", "pending_approval", "canary", "shadow", "active"],
  rollback: ["canary", "shadow", "active"],
};

const AUDITED: Record<PatternAction, string> = { approve: "pattern.approved", reject: "pattern.rejected", rollback: "pattern.rolled_back" };

export interface TransitionInput {
  agentId: string;
  patternId: string;
  action: PatternAction;
  strategy: "canary" | "immediate" | "shadow";
  actor: string;
  note: string | null;
  now: number;
}

/**
 * A person's decision on a pattern. Approving one waiting for approval deploys it by the
 * strategy; approving a canary or shadow pattern makes it active (a person may settle what the
 * sequential test left inconclusive). 404 for a pattern of another agent, 409 from a status the
 * action does not apply to (naming the ones it does).
 */
export async function transition(store: PatternStore, input: TransitionInput): Promise<{ from: PatternStatus; to: PatternStatus }> {
  const row = await store.db.prepare("SELECT status FROM patterns WHERE id = ? AND agent_id = ?").bind(input.patternId, input.agentId).first<{ status: PatternStatus }>();
  if (!row) throw new AppError("not_found", `agent "${input.agentId}" has no pattern "${input.patternId}"`);
  const from = row.status;
  if (!ACCEPTS[input.action].includes(from)) {
    // Already there: publish again in case the change that got it there failed to (idempotent).
    if ((input.action === "reject" && from === "rejected") || (input.action === "rollback" && from === "rolled_back")) await publish(store, input.agentId, []);
    throw new AppError("conflict", `pattern "${input.patternId}" is ${from}; ${input.action} applies to a pattern that is ${ACCEPTS[input.action].join(", ")}`);
  }
  const to: PatternStatus =
    input.action === "reject" ? "rejected" : input.action === "rollback" ? "rolled_back" : from === "canary" || from === "shadow" ? "active" : deployedStatus(input.strategy);
  await changeStatus(store, input.agentId, input.patternId, from, to, { by: input.actor, reason: input.note, now: input.now, action: AUDITED[input.action] });
  return { from, to };
}

/**
 * Moves a pattern from `from` to `to` if it is still `from` (409 when a concurrent change got
 * there first), audits it and republishes the snapshot.
 */
export async function changeStatus(
  store: PatternStore,
  agentId: string,
  patternId: string,
  from: PatternStatus,
  to: PatternStatus,
  change: { by: string; reason: string | null; now: number; action: string; details?: Record<string, unknown>; alert?: Omit<Alert, "id" | "agentId"> },
): Promise<void> {
  const [updated] = await store.db.batch([
    store.db
      .prepare("UPDATE patterns SET status = ?, changed_at = ?, changed_by = ?, reason = ? WHERE id = ? AND agent_id = ? AND status = ?")
      .bind(to, change.now, change.by, change.reason, patternId, agentId, from),
    bumpVersion(store.db, agentId),
  ]);
  if ((updated!.meta.changes ?? 0) === 0) throw new AppError("conflict", `pattern "${patternId}" changed while this request was made; read it again`);
  const event: PendingAuditEvent = {
    level: "minimal",
    event: { at: change.now, actor: change.by, action: change.action, resource: patternId, decision: "changed", details: { from, to, reason: change.reason, ...change.details } },
  };
  await publish(store, agentId, [event], change.alert);
}
