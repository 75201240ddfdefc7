/**
 * A detection run for one agent (`POST /v1/agents/:agentId/learn/run`, and the hourly cron): its
 * learnable interactions in `learning.patterns.timeWindow` are grouped by what their answers say
 * (`detectGroups`); each group is matched to a pattern a person has already seen (pending
 * approval and after) when most of its answers say what that pattern says (its signature), so
 * the pattern keeps its id and status and learns from the new traffic; the rest of the groups
 * of at least `minOccurrences` are new patterns. One matcher is fitted and validated over all of
 * them (`validatePatterns`) and stored in KV; its classes are the patterns' places in it.
 *
 * A new valid pattern waits for a person (`pending_approval`) when `requireApproval` is on, is
 * deployed by the strategy at once when it is off, and stays `validated` when `autoGenerate` is
 * off; an invalid one stays a `candidate` with its report. New patterns replace the previous
 * run's candidates and validated ones. When the new matcher proves nothing, patterns already in
 * rollout keep serving on the matcher they were proven with. Matchers no pattern points at any
 * more are deleted from KV. The run is audited as `learning.detected` by `actor`, with the
 * transitions it made, in the call that points the agent at the new snapshot.
 */
import type { PendingAuditEvent } from "../core/audit";
import type { AgentConfig } from "../config";
import { parseDuration } from "../config/fields";
import { DEFAULT_MAX_ANSWERS, detectGroups } from "./detect";
import { bumpVersion, deployedStatus, matcherKey, type PatternStatus, type PatternStore, publish, SERVING_STATUSES } from "./lifecycle";
import { AGREEMENT, agrees, canonicalText, commonBigrams, MIN_FACTS, overlap, signatureOf } from "./signature";
import { encodeMatcher } from "./snapshot";
import { type PatternReport, validatePatterns } from "./validate";

/** Member interaction ids kept on a pattern row (its `examples` counts them all). */
const MAX_MEMBER_IDS = 1_000;

/** Interactions one run reads at most, newest first: detection samples down to its own cap. */
export const MAX_INTERACTIONS_READ = 5 * DEFAULT_MAX_ANSWERS;

/** Share of a group's answers that must say what a known pattern says for the group to be it. */
const SAME_PATTERN = 0.5;

export interface PatternView {
  id: string;
  status: string;
  canonicalAnswer: string;
  examples: number;
  agreement: number;
  detectedAt: string;
  window: { from: string; to: string };
  report: PatternReport | null;
  /** When, why and by whom the status last changed; null before anyone changed it. */
  changed: { at: string; by: string | null; reason: string | null } | null;
}

export interface RunReport {
  agentId: string;
  window: { from: string; to: string };
  learnable: number;
  candidates: PatternView[];
  /** Patterns already seen by a person that this run's traffic taught again. */
  known: number;
  /** Learnable answers in groups too small to learn from. */
  unassigned: number;
}

interface Learnable {
  id: string;
  question: string;
  answer: string;
}

interface Known {
  id: string;
  status: PatternStatus;
  canonical_answer: string;
  member_ids: string;
  signature: string | null;
  detected_at: number;
}

interface PatternClass {
  /** The known pattern it is, or null for a new one. */
  known: Known | null;
  members: number[];
  canonical: number;
  agreement: number;
  signature: number[];
}

