/**
 * An agent's conversations: a listing from the D1 `interactions` rows (no customer text), and one
 * conversation's transcript from its Conversation object, PII masked before it leaves the worker.
 *
 * A conversation's id is its `conversation_hash` (the first 32 hex of SHA-256 over agent, channel
 * and conversation key), the id analytics and audit events already carry. Every lookup is by the
 * agent's id and the hash together, so an id of another agent's conversation finds nothing. The
 * turns are found through the object id the interaction rows record (`conversation_object`),
 * never through the conversation key, which may be an e-mail address or a phone number.
 */
import { type Context, Hono } from "hono";
import { CHANNELS, OUTCOMES, TIERS } from "../channels/analytics";
import { AppError } from "../core/errors";
import { microsToUsd } from "../core/money";
import type { Outcome, Tier } from "../core/types";
import type { AppEnv } from "../http/context";
import { maskPiiFailClosed } from "../privacy/pii";
import { CONVERSATION_IDLE_MS, type Conversation } from "../state/conversation";
import { DEFAULT_ANALYTICS_SPAN_MS, parseTime, requireAgent } from "./common";
import { decodeCursor, encodeCursor, parseLimit } from "./listing";
import { agentDb } from "../db/shards";

export const CONVERSATION_ID = /^[0-9a-f]{32}$/;

/** The listing's query as sent (the dashboard passes its own query string through unchanged). */
export interface ConversationQuery {
  channel?: string;
  from?: string;
  to?: string;
  limit?: string;
  cursor?: string;
}

export function conversationQuery(c: Context<AppEnv>): ConversationQuery {
  const q = (name: keyof ConversationQuery) => c.req.query(name);
  return { channel: q("channel"), from: q("from"), to: q("to"), limit: q("limit"), cursor: q("cursor") };
}

/** One conversation of the listing, over the answers it had in the span. */
export interface ConversationSummary {
  id: string;
  channel: string;
  firstAt: string;
  lastAt: string;
  /** Customer messages answered. */
  messages: number;
  /** Answers per tier, only the tiers used. */
  tiers: Partial<Record<Tier, number>>;
  outcomes: Record<Outcome, number>;
  costUsd: number;
  /** Whether the agent kept its turns (`messageHandling.maintainContext`); they go 30 days after the last message. */
  turnsKept: boolean;
}

export interface ConversationPage {
  agentId: string;
  from: string;
  to: string;
  conversations: ConversationSummary[];
  nextCursor: string | null;
}

interface SummaryRow extends Record<Tier | Outcome, number> {
  id: string;
  channel: string;
  firstAt: number;
  lastAt: number;
  messages: number;
  costMicros: number;
  turnsKept: number;
}

// The tier and outcome names are constants of this file, never request input.
const COUNTS = [...TIERS, ...OUTCOMES].map((v) => `SUM(${TIERS.includes(v as Tier) ? "tier" : "outcome"} = '${v}') AS ${v}`).join(", ");

/**
 * One page of an agent's conversations with activity in `[from, to]` (default the last 30 days),
 * newest activity first, of one channel when given: what `GET /v1/agents/:agentId/conversations`
 * returns and the dashboard lists. The cursor is signed with ADMIN_TOKEN and bound to the agent
 * and the filters, like the audit and alert listings'.
 *
 * @example
 * const { conversations, nextCursor } = await listConversations(env, "shop", { channel: "sms" }, clock.now());
 */
export async function listConversations(env: { D1_SHARDS?: string; CACHE: KVNamespace; ADMIN_TOKEN?: string }, agentId: string, query: ConversationQuery, now: number): Promise<ConversationPage> {
  const to = parseTime(query.to, now, "to");
  const from = parseTime(query.from, to - DEFAULT_ANALYTICS_SPAN_MS, "from");
  for (const [name, t] of [["from", from], ["to", to]] as const) {
    if (Number.isNaN(new Date(t).getTime())) throw new AppError("invalid_request", `${name} is outside the range of dates`);
  }
  if (from > to) throw new AppError("invalid_request", "from must not be after to");
  const limit = parseLimit(query.limit);
  const channel = query.channel || undefined;
  if (channel !== undefined && !(CHANNELS as readonly string[]).includes(channel)) {
    throw new AppError("invalid_request", `channel must be one of ${CHANNELS.join(", ")}`);
  }
  const key = env.ADMIN_TOKEN ?? "";
  // The filters as sent: a default `to` moves with the clock, and the cursor already bounds it.
  const scope = JSON.stringify(["conversations", agentId, channel ?? "", query.from ?? "", query.to ?? ""]);
  const after = query.cursor ? await decodeCursor(key, scope, query.cursor) : null;

  const where = ["agent_id = ?", "created_at >= ?", "created_at <= ?"];
  const binds: Array<string | number> = [agentId, from, to];
  if (channel) {
    where.push("channel = ?");
    binds.push(channel);
  }
  const having = after ? "HAVING MAX(created_at) < ? OR (MAX(created_at) = ? AND conversation_hash < ?)" : "";
  if (after) binds.push(after.at, after.at, after.id);
  const { results } = await (await agentDb(env, agentId)).prepare(
    `SELECT conversation_hash AS id, MAX(channel) AS channel, MIN(created_at) AS firstAt, MAX(created_at) AS lastAt, COUNT(*) AS messages,
       SUM(cost_micros) AS costMicros, ${COUNTS}, MAX(conversation_object IS NOT NULL) AS turnsKept
     FROM interactions WHERE ${where.join(" AND ")} GROUP BY conversation_hash ${having}
     ORDER BY lastAt DESC, id DESC LIMIT ?`,
  )
    .bind(...binds, limit + 1)
    .all<SummaryRow>();
  const page = results.slice(0, limit);
  const last = page.at(-1);
  return {
    agentId,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    conversations: page.map((row) => ({
      id: row.id,
      channel: row.channel,
      firstAt: new Date(row.firstAt).toISOString(),
      lastAt: new Date(row.lastAt).toISOString(),
      messages: row.messages,
      tiers: Object.fromEntries(TIERS.filter((t) => row[t] > 0).map((t) => [t, row[t]])),
      outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, row[o]])) as Record<Outcome, number>,
      costUsd: microsToUsd(row.costMicros),
      turnsKept: row.turnsKept === 1,
    })),
    nextCursor: results.length > limit && last ? await encodeCursor(key, scope, { at: last.lastAt, id: last.id }) : null,
  };
}

