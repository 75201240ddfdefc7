import type { AgentRecord } from "../state/agent-record";
import { globsForLevel, tierKeyAt } from "../trust/permissions";
import { type ChainBreak, ChainVerifier, GENESIS_HASH } from "./chain";
import { PII_FAILURE_TEXT, PII_TYPES, piiTag } from "./pii";
import { EVENT_COLUMNS, type EventRow as StoredRow, toStored } from "./rows";

/**
 * Compliance reports (issue 6, item 5): an agent's audit trail, alerts, interactions and config
 * over a period, arranged as the evidence a SOC2 or HIPAA auditor asks for, each section naming
 * the criterion it evidences. Read-only; every query is bounded by agent and time.
 */

export const REPORT_STANDARDS = ["SOC2", "HIPAA"] as const;
export type ReportStandard = (typeof REPORT_STANDARDS)[number];

/** Rows listed per section; the rest are counted in `truncated`. */
export const MAX_SECTION_ROWS = 200;
/** Characters of an event's details shown in a row. */
const MAX_DETAIL = 1_000;
/** Rows read from D1 per query while verifying the chain. */
const VERIFY_PAGE = 500;
/** Pages verified per report: D1 allows 1,000 queries per invocation and the report needs a few dozen more. */
const VERIFY_MAX_PAGES = 200;

/** One piece of evidence: an audit event, an alert, an interaction or a chain break. */
export interface ReportRow {
  at: string | null;
  actor: string;
  action: string;
  resource: string;
  decision: string;
  detail: string;
}

/** Counts and settings; keys are action names, alert types, outcomes or config fields. */
export type ReportCounts = Record<string, number | string | boolean | null>;

export interface ReportSection {
  id: string;
  title: string;
  /** The criterion this section evidences, e.g. "CC6.1, CC6.3" or "45 CFR §164.312(b)". */
  control: string;
  summary: string;
  counts: ReportCounts;
  rows: ReportRow[];
  /** Rows in the period beyond those listed. */
  truncated: number;
}

export interface ComplianceReport {
  agentId: string;
  standard: ReportStandard;
  from: string;
  to: string;
  generatedAt: string;
  sections: ReportSection[];
}

/** What a report reads: D1, and the agent as its Durable Object holds it. */
export interface ReportInput {
  agentId: string;
  record: AgentRecord;
  trustLevel: number;
  standard: ReportStandard;
  from: number;
  to: number;
  now: number;
}

/**
 * The standard named in a path, in any case; null for one Foreman has no report for.
 *
 * @example
 * parseStandard("soc2"); // "SOC2"
 */
export function parseStandard(raw: string): ReportStandard | null {
  const upper = raw.toUpperCase();
  return REPORT_STANDARDS.find((s) => s === upper) ?? null;
}

/**
 * Builds the report of one standard for one agent and period.
 *
 * @example
 * const report = await buildReport({ DB: env.DB }, { agentId, record, trustLevel, standard: "HIPAA", from, to, now });
 */
export async function buildReport(deps: { DB: D1Database }, input: ReportInput): Promise<ComplianceReport> {
  const scope: Scope = { db: deps.DB, agentId: input.agentId, from: input.from, to: input.to };
  const sections = input.standard === "SOC2" ? await soc2(scope, input) : await hipaa(scope, input);
  return {
    agentId: input.agentId,
    standard: input.standard,
    from: iso(input.from),
    to: iso(input.to),
    generatedAt: iso(input.now),
    sections,
  };
}

// ---------------------------------------------------------------- the standards

const ACCESS_ACTIONS = ["trust.changed", "trust.freeze", "trust.unfreeze", "approval.requested", "approval.approved", "approval.rejected", "tool.executed"];
const DENIED_ACTIONS = ["tool.denied", "webhook.rejected", "budget.denied"];

type SectionMeta = Pick<ReportSection, "id" | "title" | "control">;

