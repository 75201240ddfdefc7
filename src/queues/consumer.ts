import { drizzle } from "drizzle-orm/d1";
import * as schema from "../db/schema";
import { type Clock, systemClock } from "../core/clock";
import { type Logger, silentLogger } from "../core/logger";
import { learningMessageSchema, workMessageSchema } from "../core/messages";
import { decide, recordSamples, type Sample, servedBy } from "../learn/canary";
import { republishIfBehind } from "../learn/lifecycle";
import { patternStore } from "../pipeline/services";
import { agentObject } from "../state/objects";
import { deadLetteredEvent, deadLetterRow } from "./dead-letters";
import { agentDbs, shards, type ShardBindings } from "../db/shards";

type Parsed = ReturnType<typeof learningMessageSchema.parse>;

/** Deliveries of feedback that waits for its interaction or the sample saying a pattern answered it (30 s apart). */
const FEEDBACK_ATTEMPTS = 4;

/**
 * The `learning` queue: finished interactions into D1, and evidence on learned patterns in
 * rollout. Inserts ignore ids already stored, so a redelivered batch does not double-count. A
 * malformed message is acked and logged: retrying cannot fix it. A message sent before
 * `latencyMs` and `urgency` existed (still in the queue during a deploy) parses with their
 * defaults, 0 and `normal`, the same as the columns'.
 *
 * Evidence: each `pattern_sample` is stored, and negative feedback (`outcome: error`) on an
 * answer a pattern gave becomes one against that pattern; then every pattern with new evidence
 * has its rollout decided (`decide`: promotion, rollback with an alert). A failed decision is
 * logged; the evidence is kept and the next sample decides again.
 */
export async function consumeLearning(
  batch: MessageBatch<unknown>,
  env: ShardBindings & Pick<Env, "CACHE" | "AGENT_STATE">,
  logger: Logger = silentLogger,
  clock: Clock = systemClock,
): Promise<void> {
  const dbOf = agentDbs(env);
  const evidence: Array<{ msg: Message<unknown>; body: Extract<Parsed, { type: "pattern_sample" | "feedback" }> }> = [];
  for (const msg of batch.messages) {
    const parsed = learningMessageSchema.safeParse(msg.body);
    if (!parsed.success) {
      logger.error("learning_message_invalid", { id: msg.id, issues: parsed.error.issues.length });
      msg.ack();
      continue;
    }
    if (parsed.data.type !== "interaction") {
      evidence.push({ msg, body: parsed.data });
      continue;
    }
    try {
      const db = drizzle(await dbOf(parsed.data.interaction.agentId), { schema });
      await db.insert(schema.interactions).values(parsed.data.interaction).onConflictDoNothing();
      msg.ack();
    } catch (err) {
      logger.error("learning_insert_failed", { id: msg.id, error: String(err) });
      msg.retry();
    }
  }
  if (evidence.length > 0) await consumeEvidence(env, dbOf, evidence, logger, clock);
}

