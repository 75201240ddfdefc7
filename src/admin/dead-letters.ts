import type { Context } from "hono";
import { Hono } from "hono";
import type { Clock } from "../core/clock";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";
import { notReplayable, replayedWork } from "../queues/dead-letters";
import { adminActor, requireAgent } from "./common";
import { agentDb } from "../db/shards";

type Agent = Pick<Awaited<ReturnType<typeof requireAgent>>, "agentId" | "stub">;

interface Row {
  id: string;
  queue: string;
  body: string;
  attempts: number;
  received_at: number;
  agent_id: string | null;
  payload: string | null;
  replayed_at: number | null;
}

/** Dead letters one listing or one replay-all covers at most, oldest first. */
export const DEAD_LETTER_PAGE = 100;

const view = (row: Row) => {
  const reason = notReplayable(row);
  return {
    id: row.id,
    queue: row.queue,
    attempts: row.attempts,
    receivedAt: new Date(row.received_at).toISOString(),
    replayedAt: row.replayed_at === null ? null : new Date(row.replayed_at).toISOString(),
    replayable: reason === null,
    ...(reason ? { reason } : {}),
    /** Customer text and addresses masked. */
    message: JSON.parse(row.body) as unknown,
  };
};

const COLUMNS = "id, queue, body, attempts, received_at, agent_id, payload, replayed_at";

/** What a replay needs: where the row is, where the message goes, and how to open a sealed one. */
export interface ReplayDeps {
  env: { D1_SHARDS?: string; CACHE: KVNamespace; WORK_QUEUE: Queue; ENCRYPTION_KEYS?: string };
  clock: Clock;
  /** Who replays, for the audit trail (`admin:key_…`). */
  actor: string;
}

/**
 * One page of an agent's dead letters, oldest first, masked: the body of
 * `GET /v1/agents/:agentId/dead-letters?cursor=`, which the dashboard's page shows too. 400 for a
 * cursor that is not one of the agent's rows.
 */
