import { index, integer, real, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * The agent index: one row per agent, written after its AgentState object (the source of
 * truth) accepts a PUT. It serves listings and joins; secrets never enter D1.
 */
export const agents = sqliteTable("agents", {
  id: text("id").primaryKey(),
  version: integer("version").notNull(),
  name: text("name"),
  model: text("model").notNull(),
  config: text("config", { mode: "json" }).notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** `code`: declared in the worker's code (`createForeman({ agents })`), changed by deploying; `api`: by the admin API. */
  managedBy: text("managed_by", { enum: ["api", "code"] }).notNull().default("api"),
  /** For a code-managed agent, the hash of what the code declared when it was last applied. */
  codeHash: text("code_hash"),
});

/** Finished interactions, from the `learning` queue. No customer text; the conversation is hashed. */
export const interactions = sqliteTable(
  "interactions",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id").notNull(),
    channel: text("channel").notNull(),
    deliveryId: text("delivery_id").notNull(),
    conversationHash: text("conversation_hash").notNull(),
    tier: text("tier").notNull(),
    model: text("model"),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    cacheWriteTokens: integer("cache_write_tokens").notNull(),
    cacheReadTokens: integer("cache_read_tokens").notNull(),
    costMicros: integer("cost_micros").notNull(),
    steps: integer("steps").notNull(),
    toolCalls: integer("tool_calls").notNull(),
    deniedTools: text("denied_tools", { mode: "json" }).$type<string[]>().notNull(),
    outcome: text("outcome").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Receipt to answer, queue time included. Rows stored before this column say 0. */
    latencyMs: integer("latency_ms").notNull().default(0),
    urgency: text("urgency", { enum: ["normal", "high", "critical"] }).notNull().default("normal"),
    /** Earlier turns the message was answered with; 0 for a conversation's opening message. */
    position: integer("position").notNull().default(0),
    /** 1 when pattern learning may use it (see `InteractionRecord.learnable`). */
    learnable: integer("learnable", { mode: "boolean" }).notNull().default(false),
    /** Masked question and answer of a learnable interaction; null otherwise. */
    question: text("question"),
    answer: text("answer"),
    /**
     * The id (hex) of the Conversation object that keeps the conversation's turns, so its
     * transcript can be found from `conversation_hash`; null when the agent keeps no context,
     * and for rows stored before this column. Not the conversation key: that may hold an address.
     */
    conversationObject: text("conversation_object"),
  },
  (t) => [
    index("interactions_agent_time").on(t.agentId, t.createdAt),
    index("interactions_learnable").on(t.agentId, t.learnable, t.createdAt),
    index("interactions_conversation").on(t.agentId, t.conversationHash, t.createdAt),
  ],
);

/**
 * Learned patterns of an agent. A detection run replaces the agent's `candidate` rows; later
 * states (validated, pending approval, canary, active, rejected, rolled back) are kept.
 */
export const patterns = sqliteTable(
  "patterns",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id").notNull(),
    status: text("status", { enum: ["candidate", "validated", "imported", "pending_approval", "canary", "shadow", "active", "rejected", "rolled_back"] }).notNull(),
    /** The answer the pattern gives: the group member nearest its centroid, already masked. */
    canonicalAnswer: text("canonical_answer").notNull(),
    /** Interactions whose answers make the group (JSON ids), its size, and how much they agree (mean cosine). */
    memberIds: text("member_ids", { mode: "json" }).$type<string[]>().notNull(),
    examples: integer("examples").notNull(),
    agreement: real("agreement").notNull(),
    detectedAt: integer("detected_at").notNull(),
    windowFrom: integer("window_from").notNull(),
    windowTo: integer("window_to").notNull(),
    /** The validation report (JSON): the matcher's proof and this pattern's held-out coverage and confusions. */
    report: text("report", { mode: "json" }).$type<Record<string, unknown>>(),
    /** The detection run whose matcher serves this pattern, and its class there. */
    runId: text("run_id"),
    classIndex: integer("class_index"),
    /** Hashed word bigrams most member answers share (JSON): what a model answer must say to agree. */
    signature: text("signature", { mode: "json" }).$type<number[]>(),
    /** When and why the status last changed, and by whom (`admin:…`, `canary`). */
    changedAt: integer("changed_at"),
    changedBy: text("changed_by"),
    reason: text("reason"),
  },
  (t) => [index("patterns_agent_status").on(t.agentId, t.status)],
);

/**
 * A counter per agent, raised in the same batch as every change to what its patterns serve: a
 * serving snapshot built at version n shows every change up to n, so the newest always wins.
 */