/** One turn of a transcript; an agent's answer carries what the interaction rows know of it. */
export interface TranscriptTurn {
  role: "customer" | "agent";
  at: string;
  /** PII masked (`[EMAIL]`, `[PHONE]`, `[CARD]`, …), failing closed. */
  text: string;
  interactionId: string | null;
  tier: string | null;
  outcome: string | null;
  costUsd: number | null;
}

export interface Transcript {
  agentId: string;
  conversationId: string;
  channel: string;
  firstAt: string;
  lastAt: string;
  turns: TranscriptTurn[];
}

interface AnswerRow {
  id: string;
  channel: string;
  tier: string;
  outcome: string;
  costMicros: number;
  createdAt: number;
  object: string | null;
}

/** A conversation id from a URL: the 32 lowercase hex characters a listing returns, or 400. */
export function parseConversationId(raw: string): string {
  if (!CONVERSATION_ID.test(raw)) {
    throw new AppError("invalid_request", "conversationId must be the 32 lowercase hex characters of a conversation's id, as GET /v1/agents/:agentId/conversations lists them");
  }
  return raw;
}

/**
 * The transcript of one of the agent's conversations, every turn PII masked: what
 * `GET /v1/agents/:agentId/conversations/:conversationId` returns and the dashboard shows. 404
 * when the agent has no such conversation (another agent's included), when its turns were never
 * kept, or when retention has deleted them.
 *
 * @example
 * const { turns } = await loadTranscript(env, "shop", "0f3c…");
 * turns[0]; // { role: "customer", text: "Reach me at [EMAIL]", tier: null, … }
 */
export async function loadTranscript(
  env: { D1_SHARDS?: string; CACHE: KVNamespace; CONVERSATION: DurableObjectNamespace<Conversation> },
  agentId: string,
  conversationId: string,
): Promise<Transcript> {
  const id = parseConversationId(conversationId);
  const { results: answers } = await (await agentDb(env, agentId)).prepare(
    `SELECT id, channel, tier, outcome, cost_micros AS costMicros, created_at AS createdAt, conversation_object AS object
     FROM interactions WHERE agent_id = ? AND conversation_hash = ? ORDER BY created_at, id`,
  )
    .bind(agentId, id)
    .all<AnswerRow>();
  const first = answers[0];
  if (!first) throw new AppError("not_found", `agent "${agentId}" has no conversation "${id}"`);
  const object = answers.findLast((a) => a.object !== null)?.object;
  if (!object) {
    throw new AppError("not_found", `the turns of conversation "${id}" were not kept: the agent's messageHandling.maintainContext was off when it was answered`);
  }
  const stored = await env.CONVERSATION.get(env.CONVERSATION.idFromString(object)).transcript();
  if (stored.length === 0) {
    const days = CONVERSATION_IDLE_MS / 86_400_000;
    throw new AppError("not_found", `the turns of conversation "${id}" were deleted by retention: they are kept ${days} days after the conversation's last message`);
  }
  // The turns and the interaction row of an answer carry the same time (the answer's).
  const byTime = new Map<number, AnswerRow[]>();
  for (const a of answers) byTime.set(a.createdAt, [...(byTime.get(a.createdAt) ?? []), a]);
  const turns: TranscriptTurn[] = [];
  for (const turn of stored) {
    const answer = turn.role === "assistant" ? byTime.get(turn.at)?.shift() : undefined;
    turns.push({
      role: turn.role === "assistant" ? "agent" : "customer",
      at: new Date(turn.at).toISOString(),
      text: (await maskPiiFailClosed(turn.text)).text,
      interactionId: answer?.id ?? null,
      tier: answer?.tier ?? null,
      outcome: answer?.outcome ?? null,
      costUsd: answer ? microsToUsd(answer.costMicros) : null,
    });
  }
  return {
    agentId,
    conversationId: id,
    channel: first.channel,
    firstAt: new Date(first.createdAt).toISOString(),
    lastAt: new Date(answers.at(-1)!.createdAt).toISOString(),
    turns,
  };
}

/**
 * `GET /v1/agents/:agentId/conversations` and `…/conversations/:conversationId`. Reads only;
 * a transcript read is logged with the key's id.
 */
export const conversationRoutes = new Hono<AppEnv>()
  .get("/agents/:agentId/conversations", async (c) => {
    const { agentId } = await requireAgent(c);
    return c.json(await listConversations(c.env, agentId, conversationQuery(c), c.var.clock.now()));
  })
  .get("/agents/:agentId/conversations/:conversationId", async (c) => {
    const { agentId } = await requireAgent(c);
    const transcript = await loadTranscript(c.env, agentId, c.req.param("conversationId"));
    c.var.services.logger.info("conversation_read", { agentId, conversationId: transcript.conversationId, keyId: c.var.principal?.keyId ?? null });
    return c.json(transcript);
  });
