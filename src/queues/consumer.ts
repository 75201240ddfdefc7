import { drizzle } from "drizzle-orm/d1";
import * as schema from "../db/schema";
import { type Logger, silentLogger } from "../core/logger";
import { learningMessageSchema } from "../core/messages";

/**
 * The `learning` queue: finished interactions into D1. Inserts ignore ids already stored,
 * so a redelivered batch does not double-count. A malformed message is acked and logged:
 * retrying cannot fix it. A message sent before `latencyMs` and `urgency` existed (still in the
 * queue during a deploy) parses with their defaults, 0 and `normal`, the same as the columns'.
 */
export async function consumeLearning(batch: MessageBatch<unknown>, env: Pick<Env, "DB">, logger: Logger = silentLogger): Promise<void> {
  const db = drizzle(env.DB, { schema });
  for (const msg of batch.messages) {
    const parsed = learningMessageSchema.safeParse(msg.body);
    if (!parsed.success) {
      logger.error("learning_message_invalid", { id: msg.id, issues: parsed.error.issues.length });
      msg.ack();
      continue;
    }
    try {
      await db.insert(schema.interactions).values(parsed.data.interaction).onConflictDoNothing();
      msg.ack();
    } catch (err) {
      logger.error("learning_insert_failed", { id: msg.id, error: String(err) });
      msg.retry();
    }
  }
}

/** The dead-letter queue: every message that ran out of retries is kept in D1 for the operator. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Pick<Env, "DB">, logger: Logger = silentLogger): Promise<void> {
  const db = drizzle(env.DB, { schema });
  for (const msg of batch.messages) {
    try {
      await db
        .insert(schema.deadLetters)
        .values({
          id: msg.id,
          queue: batch.queue,
          body: JSON.stringify(msg.body),
          attempts: msg.attempts,
          receivedAt: msg.timestamp.getTime(),
        })
        .onConflictDoNothing();
      msg.ack();
    } catch (err) {
      logger.error("dead_letter_insert_failed", { id: msg.id, error: String(err) });
      msg.retry();
    }
  }
}