export const patternVersions = sqliteTable("pattern_versions", {
  agentId: text("agent_id").primaryKey(),
  version: integer("version").notNull(),
});

/**
 * Evidence on a pattern in rollout, one row per interaction (so a redelivered message counts
 * once): `shadow`, the model answered and was compared with what the pattern would have said;
 * `served`, the pattern answered; `feedback`, negative feedback on an answer the pattern gave.
 */
export const patternSamples = sqliteTable(
  "pattern_samples",
  {
    interactionId: text("interaction_id").notNull(),
    kind: text("kind", { enum: ["shadow", "served", "feedback"] }).notNull(),
    patternId: text("pattern_id").notNull(),
    agentId: text("agent_id").notNull(),
    /** 1 when it counts against the pattern: a disagreeing model answer, or negative feedback. */
    error: integer("error").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.interactionId, t.kind] }), index("pattern_samples_pattern").on(t.patternId, t.kind)],
);

/**
 * Queue messages that exhausted their retries, kept so nothing is silently lost, listed and
 * replayed per agent (`src/admin/dead-letters.ts`), deleted after `DEAD_LETTER_RETENTION_MS`.
 */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    queue: text("queue").notNull(),
    /** The message with customer text and addresses masked: what a listing shows. */
    body: text("body").notNull(),
    attempts: integer("attempts").notNull(),
    receivedAt: integer("received_at").notNull(),
    /** The agent the message is for; null when it names none (a malformed message). */
    agentId: text("agent_id"),
    /**
     * The whole message, for a replay: sealed under ENCRYPTION_KEYS when the agent's
     * `audit.compliance.encryption` is on, else plain and dropped (null) after
     * `DEAD_LETTER_PLAIN_MS`. Null: not replayable.
     */
    payload: text("payload"),
    /** When it was replayed (sent to the work queue again); null until then. */
    replayedAt: integer("replayed_at"),
  },
  (t) => [index("dead_letters_time").on(t.receivedAt), index("dead_letters_agent").on(t.agentId, t.receivedAt)],
);

/**
 * Audited actions, flushed from each agent's outbox. Each agent's events form a SHA-256 chain
 * (`src/audit/chain.ts`): `seq` 1, 2, 3, … without gaps, `prev_hash` the hash of the event
 * before. Rows written before the chain existed have NULL `seq`, `prev_hash` and `hash`.
 */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id").notNull(),
    at: integer("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    resource: text("resource").notNull(),
    decision: text("decision").notNull(),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    costMicros: integer("cost_micros"),
    requestId: text("request_id"),
    seq: integer("seq"),
    prevHash: text("prev_hash"),
    hash: text("hash"),
  },
  (t) => [
    index("audit_agent_time").on(t.agentId, t.at),
    index("audit_agent_action").on(t.agentId, t.action, t.at),
    uniqueIndex("audit_agent_seq").on(t.agentId, t.seq),
  ],
);

/** Alerts, flushed from each agent's outbox; delivery to the alert channel is recorded here. */
export const alerts = sqliteTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id").notNull(),
    at: integer("at").notNull(),
    type: text("type").notNull(),
    message: text("message").notNull(),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    deliveredAt: integer("delivered_at"),
    deliveryError: text("delivery_error"),
    /** When a person acknowledged the alert; null while it is open. Set once, never changed. */
    acknowledgedAt: integer("acknowledged_at"),
    /** Who acknowledged it: `admin:` and the key's id, as in the audit trail. */
    acknowledgedBy: text("acknowledged_by"),
  },
  (t) => [index("alerts_agent_time").on(t.agentId, t.at)],
);

/**
 * Closed audit archive objects in R2 (`AUDIT_BUCKET`): one row per JSON Lines object of an
 * agent's chained events, with the digest that chains it to the previous object. A row stays
 * after retention deletes its objects, so the digest chain can still be followed.
 */