/** AICPA Trust Services Criteria (2017, points of focus revised 2022): the criterion each section evidences. */
const SOC2 = {
  access: { id: "access-changes", title: "Logical access and permission changes", control: "CC6.1, CC6.3" },
  denied: { id: "denied-attempts", title: "Denied access attempts and refused requests", control: "CC6.8, CC7.2" },
  alerts: { id: "alerts", title: "Security alerts and their handling", control: "CC7.3, CC7.4" },
  chain: { id: "audit-integrity", title: "Audit trail integrity", control: "CC7.2" },
  admin: { id: "config-changes", title: "Configuration and administrative changes", control: "CC8.1" },
  masking: { id: "data-protection", title: "Data protection: PII masking, encryption and retention", control: "C1.1, P4.2" },
  availability: { id: "availability", title: "Availability signals", control: "A1.2" },
} satisfies Record<string, SectionMeta>;

/** The HIPAA Security Rule (45 CFR Part 164 Subpart C) and the minimum-necessary standard (§164.502(b)). */
const HIPAA = {
  audit: { id: "audit-controls", title: "Audit controls", control: "45 CFR §164.312(b)" },
  chain: { id: "integrity", title: "Integrity of the audit trail", control: "45 CFR §164.312(c)(1)" },
  access: { id: "access-control", title: "Access control: permission changes and denied attempts", control: "45 CFR §164.312(a)(1)" },
  review: { id: "activity-review", title: "Information system activity review: alerts and their handling", control: "45 CFR §164.308(a)(1)(ii)(D)" },
  encryption: { id: "encryption", title: "Encryption and decryption", control: "45 CFR §164.312(a)(2)(iv)" },
  incidents: { id: "security-incidents", title: "Security incident procedures: urgent messages and permission escalations", control: "45 CFR §164.308(a)(6)" },
  masking: { id: "phi-exposure", title: "PHI/PII exposure: masking coverage", control: "45 CFR §164.502(b), §164.514(d)" },
} satisfies Record<string, SectionMeta>;

async function soc2(scope: Scope, input: ReportInput): Promise<ReportSection[]> {
  const [access, denied, alerts, chain, admin, masking, availability] = await Promise.all([
    eventEvidence(scope, { actions: ACCESS_ACTIONS }),
    eventEvidence(scope, { actions: DENIED_ACTIONS }),
    alertEvidence(scope, null),
    verifyChain(scope),
    eventEvidence(scope, { actorPrefix: "admin:" }),
    maskingEvidence(scope),
    interactionEvidence(scope),
  ]);
  const { record } = input;
  return [
    accessSection(SOC2.access, access, input),
    section(SOC2.denied, eventSummary(denied), denied.counts, denied),
    alertSection(SOC2.alerts, alerts),
    chainSection(SOC2.chain, chain),
    section(
      SOC2.admin,
      `${eventSummary(admin)} The configuration in force is version ${record.version}, last written ${iso(record.updatedAt)}.`,
      { ...admin.counts, configVersion: record.version, configUpdatedAt: iso(record.updatedAt) },
      admin,
    ),
    maskingSection(SOC2.masking, masking, input),
    availabilitySection(SOC2.availability, availability),
  ];
}

