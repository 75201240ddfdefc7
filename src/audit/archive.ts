/**
 * The audit archive and retention, run by cron.
 *
 * Archive: each agent's chained events move to R2 (`AUDIT_BUCKET`) as JSON Lines objects, one per
 * UTC day (or per 10,000 events), once the day has been over for an hour. Each object gets a
 * digest (in the manner of CloudTrail's digest files) with its seq range, its last event's chain
 * hash, the SHA-256 of the object, and the SHA-256 of the previous digest, so the objects form a
 * chain of their own, anchored in the events' hash chain. `audit_archives` in D1 indexes them.
 *
 * Retention: D1 keeps a hot window (30 days, or `audit.retention.duration` when shorter) and
 * deletes only events already archived; R2 objects older than `audit.retention.duration` are
 * deleted, their index rows kept (marked deleted) so the digest chain can still be followed, and
 * each deletion is audited. An agent under legal hold loses nothing.
 */
import { sha256Hex } from "../core/crypto";
import type { Logger } from "../core/logger";
import { parseDuration } from "../config/fields";
import { canonicalJSON, GENESIS_HASH } from "./chain";
import { EVENT_COLUMNS, type EventRow, toStored } from "./rows";

/** A day is archived this long after it ended: events flushed late still land in it. */
export const ARCHIVE_GRACE_MS = 3_600_000;
/** Events per archive object at most; a busier day gets several objects. */
export const MAX_EVENTS_PER_OBJECT = 10_000;
/** How long D1 keeps archived events, unless the retention is shorter. */
export const HOT_WINDOW_MS = 30 * 86_400_000;
/** Agents one archive page looks at, at most. */
export const ARCHIVE_AGENTS_PER_PAGE = 100;
/** Events one archive page reads, about: no object is started past it (objects under way may take it further). */
export const ARCHIVE_EVENTS_PER_PAGE = 20_000;
/** Agents of a page archived at once. */
const ARCHIVE_CONCURRENCY = 8;
const PAGE = 1_000;
const DAY_MS = 86_400_000;

export interface ArchiveDeps {
  db: D1Database;
  bucket: R2Bucket;
  /** Records audit events in the agent's own trail (through its object). */
  audit(agentId: string, events: Array<{ action: string; resource: string; details: Record<string, unknown> }>, now: number): Promise<void>;
  /** Where a gap in an agent's chain is reported; silent when not given. */
  logger?: Logger;
}

/** What one archive object's digest says. Its canonical JSON is what `digestSha256` hashes. */
export interface ArchiveDigest {
  agentId: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
  firstAt: number;
  lastAt: number;
  lastHash: string;
  objectKey: string;
  objectSha256: string;
  previousDigestSha256: string;
}

const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

/** Where an archive run is: the agent id it goes on after, and how many events it may still read. */
export interface ArchivePage {
  after: string;
  limit: number;
  maxEvents: number;
}

/**
 * Archives the closed days of the next `page.limit` agents with audit events (by id, after
 * `page.after`, deleted agents included: their events stay), each agent's days oldest first,
 * until `page.maxEvents` events have been read. `next` is where the following page starts: the
 * last agent done (when the page stopped inside an agent, the following page starts at that
 * agent again), or null when the shard has no more agents.
 */
export async function archiveAuditEvents(
  deps: ArchiveDeps,
  now: number,
  page: ArchivePage = { after: "", limit: ARCHIVE_AGENTS_PER_PAGE, maxEvents: ARCHIVE_EVENTS_PER_PAGE },
): Promise<{ digests: ArchiveDigest[]; next: string | null; agents: number }> {
  const digests: ArchiveDigest[] = [];
  const closedBefore = startOfDay(now - ARCHIVE_GRACE_MS);
  const ids = await agentsWithEvents(deps.db, page.after, page.limit);
  const complete = ids.map(() => false);
  let read = 0;
  // Agents are archived a few at a time (each one's days in order); the event budget is checked
  // before each object, so a page reads at most about ARCHIVE_CONCURRENCY objects past it.
  for (let i = 0; i < ids.length && read < page.maxEvents; i += ARCHIVE_CONCURRENCY) {
    await Promise.all(
      ids.slice(i, i + ARCHIVE_CONCURRENCY).map(async (agentId, k) => {
        for (;;) {
          if (read >= page.maxEvents) return;
          const pending = await nextToArchive(deps.db, agentId, closedBefore);
          if (!pending) break;
          const digest = await archiveRange(deps, pending, now);
          // A gap in an agent's events is left for the verify endpoint to report; the others go on.
          if (!digest) break;
          digests.push(digest);
          read += digest.count;
        }
        complete[i + k] = true;
      }),
    );
  }
  const stoppedAt = complete.indexOf(false);
  if (stoppedAt >= 0) return { digests, next: stoppedAt === 0 ? page.after : ids[stoppedAt - 1]!, agents: ids.length };
  return { digests, next: ids.length === page.limit ? ids.at(-1)! : null, agents: ids.length };
}

