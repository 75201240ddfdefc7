/**
 * Pattern packs: an agent's active patterns as JSON, to share with another agent (the vision's
 * phase 4). A pack carries each pattern's canonical answer (the business's own words) and its
 * signature (hashed word pairs of what it says), never a customer's request: nothing a source
 * agent's customers wrote leaves in it. Imported patterns wait as `imported` until the
 * receiving agent's own traffic validates them (a detection run finds a group of its own answers
 * saying the same thing and proves the matcher on them); only then do they go to approval.
 */
import { z } from "zod";
import type { PendingAuditEvent } from "../core/audit";
import { MAX_LEARNABLE_CHARS } from "../core/messages";
import type { PatternStore } from "./lifecycle";
import { maskPiiFailClosed } from "../privacy/pii";
import { AGREEMENT, MIN_FACTS, overlap } from "./signature";

export const PACK_FORMAT = "foreman.patterns/1";
/** Patterns one pack holds at most. */
export const MAX_PACK_PATTERNS = 500;

export const packSchema = z.strictObject({
  format: z.literal(PACK_FORMAT, { error: `format must be "${PACK_FORMAT}"` }),
  exportedAt: z.string().max(40),
  patterns: z
    .array(
      z.strictObject({
        canonicalAnswer: z.string().min(1, "must not be empty").max(MAX_LEARNABLE_CHARS, `must be at most ${MAX_LEARNABLE_CHARS} characters`),
        signature: z
          .array(z.number().int().min(0).max(0xffff_ffff))
          .min(MIN_FACTS, `must hold at least ${MIN_FACTS} facts`)
          .max(2_000, "must hold at most 2000 facts"),
        examples: z.number().int().min(0),
      })
      .refine((p) => overlap(p.signature, p.canonicalAnswer) >= AGREEMENT, {
        path: ["canonicalAnswer"],
        error: "does not say what its signature says: export the pack again, or leave this pattern out",
      }),
    )
    .min(1, "must hold at least one pattern")
    .max(MAX_PACK_PATTERNS, `must hold at most ${MAX_PACK_PATTERNS} patterns`),
});

export type PatternPack = z.infer<typeof packSchema>;

/** The agent's active patterns as a pack. */
export async function exportPack(db: D1Database, agentId: string, now: number): Promise<PatternPack> {
  const { results } = await db
    .prepare("SELECT canonical_answer, signature, examples FROM patterns WHERE agent_id = ? AND status = 'active' AND signature IS NOT NULL ORDER BY examples DESC LIMIT ?")
    .bind(agentId, MAX_PACK_PATTERNS)
    .all<{ canonical_answer: string; signature: string; examples: number }>();
  return {
    format: PACK_FORMAT,
    exportedAt: new Date(now).toISOString(),
    patterns: results
      .map((r) => ({ canonicalAnswer: r.canonical_answer, signature: JSON.parse(r.signature) as number[], examples: r.examples }))
      .filter((p) => p.signature.length >= MIN_FACTS),
  };
}

/**
 * Adds a pack's patterns to an agent as `imported`; one whose canonical answer the agent already
 * has is skipped. Audited as `pattern.imported`.
 */
export async function importPack(store: PatternStore, agentId: string, pack: PatternPack, actor: string, now: number): Promise<{ imported: string[]; skipped: number }> {
  const { results } = await store.db.prepare("SELECT canonical_answer FROM patterns WHERE agent_id = ?").bind(agentId).all<{ canonical_answer: string }>();
  const have = new Set(results.map((r) => r.canonical_answer));
  // Masked like every answer pattern learning keeps: a pack is text from outside.
  const masked = await Promise.all(pack.patterns.map(async (p) => ({ ...p, canonicalAnswer: (await maskPiiFailClosed(p.canonicalAnswer)).text })));
  const fresh = masked.filter((p) => !have.has(p.canonicalAnswer) && (have.add(p.canonicalAnswer), true));
  const ids = fresh.map(() => `pat_${crypto.randomUUID()}`);
  if (fresh.length > 0) {
    await store.db.batch(
      fresh.map((p, i) =>
        store.db
          .prepare(
            "INSERT INTO patterns (id, agent_id, status, canonical_answer, member_ids, examples, agreement, detected_at, window_from, window_to, signature, changed_at, changed_by, reason) VALUES (?, ?, 'imported', ?, '[]', 0, 0, ?, ?, ?, ?, ?, ?, ?)",
          )
          .bind(ids[i], agentId, p.canonicalAnswer, now, now, now, JSON.stringify(p.signature), now, actor, `imported from a pack exported ${pack.exportedAt}`),
      ),
    );
  }
  const event: PendingAuditEvent = {
    level: "minimal",
    event: { at: now, actor, action: "pattern.imported", resource: agentId, decision: "recorded", details: { imported: ids.length, skipped: pack.patterns.length - ids.length, exportedAt: pack.exportedAt } },
  };
  await store.changed({ version: 0, events: [event] });
  return { imported: ids, skipped: pack.patterns.length - ids.length };
}