async function hipaa(scope: Scope, input: ReportInput): Promise<ReportSection[]> {
  const [all, chain, access, alerts, urgent, escalations, masking] = await Promise.all([
    eventEvidence(scope, {}, false),
    verifyChain(scope),
    eventEvidence(scope, { actions: [...ACCESS_ACTIONS, ...DENIED_ACTIONS] }),
    alertEvidence(scope, null),
    eventEvidence(scope, { actions: ["message.urgent"] }),
    alertEvidence(scope, "permission_escalation"),
    maskingEvidence(scope),
  ]);
  const { audit } = input.record.config;
  const encrypted = audit.compliance.encryption;
  const incidentRows = [...urgent.rows, ...escalations.rows].sort((a, b) => (a.at ?? "").localeCompare(b.at ?? "")).slice(0, MAX_SECTION_ROWS);
  return [
    section(
      HIPAA.audit,
      `Audit ${audit.enabled ? "enabled" : "disabled"} at level "${audit.level}": ${all.total} events recorded in the period.`,
      { enabled: audit.enabled, level: audit.level, total: all.total, ...all.counts },
      NO_ROWS,
    ),
    chainSection(HIPAA.chain, chain),
    accessSection(HIPAA.access, access, input),
    alertSection(HIPAA.review, alerts),
    section(
      HIPAA.encryption,
      encrypted
        ? "Conversation turns, the only raw customer text kept, are sealed with AES-256-GCM under the ENCRYPTION_KEYS secret."
        : "Encryption is off: conversation turns are stored unencrypted in the agent's conversation objects.",
      { encryption: encrypted },
      NO_ROWS,
    ),
    section(
      HIPAA.incidents,
      `Urgent messages: ${urgent.total}. Permission escalation alerts: ${escalations.total} (their delivery is under activity review).`,
      { "message.urgent": urgent.total, permission_escalation: escalations.total },
      { rows: incidentRows, truncated: urgent.total + escalations.total - incidentRows.length },
    ),
    maskingSection(HIPAA.masking, masking, input),
  ];
}

// ---------------------------------------------------------------- sections

const NO_ROWS: Listed = { rows: [], truncated: 0 };

function section(meta: SectionMeta, summary: string, counts: ReportCounts, listed: Listed): ReportSection {
  return { ...meta, summary, counts, rows: listed.rows, truncated: listed.truncated };
}

function accessSection(meta: SectionMeta, access: EventEvidence, input: ReportInput): ReportSection {
  return section(meta, `${eventSummary(access)} Now trust level ${input.trustLevel} grants ${allowed(input)}.`, { ...access.counts, ...policyCounts(input) }, access);
}

function alertSection(meta: SectionMeta, alerts: AlertEvidence): ReportSection {
  const { delivered, undelivered, pending } = alerts.handling;
  return section(
    meta,
    `${alerts.total} alerts: ${delivered} delivered to the alert channel, ${undelivered} not delivered (the row names why), ${pending} pending.`,
    { total: alerts.total, ...alerts.handling, ...alerts.counts },
    alerts,
  );
}

function chainSection(meta: SectionMeta, chain: ChainEvidence): ReportSection {
  const unchained = chain.unchained > 0 ? ` ${chain.unchained} events predate the chain and are not covered.` : "";
  const { archived } = chain;
  const inArchive = archived.events > 0
    ? ` ${archived.events} events of ${archived.objects} R2 archive objects overlapping the period are no longer in D1 and are in no section of this report.`
    : "";
  const { broken } = chain;
  const rows: ReportRow[] = broken
    ? [{ at: null, actor: "system", action: "chain.broken", resource: `seq ${broken.seq}`, decision: broken.reason, detail: broken.id ? `event ${broken.id}` : "event missing" }]
    : [];
  const counts = {
    ok: broken ? false : chain.complete ? true : null,
    complete: chain.complete,
    checked: chain.checked,
    firstSeq: chain.firstSeq,
    lastSeq: chain.lastSeq,
    unchained: chain.unchained,
    brokenSeq: broken?.seq ?? null,
    brokenReason: broken?.reason ?? null,
    archivedEvents: archived.events,
    archiveObjects: archived.objects,
  };
  return section(meta, chainSummary(chain) + unchained + inArchive, counts, { rows, truncated: 0 });
}

function chainSummary(chain: ChainEvidence): string {
  if (chain.firstSeq === null) return "No chained events in the period.";
  if (chain.broken) return `Chain broken at seq ${chain.broken.seq}: ${chain.broken.reason}.`;
  const span = `(seq ${chain.firstSeq}–${chain.lastSeq})`;
  if (!chain.complete) return `No break in the first ${chain.checked} of ${chain.expected} events ${span}; verify the rest with GET …/audit/verify in parts.`;
  return `Chain intact: ${chain.checked} events ${span} recomputed and linked.`;
}

