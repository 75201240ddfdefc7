/**
 * The `pattern` tier: answers a message with a learned pattern's canonical answer when the
 * agent's matcher places it in a pattern's class with a proven confidence, inside the
 * out-of-distribution gate.
 *
 * Only where the caches may answer: learning on, a message that opens its conversation (no
 * earlier turns, no follow-up wording, no attachment), no PII in it; a critical message never
 * reaches this tier. A `canary` pattern answers `deployment.rolloutPercentage` % of the
 * conversations it matches (chosen by a stable hash of the conversation), an `active` one all
 * but `ACTIVE_SHADOW_SHARE`, a `shadow` one or one waiting for approval (`pending`) none. Where the pattern matched but the model
 * answered, the model's answer is compared with the pattern's signature (`afterAnswer`), and
 * the verdict goes on the `learning` queue as evidence for the canary; so does each answer the
 * pattern gave, so that feedback on it finds it. No text leaves with either.
 *
 * The snapshot (manifest and matcher) is read from KV once per version and kept in the isolate
 * (the most recently used `MAX_SNAPSHOTS` agents); the agent's view says which version is
 * current, so a change takes effect with the next message.
 */
import { fnv1a } from "./features.ts";
import { match } from "./matcher.ts";
import { decodeMatcher, type ServedMatcher } from "./snapshot.ts";
import { agrees } from "./signature.ts";
import { manifestKey, matcherKey, type ServingClass, type ServingManifest } from "./lifecycle.ts";
import { type Logger, silentLogger } from "../core/logger";
import type { LearningMessage } from "../core/messages";
import type { TierAnswer, TierContext, TierHandler } from "../core/tier";
import { mayContainPii } from "../privacy/pii";
import { opensConversation, shareableAnswer } from "../cost/cache-tiers";

/** Share of an active pattern's matches the model still answers, to catch drift. */
export const ACTIVE_SHADOW_SHARE = 0.02;

interface Loaded {
  manifest: ServingManifest;
  matcher: ServedMatcher | null;
}

/**
 * Snapshots in this isolate: the newest version seen per agent, the most recently used
 * `MAX_SNAPSHOTS` agents (a decoded matcher of 77 patterns takes about 5 MB of the isolate's 128).
 */
const snapshots = new Map<string, { version: number; loaded: Promise<Loaded | null> }>();
export const MAX_SNAPSHOTS = 8;

interface Memo {
  pattern: ServingClass;
  served: boolean;
}

/** Whether this conversation is in the canary's share (stable per conversation). */
export function inRollout(agentId: string, conversationKey: string, percentage: number): boolean {
  return fnv1a(`${agentId}\u0000${conversationKey}`) % 10_000 < percentage * 100;
}

export function patternTier(deps: { kv: KVNamespace; queue: Queue<LearningMessage>; logger?: Logger }): TierHandler {
  const logger = deps.logger ?? silentLogger;
  const memos = new WeakMap<TierContext, Memo>();

  async function load(agentId: string, version: number): Promise<Loaded | null> {
    const cached = snapshots.get(agentId);
    snapshots.delete(agentId);
    if (cached?.version === version) {
      snapshots.set(agentId, cached);
      return cached.loaded;
    }
    const loaded = (async () => {
      const manifest = await deps.kv.get<ServingManifest>(manifestKey(agentId, version), "json");
      if (!manifest) return null;
      if (!manifest.runId || !manifest.classes.some(Boolean)) return { manifest, matcher: null };
      const bytes = await deps.kv.get(matcherKey(agentId, manifest.runId), "arrayBuffer");
      // Not there yet (KV propagates in seconds): tried again with the next message.
      return bytes ? { manifest, matcher: decodeMatcher(bytes) } : null;
    })();
    snapshots.set(agentId, { version, loaded });
    for (const oldest of snapshots.keys()) {
      if (snapshots.size <= MAX_SNAPSHOTS) break;
      snapshots.delete(oldest);
    }
    // A failed or empty load is tried again with the next message.
    const forget = () => {
      if (snapshots.get(agentId)?.loaded === loaded) snapshots.delete(agentId);
    };
    loaded.then((l) => (l ? undefined : forget()), forget);
    return loaded;
  }

  return {
    async answer(ctx) {
      const { agent, message } = ctx;
      const { learning } = agent.record.config;
      if (!learning.enabled || !agent.patterns || !opensConversation(ctx) || ctx.urgency?.urgency === "critical" || mayContainPii(message.text)) return null;
      let loaded: Loaded | null;
      try {
        loaded = await load(agent.record.agentId, agent.patterns);
      } catch (err) {
        logger.warn("pattern_snapshot_unreadable", { agentId: agent.record.agentId, version: agent.patterns, error: String(err) });
        return null;
      }
      if (!loaded?.matcher) return null;
      const found = match(loaded.matcher, message.text);
      const pattern = found.answers ? loaded.manifest.classes[found.label] : null;
      if (!pattern) return null;
      const serves =
        pattern.status === "active"
          ? fnv1a(message.deliveryId) % 10_000 >= ACTIVE_SHADOW_SHARE * 10_000
          : pattern.status === "canary" && inRollout(agent.record.agentId, message.conversationKey, learning.deployment.rolloutPercentage);
      memos.set(ctx, { pattern, served: serves });
      if (!serves) return null;
      return { tier: "pattern", text: pattern.answer, costMicros: 0, denials: [], failed: false };
    },
    async afterAnswer(ctx, answered: TierAnswer) {
      const memo = memos.get(ctx);
      if (!memo) return false;
      const base = { agentId: ctx.agent.record.agentId, interactionId: ctx.interactionId, patternId: memo.pattern.id, at: ctx.message.receivedAt };
      if (memo.served && answered.tier === "pattern") {
        await deps.queue.send({ type: "pattern_sample", sample: { ...base, kind: "served", error: false } });
        return true;
      }
      // Judged only on an answer the model made in full that others could have been given.
      if (memo.served || !shareableAnswer(ctx, answered)) return false;
      await deps.queue.send({ type: "pattern_sample", sample: { ...base, kind: "shadow", error: !agrees(memo.pattern.signature, answered.text) } });
      return true;
    },
  };
}