async function consumeEvidence(
  env: ShardBindings & Pick<Env, "CACHE" | "AGENT_STATE">,
  dbOf: (agentId: string) => Promise<D1Database>,
  evidence: Array<{ msg: Message<unknown>; body: Extract<Parsed, { type: "pattern_sample" | "feedback" }> }>,
  logger: Logger,
  clock: Clock,
): Promise<void> {
  let touched: Set<string>;
  const samples: Sample[] = [];
  const later: Array<Message<unknown>> = [];
  const done: Array<Message<unknown>> = [];
  try {
    // Answers a pattern gave in this very batch, for feedback that arrives with them.
    const key = (agentId: string, interactionId: string) => `${agentId}\u0000${interactionId}`;
    const served = new Map<string, string>();
    for (const { body } of evidence) if (body.type === "pattern_sample" && body.sample.kind === "served") served.set(key(body.sample.agentId, body.sample.interactionId), body.sample.patternId);
    for (const { msg, body } of evidence) {
      if (body.type === "pattern_sample") samples.push(body.sample);
      else if (body.feedback.outcome === "error") {
        const { agentId, interactionId, at } = body.feedback;
        const inBatch = served.get(key(agentId, interactionId));
        const found = inBatch ? { tier: "pattern", patternId: inBatch } : await servedBy(await dbOf(agentId), agentId, interactionId);
        if (found?.patternId) samples.push({ agentId, interactionId, patternId: found.patternId, kind: "feedback", error: true, at });
        else if ((found === null || found.tier === "pattern") && msg.attempts < FEEDBACK_ATTEMPTS) {
          // The interaction, or the pattern's sample, may still be on its way: look again shortly.
          later.push(msg);
          continue;
        }
      }
      done.push(msg);
    }
    // Each agent's samples go to its own shard.
    const byShard = new Map<D1Database, Sample[]>();
    for (const sample of samples) {
      const db = await dbOf(sample.agentId);
      const group = byShard.get(db);
      if (group) group.push(sample);
      else byShard.set(db, [sample]);
    }
    touched = new Set();
    for (const [db, group] of byShard) for (const id of await recordSamples(db, group)) touched.add(id);
  } catch (err) {
    logger.error("pattern_evidence_failed", { messages: evidence.length, error: String(err) });
    for (const { msg } of evidence) msg.retry();
    return;
  }
  for (const msg of done) msg.ack();
  for (const msg of later) msg.retry({ delaySeconds: 30 });
  const byAgent = new Map<string, Set<string>>();
  for (const s of samples) if (touched.has(s.patternId)) byAgent.set(s.agentId, (byAgent.get(s.agentId) ?? new Set()).add(s.patternId));
  for (const [agentId, patternIds] of byAgent) {
    try {
      const admitted = await agentObject(env, agentId).admit();
      if (!admitted) continue;
      const store = await patternStore(env, agentId);
      await republishIfBehind(store, agentId, admitted.view.patterns ?? 0);
      const { deployment, patterns } = admitted.view.record.config.learning;
      const criteria = { ...deployment.successCriteria, confidenceThreshold: patterns.confidenceThreshold };
      const decided = await decide(store, agentId, patternIds, criteria, clock.now());
      for (const d of decided) logger.info("pattern_decided", { agentId, ...d });
    } catch (err) {
      logger.error("pattern_decision_failed", { agentId, error: String(err) });
    }
  }
}

/**
 * The dead-letter queue: every message that ran out of retries is kept in D1 for the operator,
 * its customer text masked and its whole message sealed or kept briefly for a replay
 * (`dead-letters.ts`); a channel message's dead-lettering is audited in its agent's trail. Listed
 * and replayed by `GET/POST /v1/agents/:agentId/dead-letters…`.
 */
export async function consumeDeadLetters(
  batch: MessageBatch<unknown>,
  env: ShardBindings & Pick<Env, "AGENT_STATE"> & { ENCRYPTION_KEYS?: string },
  logger: Logger = silentLogger,
  clock: Clock = systemClock,
): Promise<void> {
  const dbOf = agentDbs(env);
  for (const msg of batch.messages) {
    try {
      const row = await deadLetterRow(msg, batch.queue, env, logger);
      // A dead letter that names no agent is kept with the account-wide tables.
      const db = drizzle(row.agentId ? await dbOf(row.agentId) : shards(env).primary, { schema });
      const inserted = await db.insert(schema.deadLetters).values(row).onConflictDoNothing();
      const work = workMessageSchema.safeParse(msg.body);
      if ((inserted.meta.changes ?? 0) > 0 && work.success && row.agentId) {
        await agentObject(env, row.agentId)
          .recordEvents([deadLetteredEvent(row, work.data, clock.now())])
          .catch((err: unknown) => logger.error("dead_letter_audit_failed", { id: msg.id, error: String(err) }));
      }
      msg.ack();
    } catch (err) {
      logger.error("dead_letter_insert_failed", { id: msg.id, error: String(err) });
      msg.retry();
    }
  }
}