function maskingSection(meta: SectionMeta, masking: MaskingEvidence, input: ReportInput): ReportSection {
  const { audit } = input.record.config;
  const recorded = audit.level === "detailed" ? "" : ` Tool calls are audited only at level "detailed" (this agent: "${audit.level}").`;
  const on = (flag: boolean) => (flag ? "on" : "off");
  return section(
    meta,
    `${masking.masked} of ${masking.toolCalls} audited tool calls had PII masked in their arguments, ${masking.failedClosed} redacted whole after a detector failure.${recorded} ` +
      `PII detection ${on(audit.compliance.piiDetection)}, encryption ${on(audit.compliance.encryption)}, retention ${audit.retention.duration}.`,
    {
      auditLevel: audit.level,
      piiDetection: audit.compliance.piiDetection,
      encryption: audit.compliance.encryption,
      retention: audit.retention.duration,
      toolCalls: masking.toolCalls,
      maskedToolCalls: masking.masked,
      failedClosed: masking.failedClosed,
    },
    masking,
  );
}

function availabilitySection(meta: SectionMeta, a: InteractionEvidence): ReportSection {
  const rate = (n: number) => (a.total === 0 ? 0 : Math.round((n / a.total) * 10_000) / 10_000);
  const errorRate = rate(a.outcomes.error ?? 0);
  const fallbackShare = rate(a.tiers.fallback ?? 0);
  return section(
    meta,
    `${a.total} answered messages: error rate ${errorRate}, fallback share ${fallbackShare}. Rows list the errors and fallbacks.`,
    { total: a.total, errorRate, fallbackShare, ...prefixed("outcome.", a.outcomes), ...prefixed("tier.", a.tiers) },
    a,
  );
}

/** The permission policy in force now, for the access sections. */
function policyCounts(input: ReportInput): ReportCounts {
  const { trust } = input.record.config;
  return {
    trustLevel: input.trustLevel,
    tier: tierKeyAt(input.trustLevel, trust.permissions),
    permissions: Object.entries(trust.permissions).map(([level, globs]) => `${level}: ${globs.join(" ")}`).join("; "),
    deny: trust.deny.join(" "),
    ask: trust.ask.join(" "),
  };
}

function allowed(input: ReportInput): string {
  const globs = globsForLevel(input.trustLevel, input.record.config.trust.permissions);
  return globs.length === 0 ? "no tools" : globs.join(", ");
}

function eventSummary(e: EventEvidence): string {
  const named = Object.entries(e.counts).filter(([, n]) => n > 0).map(([action, n]) => `${action} ${n}`);
  return `${e.total} events in the period${named.length ? ` (${named.join(", ")})` : ""}.`;
}

