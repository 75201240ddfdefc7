/**
 * Retention of what the channels leave behind, run by the hourly cron (`scheduled.ts`):
 *
 *  - dead letters (D1 `dead_letters`): deleted after `DEAD_LETTER_RETENTION_MS` (30 days); an
 *    unsealed payload (the agent does not encrypt) is dropped after `DEAD_LETTER_PLAIN_MS`
 *    (72 hours), leaving the masked row, listed but no longer replayable;
 *  - email attachments (R2 `WORKSPACE`, `attachments/<agentId>/…`): deleted once older than the
 *    agent's `audit.retention.duration` (default 90 days; the same default for an agent that is
 *    gone from D1).
 *
 * An agent under legal hold loses neither. Attachments are scanned in key order, at most
 * `ATTACHMENT_PAGES` pages of 1,000 a run, resuming after the last key seen (KV
 * `retention:attachments:after`), so a large bucket is covered over several runs.
 */
import { parseDuration } from "../config";
import { SEALED_PREFIX } from "../privacy/encryption";
import { DEAD_LETTER_PLAIN_MS, DEAD_LETTER_RETENTION_MS } from "../queues/dead-letters";

/** Pages of 1,000 attachment objects one run looks at. */
export const ATTACHMENT_PAGES = 10;
/** Where the attachment scan resumes: the last key the previous run looked at. */
export const ATTACHMENT_CURSOR_KEY = "retention:attachments:after";
/** The attachments' retention when the agent's `audit.retention.duration` cannot be read. */
export const DEFAULT_ATTACHMENT_RETENTION = "90d";

/**
 * Deletes expired dead letters and drops old unsealed payloads, at most `limit` rows of each per
 * call; `more` says a limit was reached, so another call has work.
 */
export async function applyDeadLetterRetention(
  db: D1Database,
  now: number,
  limit = 1_000_000,
): Promise<{ deadLettersDeleted: number; payloadsDropped: number; more: boolean }> {
  const deleted = await db
    .prepare(
      "DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE received_at < ? AND (agent_id IS NULL OR agent_id NOT IN (SELECT agent_id FROM legal_holds)) LIMIT ?)",
    )
    .bind(now - DEAD_LETTER_RETENTION_MS, limit)
    .run();
  const dropped = await db
    .prepare("UPDATE dead_letters SET payload = NULL WHERE id IN (SELECT id FROM dead_letters WHERE payload IS NOT NULL AND substr(payload, 1, ?) <> ? AND received_at < ? LIMIT ?)")
    .bind(SEALED_PREFIX.length, SEALED_PREFIX, now - DEAD_LETTER_PLAIN_MS, limit)
    .run();
  const deadLettersDeleted = deleted.meta.changes ?? 0;
  const payloadsDropped = dropped.meta.changes ?? 0;
  return { deadLettersDeleted, payloadsDropped, more: deadLettersDeleted >= limit || payloadsDropped >= limit };
}

/** Deletes email attachments older than their agent's audit retention. */
export async function applyAttachmentRetention(deps: { dbs: readonly D1Database[]; bucket: R2Bucket; kv: KVNamespace }, now: number): Promise<{ attachmentsDeleted: number }> {
  let after = (await deps.kv.get(ATTACHMENT_CURSOR_KEY)) ?? undefined;
  let deletedCount = 0;
  for (let page = 0; page < ATTACHMENT_PAGES; page++) {
    const listed = await deps.bucket.list({ prefix: "attachments/", limit: 1000, ...(after ? { startAfter: after } : {}) });
    const retention = await retentionByAgent(deps.dbs, [...new Set(listed.objects.map((o) => agentOf(o.key)))]);
    const expired = listed.objects.filter((o) => {
      const agentId = agentOf(o.key);
      const ms = retention.has(agentId) ? retention.get(agentId)! : parseDuration(DEFAULT_ATTACHMENT_RETENTION);
      return ms !== null && o.uploaded.getTime() < now - ms;
    });
    if (expired.length > 0) await deps.bucket.delete(expired.map((o) => o.key));
    deletedCount += expired.length;
    after = listed.truncated ? listed.objects.at(-1)?.key : undefined;
    if (!after) break;
  }
  if (after) await deps.kv.put(ATTACHMENT_CURSOR_KEY, after);
  else await deps.kv.delete(ATTACHMENT_CURSOR_KEY);
  return { attachmentsDeleted: deletedCount };
}

function agentOf(key: string): string {
  return key.split("/")[1] ?? "";
}

/**
 * Each agent's retention in ms (null: under legal hold, or unreadable: keep everything); an agent
 * gone from every shard gets the default. Each shard is asked about every id (an attachment's key
 * names its agent, not its shard): an agent's row is in one of them.
 */
async function retentionByAgent(dbs: readonly D1Database[], agentIds: string[]): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  if (agentIds.length === 0) return out;
  // The ids as one JSON parameter: a page may name more agents than a statement binds parameters.
  const perShard = await Promise.all(
    dbs.map((db) =>
      db
        .prepare(
          `SELECT x.value AS agentId, a.id IS NOT NULL AS found, json_extract(a.config, '$.audit.retention.duration') AS duration, h.agent_id IS NOT NULL AS held
           FROM json_each(?) x LEFT JOIN agents a ON a.id = x.value LEFT JOIN legal_holds h ON h.agent_id = x.value`,
        )
        .bind(JSON.stringify(agentIds))
        .all<{ agentId: string; found: number; duration: string | null; held: number }>(),
    ),
  );
  // One row per agent: held if any shard holds it, the duration of the shard that has it.
  const merged = new Map<string, { agentId: string; duration: string | null; held: number }>();
  for (const row of perShard.flatMap((r) => r.results)) {
    const seen = merged.get(row.agentId) ?? { agentId: row.agentId, duration: null, held: 0 };
    merged.set(row.agentId, { agentId: row.agentId, duration: row.found ? row.duration : seen.duration, held: seen.held || row.held });
  }
  const results = [...merged.values()];
  for (const row of results) {
    if (row.held) {
      out.set(row.agentId, null);
      continue;
    }
    try {
      out.set(row.agentId, parseDuration(row.duration ?? DEFAULT_ATTACHMENT_RETENTION));
    } catch {
      out.set(row.agentId, null); // An unreadable retention deletes nothing.
    }
  }
  return out;
}