export async function listDeadLetters(db: D1Database, agentId: string, cursor: string | undefined) {
  const after = cursor
    ? await db.prepare("SELECT received_at, id FROM dead_letters WHERE id = ? AND agent_id = ?").bind(cursor, agentId).first<{ received_at: number; id: string }>()
    : null;
  if (cursor && !after) throw new AppError("invalid_request", `cursor must be the id of one of this agent's dead letters (the nextCursor of the previous page)`);
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM dead_letters
       WHERE agent_id = ? AND (received_at > ? OR (received_at = ? AND id > ?)) ORDER BY received_at, id LIMIT ?`,
    )
    .bind(agentId, after?.received_at ?? -1, after?.received_at ?? -1, after?.id ?? "", DEAD_LETTER_PAGE + 1)
    .all<Row>();
  const page = results.slice(0, DEAD_LETTER_PAGE);
  return { agentId, deadLetters: page.map(view), nextCursor: results.length > DEAD_LETTER_PAGE ? page.at(-1)!.id : null };
}

export type DeadLetterView = ReturnType<typeof view>;

/**
 * Replays every replayable dead letter of the agent not replayed yet (at most 100, oldest
 * first): the body of `POST /v1/agents/:agentId/dead-letters/replay`. A row that cannot be
 * replayed is skipped with the reason.
 */
export async function replayAllDeadLetters(agent: Agent, deps: ReplayDeps) {
  const { agentId } = agent;
  const { results } = await (await agentDb(deps.env, agentId)).prepare(`SELECT ${COLUMNS} FROM dead_letters WHERE agent_id = ? AND replayed_at IS NULL ORDER BY received_at, id LIMIT ?`)
    .bind(agentId, DEAD_LETTER_PAGE)
    .all<Row>();
  const replayed: string[] = [];
  const skipped: Array<{ id: string; reason: string }> = [];
  for (const row of results) {
    try {
      await replay(agent, row, deps);
      replayed.push(row.id);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== "conflict") throw err;
      skipped.push({ id: row.id, reason: err.message });
    }
  }
  return { agentId, replayed, skipped };
}

/**
 * Replays one dead letter of the agent, as `POST /v1/agents/:agentId/dead-letters/:id/replay`
 * does: 404 for an id the agent does not have, 409 for a row already replayed or not replayable.
 * Returns when it was replayed.
 */
export async function replayDeadLetter(agent: Agent, id: string, deps: ReplayDeps): Promise<number> {
  const row = await (await agentDb(deps.env, agent.agentId)).prepare(`SELECT ${COLUMNS} FROM dead_letters WHERE id = ? AND agent_id = ?`).bind(id, agent.agentId).first<Row>();
  if (!row) throw new AppError("not_found", `agent "${agent.agentId}" has no dead letter "${id}"`);
  return replay(agent, row, deps);
}

const replayDeps = (c: Context<AppEnv>): ReplayDeps => ({ env: c.env, clock: c.var.clock, actor: adminActor(c) });

/**
 * `GET /v1/agents/:agentId/dead-letters?cursor=`: the agent's messages that ran out of retries,
 * oldest first, 100 a page, masked. `POST …/dead-letters/:id/replay` sends one back to the work queue, and
 * `POST …/dead-letters/replay` every replayable one (at most 100 a call): for use once the model
 * is back. A row is marked replayed in the same statement that checks it was not, so two replays
 * of one row send it once; the work queue's delivery claim keeps an answered message from being
 * sent twice. Each replay is audited (`dead_letter.replayed`).
 */
export const deadLetterRoutes = new Hono<AppEnv>()
  .get("/agents/:agentId/dead-letters", async (c) => {
    const { agentId } = await requireAgent(c);
    return c.json(await listDeadLetters(await agentDb(c.env, agentId), agentId, c.req.query("cursor")));
  })
  .post("/agents/:agentId/dead-letters/replay", async (c) => {
    const agent = await requireAgent(c);
    return c.json(await replayAllDeadLetters(agent, replayDeps(c)), 202);
  })
  .post("/agents/:agentId/dead-letters/:id/replay", async (c) => {
    const agent = await requireAgent(c);
    const id = c.req.param("id");
    const replayedAt = await replayDeadLetter(agent, id, replayDeps(c));
    return c.json({ agentId: agent.agentId, id, replayedAt: new Date(replayedAt).toISOString() }, 202);
  });

/** Marks a row replayed (only if no one did), sends its message to the work queue, and audits it; 409 when it cannot be. */
async function replay({ agentId, stub }: Agent, row: Row, { env, clock, actor }: ReplayDeps): Promise<number> {
  const reason = notReplayable(row);
  if (reason || row.payload === null) throw new AppError("conflict", `dead letter "${row.id}" cannot be replayed: ${reason}`);
  const work = await replayedWork({ id: row.id, agent_id: agentId, payload: row.payload }, env.ENCRYPTION_KEYS);
  const now = clock.now();
  // The payload goes with the mark: a replayed row keeps no customer text.
  const db = await agentDb(env, agentId);
  const marked = await db.prepare("UPDATE dead_letters SET replayed_at = ?, payload = NULL WHERE id = ? AND agent_id = ? AND replayed_at IS NULL")
    .bind(now, row.id, agentId)
    .run();
  if ((marked.meta.changes ?? 0) === 0) throw new AppError("conflict", `dead letter "${row.id}" cannot be replayed: already replayed`);
  try {
    await env.WORK_QUEUE.send(work);
  } catch (err) {
    await db.prepare("UPDATE dead_letters SET replayed_at = NULL, payload = ? WHERE id = ? AND agent_id = ?").bind(row.payload, row.id, agentId).run();
    throw new AppError("internal", "the work queue refused the replay; try again", { cause: err });
  }
  await stub.recordEvents([
    {
      level: "minimal",
      event: { at: now, actor, action: "dead_letter.replayed", resource: `dead-letter:${row.id}`, decision: "changed", details: { channel: work.message.channel, deliveryId: work.message.deliveryId } },
    },
  ]);
  return now;
}