function prefixed(prefix: string, counts: Record<string, number>): ReportCounts {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${prefix}${k}`, v]));
}

const iso = (ms: number) => new Date(ms).toISOString();

// ---------------------------------------------------------------- evidence from D1

interface Scope {
  db: D1Database;
  agentId: string;
  from: number;
  to: number;
}

interface Listed {
  rows: ReportRow[];
  truncated: number;
}

interface EventEvidence extends Listed {
  total: number;
  counts: Record<string, number>;
}

interface EventRow {
  id: string;
  at: number;
  actor: string;
  action: string;
  resource: string;
  decision: string;
  details: string;
}

const toRow = (r: EventRow): ReportRow => ({
  at: iso(r.at),
  actor: r.actor,
  action: r.action,
  resource: r.resource,
  decision: r.decision,
  detail: r.details.length > MAX_DETAIL ? `${r.details.slice(0, MAX_DETAIL)}…` : r.details,
});

/**
 * Events of the period with one of `actions`, or whose actor starts with `actorPrefix` (a range,
 * not LIKE, which ignores case and reads `_` as a wildcard), or all: counts by action, and the
 * first rows in time order.
 */
async function eventEvidence(
  scope: Scope,
  filter: { actions?: readonly string[]; actorPrefix?: string; where?: { sql: string; binds: string[] } },
  list = true,
): Promise<EventEvidence> {
  const where = ["agent_id = ?", "at >= ?", "at <= ?"];
  const binds: Array<string | number> = [scope.agentId, scope.from, scope.to];
  if (filter.actions) {
    where.push(`action IN (${filter.actions.map(() => "?").join(", ")})`);
    binds.push(...filter.actions);
  }
  if (filter.actorPrefix) {
    const p = filter.actorPrefix;
    where.push("actor >= ? AND actor < ?");
    binds.push(p, p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1));
  }
  if (filter.where) {
    where.push(filter.where.sql);
    binds.push(...filter.where.binds);
  }
  const clause = where.join(" AND ");
  const [grouped, listed] = await scope.db.batch([
    scope.db.prepare(`SELECT action, COUNT(*) AS n FROM audit_events WHERE ${clause} GROUP BY action ORDER BY action`).bind(...binds),
    scope.db.prepare(`SELECT id, at, actor, action, resource, decision, details FROM audit_events WHERE ${clause} ORDER BY at, id LIMIT ?`).bind(...binds, list ? MAX_SECTION_ROWS : 0),
  ]);
  const counts: Record<string, number> = Object.fromEntries((filter.actions ?? []).map((a) => [a, 0]));
  let total = 0;
  for (const { action, n } of (grouped?.results ?? []) as Array<{ action: string; n: number }>) {
    counts[action] = n;
    total += n;
  }
  const rows = ((listed?.results ?? []) as EventRow[]).map(toRow);
  return { total, counts, rows, truncated: list ? total - rows.length : 0 };
}

interface AlertEvidence extends Listed {
  total: number;
  counts: Record<string, number>;
  handling: { delivered: number; undelivered: number; pending: number };
}

/** Alerts of the period (of one type, or all) and how their delivery went. */
async function alertEvidence(scope: Scope, type: string | null): Promise<AlertEvidence> {
  const clause = `agent_id = ? AND at >= ? AND at <= ?${type ? " AND type = ?" : ""}`;
  const binds: Array<string | number> = [scope.agentId, scope.from, scope.to, ...(type ? [type] : [])];
  const [grouped, listed] = await scope.db.batch([
    scope.db.prepare(
      `SELECT type, COUNT(*) AS n, COUNT(delivered_at) AS delivered, SUM(delivered_at IS NULL AND delivery_error IS NOT NULL) AS undelivered FROM alerts WHERE ${clause} GROUP BY type ORDER BY type`,
    ).bind(...binds),
    scope.db.prepare(`SELECT id, at, type, message, delivered_at, delivery_error FROM alerts WHERE ${clause} ORDER BY at, id LIMIT ?`).bind(...binds, MAX_SECTION_ROWS),
  ]);
  const counts: Record<string, number> = {};
  const handling = { delivered: 0, undelivered: 0, pending: 0 };
  let total = 0;
  for (const g of (grouped?.results ?? []) as Array<{ type: string; n: number; delivered: number; undelivered: number }>) {
    counts[g.type] = g.n;
    total += g.n;
    handling.delivered += g.delivered;
    handling.undelivered += g.undelivered;
    handling.pending += g.n - g.delivered - g.undelivered;
  }
  const rows = ((listed?.results ?? []) as Array<{ id: string; at: number; type: string; message: string; delivered_at: number | null; delivery_error: string | null }>).map(
    (a): ReportRow => ({
      at: iso(a.at),
      actor: "system",
      action: `alert.${a.type}`,
      resource: a.id,
      decision: a.delivered_at !== null ? "delivered" : a.delivery_error !== null ? "undelivered" : "pending",
      detail: a.delivered_at !== null ? `${a.message} (delivered ${iso(a.delivered_at)})` : a.delivery_error !== null ? `${a.message} (${a.delivery_error})` : a.message,
    }),
  );
  return { total, counts, handling, rows, truncated: total - rows.length };
}

interface MaskingEvidence extends Listed {
  toolCalls: number;
  masked: number;
  failedClosed: number;
}

/**
 * A masked argument holds a placeholder `[TYPE]`, `[TYPE …1234]` or `[TYPE:hash]`
 * (src/audit/pii/mask.ts). GLOB is case-sensitive and reads `[[]` as a literal `[`.
 */
const MASKED = `(${PII_TYPES.map(() => "details GLOB ?").join(" OR ")})`;
const MASKED_BINDS = PII_TYPES.map((t) => `*[[]${piiTag(t)}[]: ]*`);

/** `tool.called` events (audited at level "detailed") and how many carry a mask placeholder. */
async function maskingEvidence(scope: Scope): Promise<MaskingEvidence> {
  const stats = await scope.db
    .prepare(
      `SELECT COUNT(*) AS toolCalls, COALESCE(SUM(${MASKED}), 0) AS masked, COALESCE(SUM(instr(details, ?) > 0), 0) AS failedClosed
       FROM audit_events WHERE agent_id = ? AND at >= ? AND at <= ? AND action = 'tool.called'`,
    )
    .bind(...MASKED_BINDS, PII_FAILURE_TEXT, scope.agentId, scope.from, scope.to)
    .first<{ toolCalls: number; masked: number; failedClosed: number }>();
  const listed = await eventEvidence(scope, { actions: ["tool.called"], where: { sql: MASKED, binds: MASKED_BINDS } });
  return { toolCalls: stats?.toolCalls ?? 0, masked: stats?.masked ?? 0, failedClosed: stats?.failedClosed ?? 0, rows: listed.rows, truncated: listed.truncated };
}

interface InteractionEvidence extends Listed {
  total: number;
  outcomes: Record<string, number>;
  tiers: Record<string, number>;
}

/** Answered messages of the period by outcome and tier; rows are the errors and fallbacks. */
async function interactionEvidence(scope: Scope): Promise<InteractionEvidence> {
  const clause = "agent_id = ? AND created_at >= ? AND created_at <= ?";
  const binds = [scope.agentId, scope.from, scope.to];
  const [grouped, listed] = await scope.db.batch([
    scope.db.prepare(`SELECT outcome, tier, COUNT(*) AS n FROM interactions WHERE ${clause} GROUP BY outcome, tier`).bind(...binds),
    scope.db
      .prepare(`SELECT id, created_at, channel, tier, outcome, model, latency_ms FROM interactions WHERE ${clause} AND (outcome = 'error' OR tier = 'fallback') ORDER BY created_at, id LIMIT ?`)
      .bind(...binds, MAX_SECTION_ROWS),
  ]);
  const outcomes: Record<string, number> = { success: 0, error: 0, denied: 0, escalated: 0 };
  const tiers: Record<string, number> = {};
  let total = 0;
  let listable = 0;
  for (const g of (grouped?.results ?? []) as Array<{ outcome: string; tier: string; n: number }>) {
    outcomes[g.outcome] = (outcomes[g.outcome] ?? 0) + g.n;
    tiers[g.tier] = (tiers[g.tier] ?? 0) + g.n;
    total += g.n;
    if (g.outcome === "error" || g.tier === "fallback") listable += g.n;
  }
  const rows = ((listed?.results ?? []) as Array<{ id: string; created_at: number; channel: string; tier: string; outcome: string; model: string | null; latency_ms: number }>).map(
    (i): ReportRow => ({
      at: iso(i.created_at),
      actor: `customer:${i.channel}`,
      action: i.outcome === "error" ? "interaction.error" : "interaction.fallback",
      resource: i.id,
      decision: i.outcome,
      detail: `tier ${i.tier}, model ${i.model ?? "none"}, latency ${i.latency_ms} ms`,
    }),
  );
  return { total, outcomes, tiers, rows, truncated: listable - rows.length };
}

// ---------------------------------------------------------------- chain

interface ChainEvidence {
  checked: number;
  expected: number;
  firstSeq: number | null;
  lastSeq: number | null;
  unchained: number;
  complete: boolean;
  broken: ChainBreak | null;
  /** Events retention moved out of D1, in R2 archive objects overlapping the period. */
  archived: { events: number; objects: number };
}

/**
 * The chain over the period's seqs, as `GET …/audit/verify?from=&to=` checks it: the first event
 * is anchored to the genesis hash when it is seq 1, else its `prevHash` is trusted. At most
 * VERIFY_MAX_PAGES pages; beyond them the result is incomplete rather than a guess.
 */
async function verifyChain(scope: Scope): Promise<ChainEvidence> {
  const { db, agentId } = scope;
  const bounds = await db
    .prepare("SELECT MIN(seq) AS firstSeq, MAX(seq) AS lastSeq, COUNT(*) - COUNT(seq) AS unchained FROM audit_events WHERE agent_id = ? AND at >= ? AND at <= ?")
    .bind(agentId, scope.from, scope.to)
    .first<{ firstSeq: number | null; lastSeq: number | null; unchained: number }>();
  const firstSeq = bounds?.firstSeq ?? null;
  const lastSeq = bounds?.lastSeq ?? null;
  const verifier = new ChainVerifier({ seq: firstSeq ?? 1, anchor: firstSeq === 1 ? GENESIS_HASH : null }, async (hash) => {
    const row = await db.prepare("SELECT seq FROM audit_events WHERE agent_id = ? AND hash = ? LIMIT 1").bind(agentId, hash).first<{ seq: number | null }>();
    return row?.seq ?? null;
  });
  let next = firstSeq;
  const pending = () => next !== null && lastSeq !== null && next <= lastSeq && !verifier.broken;
  for (let page = 0; page < VERIFY_MAX_PAGES && pending(); page++) {
    const { results } = await db
      .prepare(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE agent_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`)
      .bind(agentId, next, lastSeq, VERIFY_PAGE)
      .all<StoredRow & { seq: number }>();
    for (const row of results) if (await verifier.check(toStored(row))) break;
    next = results.length === VERIFY_PAGE ? results.at(-1)!.seq + 1 : null;
  }
  return {
    checked: verifier.checked,
    expected: firstSeq === null || lastSeq === null ? 0 : lastSeq - firstSeq + 1,
    firstSeq,
    lastSeq,
    unchained: bounds?.unchained ?? 0,
    complete: !pending(),
    broken: verifier.broken,
    archived: await archivedOnly(scope),
  };
}

