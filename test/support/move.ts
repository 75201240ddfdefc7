import { AGENT_TABLES, type MovedRows } from "../../src/db/move";

/** How many rows of the agent each per-agent table of a shard holds. */
export async function rowCounts(db: D1Database, agentId: string): Promise<MovedRows> {
  const results = await db.batch(AGENT_TABLES.map((t) => db.prepare(`SELECT COUNT(*) AS n FROM ${t.name} WHERE ${t.agentColumn} = ?`).bind(agentId)));
  return Object.fromEntries(AGENT_TABLES.map((t, i) => [t.name, (results[i]!.results[0] as { n: number }).n])) as MovedRows;
}

/** The same counts with every table at `n`: what a shard with none of the agent's rows shows for 0. */
export function everyTable(n: number): MovedRows {
  return Object.fromEntries(AGENT_TABLES.map((t) => [t.name, n])) as MovedRows;
}

/**
 * One row of the agent in every per-agent table but `agents` (which the admin API writes), and
 * `interactions` of them, `at` apart by a second from `now` back: what a move must carry.
 */
export async function seedAgentRows(db: D1Database, agentId: string, interactions: number, now = Date.now()): Promise<void> {
  const statements = [
    db.prepare("INSERT INTO legal_holds (agent_id, reason, actor, at) VALUES (?, 'litigation', 'admin:bootstrap', ?)").bind(agentId, now),
    db.prepare("INSERT INTO patterns (id, agent_id, status, canonical_answer, member_ids, examples, agreement, detected_at, window_from, window_to) VALUES (?, ?, 'active', 'We open at nine.', '[]', 10, 0.9, ?, 0, ?)").bind(`pat-${agentId}`, agentId, now, now),
    db.prepare("INSERT INTO pattern_versions (agent_id, version) VALUES (?, 3)").bind(agentId),
    db.prepare("INSERT INTO pattern_samples (interaction_id, kind, pattern_id, agent_id, error, at) VALUES (?, 'served', ?, ?, 0, ?)").bind(`int-${agentId}-0`, `pat-${agentId}`, agentId, now),
    db.prepare("INSERT INTO dead_letters (id, queue, body, attempts, received_at, agent_id) VALUES (?, 'foreman-work', '{}', 6, ?, ?)").bind(`dlq-${agentId}`, now, agentId),
    db.prepare("INSERT INTO audit_events (id, agent_id, at, actor, action, resource, decision, details) VALUES (?, ?, ?, 'system', 'config.changed', ?, 'changed', '{}')").bind(`ev-${agentId}`, agentId, now, agentId),
    db.prepare("INSERT INTO alerts (id, agent_id, at, type, message, details) VALUES (?, ?, ?, 'budget_threshold', 'half the budget is spent', '{}')").bind(`al-${agentId}`, agentId, now),
    db.prepare(
      "INSERT INTO audit_archives (agent_id, first_seq, last_seq, day, count, first_at, last_at, last_hash, object_key, object_sha256, digest_key, digest_sha256, previous_digest_sha256, archived_at) VALUES (?, 1, 1, '2026-01-01', 1, 0, 0, 'h', 'k', 's', 'dk', 'ds', 'p', ?)",
    ).bind(agentId, now),
    db.prepare("INSERT INTO agent_hours (agent_id, hour, channel, tier, outcome, urgency, requests, cost_micros, denials, learnable, latency_sum_ms, latency_max_ms, latency_buckets) VALUES (?, 0, 'http', 'intelligent', 'success', 'normal', 1, 900, 0, 0, 30, 30, '[1]')").bind(agentId),
    db.prepare("INSERT INTO rollup_marks (agent_id, rolled_from, rolled_until) VALUES (?, 0, 3600000)").bind(agentId),
  ];
  for (let i = 0; i < interactions; i++) statements.push(insertInteraction(db, agentId, `int-${agentId}-${i}`, now - i * 1000));
  await db.batch(statements);
}

/** An interaction row of the agent, as the learning queue stores one. */
export function insertInteraction(db: D1Database, agentId: string, id: string, at: number): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO interactions (id, agent_id, channel, delivery_id, conversation_hash, tier, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_micros, steps, tool_calls, denied_tools, outcome, created_at) VALUES (?, ?, 'http', ?, 'h', 'intelligent', 100, 40, 0, 0, 900, 1, 0, '[]', 'success', ?)",
    )
    .bind(id, agentId, `d-${id}`, at);
}