export async function runDetection(store: PatternStore, agentId: string, config: AgentConfig, now: number, actor = "learning"): Promise<RunReport> {
  const { db } = store;
  const from = now - parseDuration(config.learning.patterns.timeWindow);
  const [interactions, knownRows] = await db.batch([
    db
      .prepare("SELECT id, question, answer FROM interactions WHERE agent_id = ? AND learnable = 1 AND created_at >= ? AND created_at <= ? ORDER BY created_at DESC LIMIT ?")
      .bind(agentId, from, now, MAX_INTERACTIONS_READ),
    db.prepare("SELECT id, status, canonical_answer, member_ids, signature, detected_at FROM patterns WHERE agent_id = ? AND status NOT IN ('candidate', 'validated')").bind(agentId),
  ]);
  const results = interactions!.results as unknown as Learnable[];
  const known = knownRows!.results as unknown as Known[];
  const detection = detectGroups(results, { minOccurrences: config.learning.patterns.minOccurrences });
  const common = commonBigrams(detection.candidates.map((g) => g.members.map((m) => results[m]!.answer)));
  const classes = patternClasses(results, known, detection.candidates, common, config.learning.patterns.minOccurrences);
  const grouped = new Set(classes.flatMap((c) => c.members));
  const validation = classes.length
    ? validatePatterns(
        classes.map((c) => ({
          members: c.members.map((m) => results[m]!),
          signature: c.signature,
          abstains: c.known?.status === "rejected" || c.known?.status === "rolled_back",
        })),
        results.filter((_, i) => !grouped.has(i)),
        { target: config.learning.patterns.confidenceThreshold, testCoverage: config.learning.capabilities.testCoverage },
      )
    : null;
  const proven = validation?.matcher.threshold != null;
  const runId = `run_${crypto.randomUUID()}`;
  const { requireApproval, autoGenerate } = config.learning.capabilities;
  const rows = classes.map((c, i) => {
    const report: PatternReport = { ...validation!.reports[i]!, facts: c.signature.length };
    // An imported pattern's answer (another agent's words) must say what this agent's model says.
    const answerAgrees = c.known?.status !== "imported" || agrees(c.signature, c.known.canonical_answer);
    const canonicalAnswer = c.known ? c.known.canonical_answer : canonicalText(results[c.canonical]!.answer, c.signature);
    const valid = report.valid && c.signature.length >= MIN_FACTS && answerAgrees && canonicalAnswer !== "";
    report.valid = valid;
    // A pattern imported from a pack goes on like a new one once the agent's own traffic validates it.
    const fresh = c.known === null || c.known.status === "imported";
    const status: PatternStatus = !fresh
      ? c.known!.status
      : !valid
        ? (c.known?.status ?? "candidate")
        : !autoGenerate && !c.known
          ? "validated"
          : requireApproval
            ? "pending_approval"
            : deployedStatus(config.learning.deployment.strategy);
    return {
      id: c.known?.id ?? `pat_${crypto.randomUUID()}`,
      known: c.known !== null,
      moved: c.known !== null && c.known.status !== status,
      knownStatus: c.known?.status ?? null,
      status,
      canonicalAnswer,
      memberIds: c.members.slice(0, MAX_MEMBER_IDS).map((m) => results[m]!.id),
      examples: c.members.length,
      agreement: Math.round(c.agreement * 10_000) / 10_000,
      signature: c.signature,
      classIndex: i,
      report,
    };
  });
  if (proven) await store.kv.put(matcherKey(agentId, runId), encodeMatcher(validation!.matcher));
  const runsBefore = await runIds(db, agentId);
  // One batch: a failed run leaves the previous patterns in place.
  const serving = proven ? runId : null;
  await db.batch([
    db.prepare("DELETE FROM patterns WHERE agent_id = ? AND status IN ('candidate', 'validated')").bind(agentId),
    ...rows.map((r) =>
      r.known
        ? db
            .prepare(
              // The status moves only from what this run read: a decision made while it ran (a
              // rollback, a rejection) stands. Every SET sees the row as it was.
              "UPDATE patterns SET member_ids = ?1, examples = ?2, agreement = ?3, report = ?4, signature = ?5, window_from = ?6, window_to = ?7, run_id = COALESCE(?8, run_id), class_index = CASE WHEN ?8 IS NULL THEN class_index ELSE ?9 END, status = CASE WHEN status = ?10 THEN ?11 ELSE status END, changed_at = CASE WHEN status = ?10 AND ?12 THEN ?13 ELSE changed_at END, changed_by = CASE WHEN status = ?10 AND ?12 THEN ?14 ELSE changed_by END WHERE id = ?15 AND agent_id = ?16",
            )
            .bind(JSON.stringify(r.memberIds), r.examples, r.agreement, JSON.stringify(r.report), JSON.stringify(r.signature), from, now, serving, r.classIndex, r.knownStatus, r.status, r.moved ? 1 : 0, now, actor, r.id, agentId)
        : db
            .prepare(
              "INSERT INTO patterns (id, agent_id, status, canonical_answer, member_ids, examples, agreement, detected_at, window_from, window_to, report, run_id, class_index, signature, changed_at, changed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(r.id, agentId, r.status, r.canonicalAnswer, JSON.stringify(r.memberIds), r.examples, r.agreement, now, from, now, JSON.stringify(r.report), serving, r.classIndex, JSON.stringify(r.signature), now, actor),
    ),
    bumpVersion(db, agentId),
  ]);
  const window = { from: new Date(from).toISOString(), to: new Date(now).toISOString() };
  const deployed = rows.filter((r) => (!r.known || r.moved) && (SERVING_STATUSES as readonly PatternStatus[]).includes(r.status));
  const events: PendingAuditEvent[] = deployed.map((r) => ({
    level: "minimal",
    event: { at: now, actor, action: "pattern.deployed", resource: r.id, decision: "changed", details: { from: "validated", to: r.status, reason: "requireApproval is off" } },
  }));
  for (const r of rows.filter((r) => r.moved && r.status === "pending_approval")) {
    events.push({ level: "minimal", event: { at: now, actor, action: "pattern.revalidated", resource: r.id, decision: "changed", details: { from: "imported", to: r.status } } });
  }
  const fresh = rows.filter((r) => !r.known);
  const unassigned = detection.unassigned;
  events.push({
    level: "minimal",
    event: { at: now, actor, action: "learning.detected", resource: agentId, decision: "recorded", details: { learnable: results.length, candidates: fresh.length, known: rows.length - fresh.length, unassigned, window } },
  });
  // The run's audit events reach the agent's object with the new snapshot's version, in one call.
  await publish(store, agentId, events);
  const runsAfter = await runIds(db, agentId);
  await Promise.all([...runsBefore].filter((r) => !runsAfter.has(r)).map((r) => store.kv.delete(matcherKey(agentId, r))));
  return {
    agentId,
    window,
    learnable: results.length,
    candidates: fresh.map((r) => ({
      id: r.id,
      status: r.status,
      canonicalAnswer: r.canonicalAnswer,
      examples: r.examples,
      agreement: r.agreement,
      detectedAt: window.to,
      window,
      report: r.report,
      changed: { at: window.to, by: actor, reason: null },
    })),
    known: rows.length - fresh.length,
    unassigned,
  };
}

async function runIds(db: D1Database, agentId: string): Promise<Set<string>> {
  const { results } = await db.prepare("SELECT DISTINCT run_id FROM patterns WHERE agent_id = ? AND run_id IS NOT NULL").bind(agentId).all<{ run_id: string }>();
  return new Set(results.map((r) => r.run_id));
}

/**
 * The run's classes: each known pattern with the groups whose answers mostly say what it says
 * (and its own members still in the window), then the other groups of at least
 * `minOccurrences` as new patterns. A known pattern left with fewer than two members this run
 * is not a class of the new matcher, so it stops answering until traffic teaches it again.
 */
function patternClasses(
  results: readonly Learnable[],
  known: readonly Known[],
  groups: ReadonlyArray<{ members: number[]; canonical: number; agreement: number }>,
  common: ReadonlySet<number>,
  minOccurrences: number,
): PatternClass[] {
  const position = new Map(results.map((r, i) => [r.id, i]));
  const signatures = known.map((k) => (k.signature ? (JSON.parse(k.signature) as number[]) : []));
  const taken = known.map((k) => new Set((JSON.parse(k.member_ids) as string[]).map((id) => position.get(id)).filter((i): i is number => i !== undefined)));
  const fresh: PatternClass[] = [];
  for (const g of groups) {
    let best = -1;
    let bestShare = SAME_PATTERN;
    for (let k = 0; k < known.length; k++) {
      if (signatures[k]!.length < MIN_FACTS) continue;
      const share = g.members.filter((m) => overlap(signatures[k]!, results[m]!.answer) >= AGREEMENT).length / g.members.length;
      if (share >= bestShare) [best, bestShare] = [k, share];
    }
    if (best >= 0) for (const m of g.members) taken[best]!.add(m);
    else if (g.members.length >= minOccurrences) {
      const answers = g.members.map((m) => results[m]!.answer);
      fresh.push({ known: null, members: g.members, canonical: g.canonical, agreement: g.agreement, signature: signatureOf(answers, common) });
    }
  }
  const claimed = new Set<number>();
  const kept: PatternClass[] = [];
  for (let k = 0; k < known.length; k++) {
    const members = [...taken[k]!].filter((m) => !claimed.has(m));
    for (const m of members) claimed.add(m);
    if (members.length < 2) continue;
    const answers = members.map((m) => results[m]!.answer);
    const signature = signatureOf(answers, common);
    const have = members.map((m) => overlap(signature, results[m]!.answer));
    kept.push({ known: known[k]!, members, canonical: bestMember(members, have), agreement: have.reduce((a, b) => a + b, 0) / members.length, signature: signature.length ? signature : signatures[k]! });
  }
  const added: PatternClass[] = [];
  for (const f of fresh) {
    const members = f.members.filter((m) => !claimed.has(m));
    if (members.length < minOccurrences) continue;
    // The member that carries most of the facts stands for the pattern.
    added.push({ ...f, members, canonical: bestMember(members, members.map((m) => overlap(f.signature, results[m]!.answer))) });
  }
  return [...added, ...kept];
}

function bestMember(members: readonly number[], scores: readonly number[]): number {
  return members[scores.indexOf(Math.max(...scores))]!;
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
  changed_at: number | null;
  changed_by: string | null;
  reason: string | null;
  served: number;
  shadow: number;
  disagreed: number;
  disliked: number;
}

/** A pattern's rollout so far: answers it gave, model answers compared with it, and what went against it. */
export interface RolloutCounts {
  served: number;
  shadow: number;
  disagreed: number;
  negativeFeedback: number;
}

function view(r: PatternRow): PatternView & { rollout: RolloutCounts } {
  return {
    id: r.id,
    status: r.status,
    canonicalAnswer: r.canonical_answer,
    examples: r.examples,
    agreement: r.agreement,
    detectedAt: new Date(r.detected_at).toISOString(),
    window: { from: new Date(r.window_from).toISOString(), to: new Date(r.window_to).toISOString() },
    report: r.report ? (JSON.parse(r.report) as PatternReport) : null,
    changed: r.changed_at === null ? null : { at: new Date(r.changed_at).toISOString(), by: r.changed_by, reason: r.reason },
    rollout: { served: r.served, shadow: r.shadow, disagreed: r.disagreed, negativeFeedback: r.disliked },
  };
}

const COLUMNS = `id, status, canonical_answer, examples, agreement, detected_at, window_from, window_to, report, changed_at, changed_by, reason,
  (SELECT COUNT(*) FROM pattern_samples s WHERE s.pattern_id = p.id AND s.kind = 'served') AS served,
  (SELECT COUNT(*) FROM pattern_samples s WHERE s.pattern_id = p.id AND s.kind = 'shadow') AS shadow,
  (SELECT COUNT(*) FROM pattern_samples s WHERE s.pattern_id = p.id AND s.kind = 'shadow' AND s.error = 1) AS disagreed,
  (SELECT COUNT(*) FROM pattern_samples s WHERE s.pattern_id = p.id AND s.kind = 'feedback') AS disliked`;

/** An agent's patterns, largest first; optionally one status only. */
export async function listPatterns(db: D1Database, agentId: string, status?: string): Promise<Array<PatternView & { rollout: RolloutCounts }>> {
  const { results } = await (status
    ? db.prepare(`SELECT ${COLUMNS} FROM patterns p WHERE agent_id = ? AND status = ? ORDER BY examples DESC, id LIMIT 500`).bind(agentId, status)
    : db.prepare(`SELECT ${COLUMNS} FROM patterns p WHERE agent_id = ? ORDER BY examples DESC, id LIMIT 500`).bind(agentId)
  ).all<PatternRow>();
  return results.map(view);
}

/** One pattern of an agent, or null (another agent's pattern is never found). */
export async function getPattern(db: D1Database, agentId: string, id: string): Promise<(PatternView & { rollout: RolloutCounts }) | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM patterns p WHERE agent_id = ? AND id = ?`).bind(agentId, id).first<PatternRow>();
  return row ? view(row) : null;
}