/**
 * Events of the period no longer in D1: retention deletes archived events past the hot window
 * (src/audit/archive.ts), so they are in R2 objects (one per UTC day) below the lowest seq D1
 * still holds. Counted per object overlapping the period; their digests are not re-checked here.
 */
async function archivedOnly(scope: Scope): Promise<{ events: number; objects: number }> {
  const kept = await scope.db
    .prepare("SELECT MIN(seq) AS minSeq FROM audit_events WHERE agent_id = ? AND seq IS NOT NULL")
    .bind(scope.agentId)
    .first<{ minSeq: number | null }>();
  // The highest seq only the archive holds (every archived seq, when D1 holds none).
  const below = (kept?.minSeq ?? Number.MAX_SAFE_INTEGER) - 1;
  const row = await scope.db
    .prepare(
      `SELECT COUNT(*) AS objects, COALESCE(SUM(MIN(last_seq, ?) - first_seq + 1), 0) AS events FROM audit_archives
       WHERE agent_id = ? AND deleted_at IS NULL AND first_seq <= ? AND first_at <= ? AND last_at >= ?`,
    )
    .bind(below, scope.agentId, below, scope.to, scope.from)
    .first<{ objects: number; events: number }>();
  return { events: row?.events ?? 0, objects: row?.objects ?? 0 };
}