export const auditArchives = sqliteTable(
  "audit_archives",
  {
    agentId: text("agent_id").notNull(),
    firstSeq: integer("first_seq").notNull(),
    lastSeq: integer("last_seq").notNull(),
    /** UTC day (YYYY-MM-DD) of the first event. */
    day: text("day").notNull(),
    count: integer("count").notNull(),
    firstAt: integer("first_at").notNull(),
    lastAt: integer("last_at").notNull(),
    lastHash: text("last_hash").notNull(),
    objectKey: text("object_key").notNull(),
    objectSha256: text("object_sha256").notNull(),
    digestKey: text("digest_key").notNull(),
    digestSha256: text("digest_sha256").notNull(),
    previousDigestSha256: text("previous_digest_sha256").notNull(),
    archivedAt: integer("archived_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.firstSeq] }), index("audit_archives_agent_last").on(t.agentId, t.lastSeq)],
);

/** Agents under legal hold: retention deletes nothing of theirs, in D1 or R2. */
export const legalHolds = sqliteTable("legal_holds", {
  agentId: text("agent_id").primaryKey(),
  reason: text("reason").notNull(),
  actor: text("actor").notNull(),
  at: integer("at").notNull(),
});

/**
 * Admin API keys. Only the SHA-256 of a key is stored; the key itself is shown once, when
 * created. A revoked key keeps its row (its id names the actor of past audit events) and stops
 * working at once: every request looks its hash up here, nothing is cached.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    /** `key_` and 24 hex digits; what audit events name as the actor. */
    id: text("id").primaryKey(),
    /** Hex SHA-256 of the whole key. */
    hash: text("hash").notNull(),
    /** `admin`, `operator` or `viewer`. */
    role: text("role").notNull(),
    /** The agent ids the key is limited to (JSON array); null for every agent. */
    agents: text("agents", { mode: "json" }).$type<string[]>(),
    name: text("name"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    revokedAt: integer("revoked_at"),
    revokedBy: text("revoked_by"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.hash)],
);

/**
 * Dashboard sessions (`/dashboard`): one row per signed-in browser. The cookie holds a random
 * token; the row is keyed by its SHA-256, so these rows alone let nobody sign in. A session of
 * an API key ends when the key is revoked; one of the `ADMIN_TOKEN` secret keeps an HMAC of the
 * secret (`bootstrapCheck`) and ends when the secret changes.
 */
export const dashboardSessions = sqliteTable(
  "dashboard_sessions",
  {
    /** Hex SHA-256 of the cookie's token. */
    id: text("id").primaryKey(),
    /** `key_…`, or `bootstrap` for the ADMIN_TOKEN secret. Never the key. */
    keyId: text("key_id").notNull(),
    role: text("role").notNull(),
    /** The agents the key is limited to (JSON array); null for every agent. */
    agents: text("agents", { mode: "json" }).$type<string[]>(),
    /** The CSRF token every form of the session carries. */
    csrf: text("csrf").notNull(),
    bootstrapCheck: text("bootstrap_check"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("dashboard_sessions_expiry").on(t.expiresAt), index("dashboard_sessions_key").on(t.keyId)],
);

/**
 * Hourly rollups of `interactions`, one row per agent, UTC hour and (channel, tier, outcome,
 * urgency), written by the hourly job (`src/rollups/write.ts`). Analytics read them for the hours
 * an agent's `rollup_marks` row covers and raw rows for the rest.
 */
export const agentHours = sqliteTable(
  "agent_hours",
  {
    agentId: text("agent_id").notNull(),
    /** Epoch ms of the hour's start. */
    hour: integer("hour").notNull(),
    channel: text("channel").notNull(),
    tier: text("tier").notNull(),
    outcome: text("outcome").notNull(),
    urgency: text("urgency").notNull(),
    requests: integer("requests").notNull(),
    costMicros: integer("cost_micros").notNull(),
    /** Interactions with at least one denied tool call. */
    denials: integer("denials").notNull(),
    learnable: integer("learnable").notNull(),
    latencySumMs: integer("latency_sum_ms").notNull(),
    latencyMaxMs: integer("latency_max_ms").notNull(),
    /** Counts per latency bucket (`LATENCY_BUCKETS_MS` in src/rollups/sketch.ts), as a JSON array. */
    latencyBuckets: text("latency_buckets", { mode: "json" }).$type<number[]>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.hour, t.channel, t.tier, t.outcome, t.urgency] })],
);

/** Which hours each agent's rollups cover: every hour in [`rolled_from`, `rolled_until`) is in `agent_hours`. */
export const rollupMarks = sqliteTable("rollup_marks", {
  agentId: text("agent_id").primaryKey(),
  rolledFrom: integer("rolled_from").notNull(),
  rolledUntil: integer("rolled_until").notNull(),
});

/**
 * Pages of periodic jobs that are done (`src/jobs/`): a redelivered job message whose page is
 * here is acknowledged without doing the work again. Pruned after a week.
 */
export const jobPages = sqliteTable(
  "job_pages",
  {
    job: text("job").notNull(),
    /** The run the page belongs to: the start (epoch ms) of the hour of the cron time it was enqueued for. */
    period: integer("period").notNull(),
    /** The page: the agent id it starts after ("" for the first), or the one agent it is for. */
    page: text("page").notNull(),
    doneAt: integer("done_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.job, t.period, t.page] }), index("job_pages_done").on(t.doneAt)],
);
