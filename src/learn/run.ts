/**
 * A detection run for one agent (`POST /v1/agents/:agentId/learn/run`, and the cron later): its
 * learnable interactions in `learning.patterns.timeWindow` are grouped by what their answers say
 * (`detectGroups`), and each group of at least `minOccurrences` becomes a `candidate` pattern in
 * D1, replacing the agent's previous candidates. Patterns past `candidate` are never touched here.
 */
import type { AgentConfig } from "../config";
import { parseDuration } from "../config/fields";
import { DEFAULT_MAX_ANSWERS, detectGroups } from "./detect";

/** Member interaction ids kept on a pattern row (its `examples` counts them all). */
const MAX_MEMBER_IDS = 1_000;

/** Interactions one run reads at most, newest first: detection samples down to its own cap. */
export const MAX_INTERACTIONS_READ = 5 * DEFAULT_MAX_ANSWERS;

export interface PatternView {
  id: string;
  status: string;
  canonicalAnswer: string;
  examples: number;
  agreement: number;
  detectedAt: string;
  window: { from: string; to: string };
}

export interface RunReport {
  agentId: string;
  window: { from: string; to: string };
  learnable: number;
  candidates: PatternView[];
  /** Learnable answers in groups too small to learn from. */
  unassigned: number;
}

interface Learnable {
  id: string;
  question: string;
  answer: string;
}

export async function runDetection(db: D1Database, agentId: string, config: AgentConfig, now: number): Promise<RunReport> {
  const from = now - parseDuration(config.learning.patterns.timeWindow);
  const { results } = await db
    .prepare("SELECT id, question, answer FROM interactions WHERE agent_id = ? AND learnable = 1 AND created_at >= ? AND created_at <= ? ORDER BY created_at DESC LIMIT ?")
    .bind(agentId, from, now, MAX_INTERACTIONS_READ)
    .all<Learnable>();
  const detection = detectGroups(results, { minOccurrences: config.learning.patterns.minOccurrences });
  const rows = detection.candidates.map((g) => ({
    id: `pat_${crypto.randomUUID()}`,
    canonicalAnswer: results[g.canonical]!.answer,
    memberIds: g.members.slice(0, MAX_MEMBER_IDS).map((m) => results[m]!.id),
    examples: g.members.length,
    agreement: Math.round(g.agreement * 10_000) / 10_000,
  }));
  // Replaced in one batch: a failed run leaves the previous candidates in place.
  await db.batch([
    db.prepare("DELETE FROM patterns WHERE agent_id = ? AND status = 'candidate'").bind(agentId),
    ...rows.map((r) =>
      db
        .prepare("INSERT INTO patterns (id, agent_id, status, canonical_answer, member_ids, examples, agreement, detected_at, window_from, window_to) VALUES (?, ?, 'candidate', ?, ?, ?, ?, ?, ?, ?)")
        .bind(r.id, agentId, r.canonicalAnswer, JSON.stringify(r.memberIds), r.examples, r.agreement, now, from, now),
    ),
  ]);
  const window = { from: new Date(from).toISOString(), to: new Date(now).toISOString() };
  return {
    agentId,
    window,
    learnable: results.length,
    candidates: rows.map((r) => ({ id: r.id, status: "candidate", canonicalAnswer: r.canonicalAnswer, examples: r.examples, agreement: r.agreement, detectedAt: window.to, window })),
    unassigned: detection.unassigned,
  };
}

interface PatternRow {
  id: string;
  status: string;
  canonical_answer: string;
  examples: number;
  agreement: number;
  detected_at: number;
  window_from: number;
  window_to: number;
}

function view(r: PatternRow): PatternView {
  return {
    id: r.id,
    status: r.status,
    canonicalAnswer: r.canonical_answer,
    examples: r.examples,
    agreement: r.agreement,
    detectedAt: new Date(r.detected_at).toISOString(),
    window: { from: new Date(r.window_from).toISOString(), to: new Date(r.window_to).toISOString() },
  };
}

const COLUMNS = "id, status, canonical_answer, examples, agreement, detected_at, window_from, window_to";

/** An agent's patterns, largest first; optionally one status only. */
export async function listPatterns(db: D1Database, agentId: string, status?: string): Promise<PatternView[]> {
  const { results } = await (status
    ? db.prepare(`SELECT ${COLUMNS} FROM patterns WHERE agent_id = ? AND status = ? ORDER BY examples DESC, id LIMIT 500`).bind(agentId, status)
    : db.prepare(`SELECT ${COLUMNS} FROM patterns WHERE agent_id = ? ORDER BY examples DESC, id LIMIT 500`).bind(agentId)
  ).all<PatternRow>();
  return results.map(view);
}

/** One pattern of an agent, or null (another agent's pattern is never found). */
export async function getPattern(db: D1Database, agentId: string, id: string): Promise<PatternView | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM patterns WHERE agent_id = ? AND id = ?`).bind(agentId, id).first<PatternRow>();
  return row ? view(row) : null;
}