/** The next `limit` agent ids after `after` that have audit events: one seek each on the index. */
async function agentsWithEvents(db: D1Database, after: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare(
      `WITH RECURSIVE ids(id, n) AS (
         SELECT (SELECT MIN(agent_id) FROM audit_events WHERE agent_id > ?1), 1
         UNION ALL
         SELECT (SELECT MIN(agent_id) FROM audit_events WHERE agent_id > ids.id), n + 1 FROM ids WHERE ids.id IS NOT NULL AND n < ?2
       )
       SELECT id FROM ids WHERE id IS NOT NULL`,
    )
    .bind(after, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

interface Pending {
  agentId: string;
  firstSeq: number;
  firstAt: number;
  previous: { lastSeq: number; digestSha256: string } | null;
}

/** An agent's first unarchived event, when its day is closed: two index seeks. */
async function nextToArchive(db: D1Database, agentId: string, closedBefore: number): Promise<Pending | null> {
  const archived = await db
    .prepare("SELECT last_seq AS lastSeq, digest_sha256 AS digest FROM audit_archives WHERE agent_id = ? ORDER BY last_seq DESC LIMIT 1")
    .bind(agentId)
    .first<{ lastSeq: number; digest: string }>();
  const first = await db
    .prepare("SELECT seq, at FROM audit_events WHERE agent_id = ? AND seq > ? ORDER BY seq LIMIT 1")
    .bind(agentId, archived?.lastSeq ?? 0)
    .first<{ seq: number; at: number }>();
  if (!first || first.at >= closedBefore) return null;
  return { agentId, firstSeq: first.seq, firstAt: first.at, previous: archived ? { lastSeq: archived.lastSeq, digestSha256: archived.digest } : null };
}

function startOfDay(at: number): number {
  return Math.floor(at / DAY_MS) * DAY_MS;
}

/**
 * Writes one object: the agent's events from `firstSeq` on, up to the end of that event's day
 * (by time), at most MAX_EVENTS_PER_OBJECT, with no seq missing. Returns null, writing nothing,
 * when the range has a gap: that is tampering for the verify endpoint to report, not to archive.
 */
async function archiveRange(deps: ArchiveDeps, pending: Pending, now: number): Promise<ArchiveDigest | null> {
  const { db, bucket } = deps;
  const dayEnd = startOfDay(pending.firstAt) + DAY_MS;
  const expected = (pending.previous?.lastSeq ?? 0) + 1;
  const lines: string[] = [];
  let last: ReturnType<typeof toStored> | null = null;
  for (let from = pending.firstSeq; lines.length < MAX_EVENTS_PER_OBJECT; ) {
    const { results } = await db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE agent_id = ? AND seq >= ? ORDER BY seq LIMIT ?`)
      .bind(pending.agentId, from, Math.min(PAGE, MAX_EVENTS_PER_OBJECT - lines.length))
      .all<EventRow & { seq: number }>();
    let done = results.length === 0;
    for (const row of results) {
      if (row.at >= dayEnd) {
        done = true;
        break;
      }
      const event = toStored(row);
      if (event.seq !== (last ? last.seq + 1 : expected)) {
        deps.logger?.error("audit_archive_gap", { agentId: pending.agentId, expectedSeq: last ? last.seq + 1 : expected, foundSeq: event.seq });
        return null;
      }
      lines.push(canonicalJSON(event));
      last = event;
    }
    if (done || results.length === 0) break;
    from = results.at(-1)!.seq + 1;
  }
  if (!last || lines.length === 0) return null;

  const body = `${lines.join("\n")}\n`;
  const first = JSON.parse(lines[0]!) as { seq: number; at: number };
  const prefix = `audit/${pending.agentId}/${dayOf(first.at)}/${String(first.seq).padStart(12, "0")}-${String(last.seq).padStart(12, "0")}`;
  const digest: ArchiveDigest = {
    agentId: pending.agentId,
    firstSeq: first.seq,
    lastSeq: last.seq,
    count: lines.length,
    firstAt: first.at,
    lastAt: last.at,
    lastHash: last.hash ?? "",
    objectKey: `${prefix}.jsonl`,
    objectSha256: await sha256Hex(body),
    previousDigestSha256: pending.previous?.digestSha256 ?? GENESIS_HASH,
  };
  const digestJson = canonicalJSON(digest);
  const digestSha256 = await sha256Hex(digestJson);
  const digestKey = `${prefix}.digest.json`;
  // Objects first, then the index row: a crash in between rewrites the same objects next run.
  await bucket.put(digest.objectKey, body, { httpMetadata: { contentType: "application/x-ndjson" }, sha256: digest.objectSha256 });
  await bucket.put(digestKey, digestJson, { httpMetadata: { contentType: "application/json" } });
  await db
    .prepare(
      `INSERT OR IGNORE INTO audit_archives (agent_id, first_seq, last_seq, day, count, first_at, last_at, last_hash, object_key, object_sha256,
         digest_key, digest_sha256, previous_digest_sha256, archived_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
    )
    .bind(
      digest.agentId,
      digest.firstSeq,
      digest.lastSeq,
      dayOf(digest.firstAt),
      digest.count,
      digest.firstAt,
      digest.lastAt,
      digest.lastHash,
      digest.objectKey,
      digest.objectSha256,
      digestKey,
      digestSha256,
      digest.previousDigestSha256,
      now,
    )
    .run();
  return digest;
}

/** What a retention run removed. */
export interface RetentionResult {
  d1EventsDeleted: number;
  objectsDeleted: number;
  heldAgents: number;
}

/**
 * Applies each agent's `audit.retention.duration`: archived events leave D1 after the hot window,
 * archive objects leave R2 after the retention (each deletion audited in the agent's trail).
 * Agents under legal hold are skipped entirely. One call covers at most `page.limit` agents after
 * `page.after`, by id; `next` is where the following page starts (null: none left).
 */
export async function applyRetention(
  deps: ArchiveDeps,
  now: number,
  page: { after: string; limit: number } = { after: "", limit: 1_000_000 },
): Promise<RetentionResult & { next: string | null; agents: number }> {
  const result: RetentionResult = { d1EventsDeleted: 0, objectsDeleted: 0, heldAgents: 0 };
  const { results: agents } = await deps.db
    .prepare(
      `SELECT a.id AS agentId, json_extract(a.config, '$.audit.retention.duration') AS duration, h.agent_id IS NOT NULL AS held
       FROM agents a LEFT JOIN legal_holds h ON h.agent_id = a.id
       WHERE a.id > ? AND EXISTS (SELECT 1 FROM audit_archives r WHERE r.agent_id = a.id AND r.deleted_at IS NULL)
       ORDER BY a.id LIMIT ?`,
    )
    .bind(page.after, page.limit)
    .all<{ agentId: string; duration: string | null; held: number }>();
  const next = agents.length === page.limit ? (agents.at(-1)?.agentId ?? null) : null;
  for (const agent of agents) {
    if (agent.held) {
      result.heldAgents += 1;
      continue;
    }
    let retentionMs: number;
    try {
      retentionMs = parseDuration(agent.duration ?? "90d");
    } catch {
      continue; // An unreadable retention deletes nothing.
    }
    const hotCutoff = now - Math.min(HOT_WINDOW_MS, retentionMs);
    const archived = await deps.db
      .prepare("SELECT MAX(last_seq) AS last FROM audit_archives WHERE agent_id = ?")
      .bind(agent.agentId)
      .first<{ last: number | null }>();
    if (archived?.last) {
      const deleted = await deps.db
        .prepare("DELETE FROM audit_events WHERE agent_id = ? AND seq IS NOT NULL AND seq <= ? AND at < ?")
        .bind(agent.agentId, archived.last, hotCutoff)
        .run();
      result.d1EventsDeleted += deleted.meta.changes ?? 0;
    }
    const { results: expired } = await deps.db
      .prepare("SELECT first_seq AS firstSeq, last_seq AS lastSeq, day, object_key AS objectKey, digest_key AS digestKey FROM audit_archives WHERE agent_id = ? AND deleted_at IS NULL AND last_at < ? ORDER BY first_seq LIMIT 100")
      .bind(agent.agentId, now - retentionMs)
      .all<{ firstSeq: number; lastSeq: number; day: string; objectKey: string; digestKey: string }>();
    if (expired.length === 0) continue;
    // The deletion is audited before anything is deleted: a crash leaves an event and objects, never the reverse.
    await deps.audit(
      agent.agentId,
      expired.map((o) => ({ action: "archive.deleted", resource: o.objectKey, details: { day: o.day, firstSeq: o.firstSeq, lastSeq: o.lastSeq, retention: agent.duration ?? "90d" } })),
      now,
    );
    await deps.bucket.delete(expired.flatMap((o) => [o.objectKey, o.digestKey]));
    for (const o of expired) {
      await deps.db.prepare("UPDATE audit_archives SET deleted_at = ? WHERE agent_id = ? AND first_seq = ?").bind(now, agent.agentId, o.firstSeq).run();
    }
    result.objectsDeleted += expired.length;
  }
  return { ...result, next, agents: agents.length };
}
