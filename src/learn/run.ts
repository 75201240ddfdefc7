/**
 * A detection run for one agent (`POST /v1/agents/:agentId/learn/run`, and the cron later): its
 * learnable interactions in `learning.patterns.timeWindow` are grouped by what their answers say
 * (`detectGroups`), each group of at least `minOccurrences` is validated (`validatePatterns`), and
 * becomes a `validated` pattern, or stays a `candidate` with its report, in D1, replacing the
 * agent's previous ones. Patterns a person has seen (pending approval and after) are never touched.
 */
import type { AgentConfig } from "../config";
import { parseDuration } from "../config/fields";
import { DEFAULT_MAX_ANSWERS, detectGroups } from "./detect";
import { type PatternReport, validatePatterns } from "./validate";

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
  report: PatternReport | null;
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
  const grouped = new Set(detection.candidates.flatMap((g) => g.members));
  const validation = detection.candidates.length
    ? validatePatterns(
        detection.candidates.map((g) => g.members.map((m) => results[m]!.question)),
        results.filter((_, i) => !grouped.has(i)).map((r) => r.question),
        { target: config.learning.patterns.confidenceThreshold, testCoverage: config.learning.capabilities.testCoverage },
      )
    : null;
  const rows = detection.candidates.map((g, i) => {
    const report = validation!.reports[i]!;
    return {
      id: `pat_${crypto.randomUUID()}`,
      status: report.valid ? ("validated" as const) : ("candidate" as const),
      canonicalAnswer: results[g.canonical]!.answer,
      memberIds: g.members.slice(0, MAX_MEMBER_IDS).map((m) => results[m]!.id),
      examples: g.members.length,
      agreement: Math.round(g.agreement * 10_000) / 10_000,
      report,
    };
  });
  // Replaced in one batch: a failed run leaves the previous ones in place. Patterns a person
  // has seen (pending approval and after) are never replaced.
  await db.batch([
    db.prepare("DELETE FROM patterns WHERE agent_id = ? AND status IN ('candidate', 'validated')").bind(agentId),
    ...rows.map((r) =>
      db
        .prepare("INSERT INTO patterns (id, agent_id, status, canonical_answer, member_ids, examples, agreement, detected_at, window_from, window_to, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(r.id, agentId, r.status, r.canonicalAnswer, JSON.stringify(r.memberIds), r.examples, r.agreement, now, from, now, JSON.stringify(r.report)),
    ),
  ]);
  const window = { from: new Date(from).toISOString(), to: new Date(now).toISOString() };
  return {
    agentId,
    window,
    learnable: results.length,
    candidates: rows.map((r) => ({ id: r.id, status: r.status, canonicalAnswer: r.canonicalAnswer, examples: r.examples, agreement: r.agreement, detectedAt: window.to, window, report: r.report })),
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
  report: string | null;
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
    report: r.report ? (JSON.parse(r.report) as PatternReport) : null,
  };
}

const COLUMNS = "id, status, canonical_answer, examples, agreement, detected_at, window_from, window_to, report";

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
