/**
 * What a dead letter keeps (D1 `dead_letters`), and how a kept channel message goes back to the
 * work queue. Customer text and addresses never sit there in the clear for long:
 *
 *  - `body` is the message with every customer-supplied string masked (`maskPiiFailClosed`):
 *    what a listing shows;
 *  - `payload` is the whole message, for a replay: sealed under `ENCRYPTION_KEYS` (bound to the
 *    agent and the row) when the agent's `audit.compliance.encryption` is on; plain otherwise,
 *    and then dropped after `DEAD_LETTER_PLAIN_MS` by the retention job, after which the row is
 *    listed but no longer replayable. Encryption on without keys keeps no payload at all.
 *
 * Rows are deleted after `DEAD_LETTER_RETENTION_MS` (`src/jobs/scheduled.ts`).
 */
import type { PendingAuditEvent } from "../core/audit";
import { AppError } from "../core/errors";
import type { Logger } from "../core/logger";
import { type WorkMessage, workMessageSchema } from "../core/messages";
import { isSealed, loadKeyring, open, sealWith } from "../privacy/encryption";
import { maskPiiFailClosed } from "../privacy/pii";
import { agentObject } from "../state/objects";

/** How long a dead letter is kept (listed, and replayable while its payload lasts). */
export const DEAD_LETTER_RETENTION_MS = 30 * 86_400_000;
/** How long an unsealed payload (encryption off) is kept for a replay before it is dropped. */
export const DEAD_LETTER_PLAIN_MS = 72 * 3_600_000;

export interface DeadLetterRow {
  id: string;
  queue: string;
  body: string;
  attempts: number;
  receivedAt: number;
  agentId: string | null;
  payload: string | null;
}

/** Keys whose values are ids, kinds and times, never customer text: kept as they are in `body`. */
const KEPT_KEYS = new Set(["type", "kind", "agentId", "channel", "deliveryId", "channelId", "ts", "threadTs", "receivedAt", "urgency", "priority", "mimeType", "size", "interactionId", "alertId", "patternId"]);

/** What a sealed payload is bound to: its agent and row, so it cannot be moved to another. */
export function deadLetterContext(agentId: string, id: string): string {
  return `dead-letter:${agentId}\u0000${id}`;
}

/**
 * The row to keep for a queue message that ran out of retries. Throws only when the agent's
 * object cannot be reached (the dead-letter queue retries it).
 */
export async function deadLetterRow(
  msg: Pick<Message<unknown>, "id" | "body" | "attempts" | "timestamp">,
  queue: string,
  env: Pick<Env, "AGENT_STATE"> & { ENCRYPTION_KEYS?: string },
  logger: Logger,
): Promise<DeadLetterRow> {
  const base = { id: msg.id, queue, attempts: msg.attempts, receivedAt: msg.timestamp.getTime(), body: JSON.stringify(await masked(msg.body)) };
  const work = workMessageSchema.safeParse(msg.body);
  if (!work.success) return { ...base, agentId: agentIdOf(msg.body), payload: null };
  const agentId = work.data.message.agentId;
  const admitted = await agentObject(env, agentId).admit();
  // A deleted agent's message will never be answered: nothing to keep for a replay.
  if (!admitted) return { ...base, agentId, payload: null };
  const plain = JSON.stringify(msg.body);
  if (!admitted.view.record.config.audit.compliance.encryption) return { ...base, agentId, payload: plain };
  try {
    return { ...base, agentId, payload: await sealWith(env.ENCRYPTION_KEYS, plain, deadLetterContext(agentId, msg.id)) };
  } catch (err) {
    // Never the clear text of an agent that encrypts: kept masked, not replayable.
    logger.error("dead_letter_seal_failed", { id: msg.id, agentId, error: String(err) });
    return { ...base, agentId, payload: null };
  }
}

/** `message.dead_lettered`, in the agent's audit trail: the message ran out of retries and waits for a replay. */
export function deadLetteredEvent(row: DeadLetterRow, work: WorkMessage, now: number): PendingAuditEvent {
  return {
    level: "minimal",
    event: {
      at: now,
      actor: "system:queue",
      action: "message.dead_lettered",
      resource: `dead-letter:${row.id}`,
      decision: "recorded",
      details: { channel: work.message.channel, deliveryId: work.message.deliveryId, attempts: row.attempts, replayable: row.payload !== null },
    },
  };
}

/** Why a kept dead letter cannot be replayed, or null when it can. */
export function notReplayable(row: { queue: string; payload: string | null; replayed_at: number | null; agent_id: string | null }): string | null {
  if (row.replayed_at !== null) return `already replayed at ${new Date(row.replayed_at).toISOString()}`;
  if (row.payload !== null) return null;
  return "its message was not kept: it was not a channel message, its agent encrypts and ENCRYPTION_KEYS was missing, or (encryption off) its text was dropped after 72 hours";
}

/**
 * The channel message a dead letter keeps, opened (sealed payloads need `ENCRYPTION_KEYS`) and
 * checked to be the agent's own.
 */
export async function replayedWork(row: { id: string; agent_id: string; payload: string }, encryptionKeys: string | undefined): Promise<WorkMessage> {
  let json: string;
  try {
    const ring = isSealed(row.payload) ? await loadKeyring(encryptionKeys) : null;
    json = await open(ring, row.payload, deadLetterContext(row.agent_id, row.id));
  } catch (err) {
    throw new AppError("conflict", `dead letter "${row.id}" cannot be opened: ${err instanceof Error ? err.message : String(err)}`);
  }
  const work = workMessageSchema.safeParse(JSON.parse(json));
  if (!work.success || work.data.message.agentId !== row.agent_id) throw new AppError("conflict", `dead letter "${row.id}" does not hold a message of agent "${row.agent_id}"`);
  return work.data;
}

/** A message's JSON with every string masked but ids, kinds and times. */
async function masked(value: unknown, key = ""): Promise<unknown> {
  if (typeof value === "string") return KEPT_KEYS.has(key) ? value : (await maskPiiFailClosed(value)).text;
  if (Array.isArray(value)) return Promise.all(value.map((v) => masked(v, key)));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await masked(v, k);
    return out;
  }
  return value;
}

/** The agent an alert or learning message is about, when it names one. */
function agentIdOf(body: unknown): string | null {
  if (!body || typeof body !== "object") return null;
  const b = body as Record<string, unknown>;
  const nested = [b, b.interaction, b.sample, b.feedback].find((v): v is Record<string, unknown> => !!v && typeof v === "object" && typeof (v as Record<string, unknown>).agentId === "string");
  return nested ? (nested.agentId as string) : null;
}
