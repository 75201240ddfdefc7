/**
 * The cheap tiers before the model: static rules, the exact cache (KV) and the similarity
 * cache (embeddings + a per-agent vector index), and what may be stored in them.
 *
 * Every key and vector belongs to one agent and one config version (every PUT bumps it), to
 * the trust tier the answer was made at (other tools may give another answer) and to the channel. Only messages
 * that open a conversation and do not read as follow-ups read or write the shared entries.
 */
import { mayContainPii } from "../privacy/pii";
import { sha256Hex } from "../core/crypto";
import { type Logger, silentLogger } from "../core/logger";
import type { AgentView } from "../core/agent";
import type { TierAnswer, TierContext, TierHandler } from "../core/tier";
import { tierKeyAt } from "../trust/permissions";
import { dot } from "../vectors/embedder";
import type { SimilarityBackend } from "../vectors/similarity";
import type { VectorEntry } from "../vectors/vector-index";
import { isFollowUp, matchCacheRulePattern, normalizeText, opposesMeaning } from "./text";

/** Seconds a model answer stays cached when the config has no `{ similarity, ttl }` rule. */
export const DEFAULT_CACHE_TTL_SECONDS = 3600;
/** KV refuses shorter expirations. */
const KV_MIN_TTL_SECONDS = 60;
/** Nearest entries checked against the guard before the similarity tier gives up. */
const SIMILAR_CANDIDATES = 5;
/** Answers longer than this are not put in vector metadata (Vectorize allows 10 KiB). */
const MAX_SIMILAR_ANSWER_BYTES = 8 * 1024;

interface CachedAnswer {
  text: string;
  at: number;
}

type PatternRule = { pattern: string; ttl: number; response: string };
type SimilarityRule = { similarity: number; ttl: number; confirmations: number };

/**
 * What a similarity entry carries: the normalized question, its scope, the answer, when it
 * expires, how many model answers to other phrasings agreed with it, and whether one disagreed.
 */
interface SimilarEntry {
  q: string;
  s: string;
  a: string;
  e: number;
  n: number;
  x: number;
}

function readEntry(metadata: Record<string, unknown>): SimilarEntry | null {
  const { q, s, a, e, n, x } = metadata;
  if (typeof q !== "string" || typeof s !== "string" || typeof a !== "string" || typeof e !== "number") return null;
  return { q, s, a, e, n: typeof n === "number" ? n : 0, x: typeof x === "number" ? x : 0 };
}

/** The nearest entry the model's answer must confirm before it answers paraphrases. */
interface PendingEntry {
  id: string;
  entry: SimilarEntry;
}

/** What the similarity tier learned of a message: its one embedding, and the entry it must confirm. */
interface SimilarMemo {
  question: string;
  vector: Float32Array | null;
  pending: PendingEntry | null;
}

function patternRules(agent: AgentView): PatternRule[] {
  return agent.record.config.optimization.cacheRules.filter((r): r is PatternRule => "pattern" in r);
}

function similarityRule(agent: AgentView): SimilarityRule | undefined {
  return agent.record.config.optimization.cacheRules.find((r): r is SimilarityRule => "similarity" in r);
}

/**
 * The part of a cache key that scopes an entry: agent, config version, trust tier, and the
 * channel (an SMS answer is asked to be short, a Slack one may be long).
 */
function scope(agent: AgentView, channel: string): string {
  const tier = tierKeyAt(agent.trustLevel, agent.record.config.trust.permissions) ?? "none";
  return `${agent.record.agentId}:${agent.record.version}:${tier}:${channel}`;
}

/** Each message's exact-cache key, computed once whichever tier asks first. */
const exactKeys = new WeakMap<TierContext, Promise<string>>();

function exactKey(ctx: TierContext): Promise<string> {
  let key = exactKeys.get(ctx);
  if (!key) {
    key = sha256Hex(normalizeText(ctx.message.text)).then((hash) => `x:${scope(ctx.agent, ctx.message.channel)}:${hash}`);
    exactKeys.set(ctx, key);
  }
  return key;
}

function hit(tier: "rule" | "cache" | "similar", text: string): TierAnswer {
  return { tier, text, costMicros: 0, denials: [], failed: false };
}

/**
 * A cache that fails (KV, the embedder, the index) passes the message on instead of failing
 * it: the model answers, and nothing is counted against the agent.
 */
function resilient(name: string, tier: TierHandler, logger: Logger): TierHandler {
  return {
    async answer(ctx) {
      try {
        return await tier.answer(ctx);
      } catch (err) {
        logger.warn("cache_tier_failed", { tier: name, agentId: ctx.agent.record.agentId, error: String(err) });
        return null;
      }
    },
    ...(tier.afterAnswer ? { afterAnswer: tier.afterAnswer } : {}),
  };
}

/** Static rules: a built-in intent or a regular expression answers with its response, at $0. */
export function ruleTier(kv: KVNamespace, logger: Logger = silentLogger): TierHandler {
  const matched = new WeakMap<TierContext, PatternRule>();
  return resilient("rule", {
    async answer(ctx) {
      const rule = patternRules(ctx.agent).find((r) => matchCacheRulePattern(ctx.message.text, r.pattern));
      if (!rule) return null;
      matched.set(ctx, rule);
      return hit("rule", rule.response);
    },
    // After the answer is sent: the rule's ttl is how long its answer to this exact text stays in the exact cache.
    async afterAnswer(ctx, answered) {
      const rule = matched.get(ctx);
      if (!rule || answered.tier !== "rule") return false;
      await kv.put(await exactKey(ctx), JSON.stringify({ text: rule.response, at: ctx.message.receivedAt } satisfies CachedAnswer), {
        expirationTtl: Math.max(KV_MIN_TTL_SECONDS, rule.ttl),
      });
      return true;
    },
  }, logger);
}

/**
 * Only a message that opens a conversation, and does not read as a follow-up, shares cache
 * entries or teaches patterns: later in a conversation the answer may rest on earlier turns
 * ("what's my name?").
 */
export function opensConversation(ctx: TierContext): boolean {
  return ctx.history.length === 0 && !ctx.digest && !ctx.message.attachments?.length && !isFollowUp(ctx.message.text);
}

function cacheable(ctx: TierContext): boolean {
  return ctx.agent.record.config.optimization.enableCache && opensConversation(ctx);
}

/** The exact cache: the same normalized question, same agent, version and trust tier. */
export function exactTier(kv: KVNamespace, logger: Logger = silentLogger): TierHandler {
  return resilient("exact", {
    async answer(ctx) {
      if (!cacheable(ctx)) return null;
      const cached = await kv.get<CachedAnswer>(await exactKey(ctx), "json");
      return cached ? hit("cache", cached.text) : null;
    },
    async afterAnswer(ctx, answered) {
      if (!mayReuse(ctx, answered)) return false;
      const ttl = cacheTtlSeconds(ctx.agent);
      await kv.put(await exactKey(ctx), JSON.stringify({ text: answered.text, at: ctx.message.receivedAt } satisfies CachedAnswer), { expirationTtl: ttl });
      return true;
    },
  }, logger);
}

/** How long a model answer stays in the caches: the similarity rule's ttl, or the default. */
function cacheTtlSeconds(agent: AgentView): number {
  return Math.max(KV_MIN_TTL_SECONDS, similarityRule(agent)?.ttl ?? DEFAULT_CACHE_TTL_SECONDS);
}

/**
 * The similarity cache: the nearest earlier question of this agent, version and tier with a
 * score at or above the rule's `similarity`, unless the guard finds the two may need different
 * answers (enable vs disable, different amounts, a negation on one side).
 *
 * An entry answers paraphrases only once `confirmations` model answers to other phrasings agreed
 * with it; until then the message goes on to the model and the entry waits in this tier's memo
 * for `afterAnswer` to compare. A region where two model answers disagreed (a contested entry
 * within the threshold) never answers: the question is ambiguous for this agent. The message is
 * embedded once: the memo keeps its vector for storing the answer.
 */
export function similarTier(backend: SimilarityBackend, logger: Logger = silentLogger): TierHandler {
  const memos = new WeakMap<TierContext, SimilarMemo>();
  return resilient("similar", {
    async answer(ctx) {
      const rule = similarityRule(ctx.agent);
      if (!rule || !cacheable(ctx)) return null;
      const question = normalizeText(ctx.message.text);
      const [vector] = await backend.embedder.embed([question]);
      const memo: SimilarMemo = { question, vector: vector ?? null, pending: null };
      memos.set(ctx, memo);
      if (!vector) return null;
      const matches = await backend.index.query(ctx.agent.record.agentId, vector, { topK: SIMILAR_CANDIDATES, now: ctx.message.receivedAt });
      const myScope = scope(ctx.agent, ctx.message.channel);
      let nearest: PendingEntry | null = null;
      for (const m of matches) {
        if (m.score < rule.similarity) break;
        const entry = readEntry(m.metadata);
        if (!entry || entry.s !== myScope || opposesMeaning(question, entry.q) !== null) continue;
        if (entry.x > 0) return null;
        nearest ??= { id: m.id, entry };
      }
      if (!nearest) return null;
      if (nearest.entry.n >= rule.confirmations) return hit("similar", nearest.entry.a);
      memo.pending = nearest;
      return null;
    },
    async afterAnswer(ctx, answered) {
      const rule = similarityRule(ctx.agent);
      if (!rule || !mayReuse(ctx, answered)) return false;
      if (new TextEncoder().encode(answered.text).byteLength > MAX_SIMILAR_ANSWER_BYTES) return false;
      const ttl = cacheTtlSeconds(ctx.agent);
      const question = normalizeText(ctx.message.text);
      const memo = memos.get(ctx) ?? { question, vector: null, pending: null };
      await rememberSimilar(backend, ctx, rule, memo, answered.text, ctx.message.receivedAt + ttl * 1000);
      return true;
    },
  }, logger);
}

/** Two model answers agree when they are the same text or score at the threshold without opposing. */
async function answersAgree(backend: SimilarityBackend, a: string, b: string, threshold: number): Promise<boolean> {
  const left = normalizeText(a);
  const right = normalizeText(b);
  if (left === right) return true;
  if (opposesMeaning(left, right) !== null) return false;
  const [va, vb] = await backend.embedder.embed([left, right]);
  return va !== undefined && vb !== undefined && dot(va, vb) >= threshold;
}

/**
 * Whether a model answer may serve other customers (from a cache, or as a learned pattern): the
 * model made it without failing, no tool changed anything, no tool call was refused or
 * escalated, neither question nor answer carries PII, and the question opens its conversation.
 */
export function shareableAnswer(ctx: TierContext, answered: TierAnswer): boolean {
  let verdict = reuseVerdicts.get(ctx);
  if (verdict === undefined) {
    verdict =
      answered.tier === "intelligent" &&
      !answered.failed &&
      !answered.sideEffects &&
      answered.reusable === true &&
      answered.denials.length === 0 &&
      (answered.escalations?.length ?? 0) === 0 &&
      opensConversation(ctx) &&
      !mayContainPii(ctx.message.text) &&
      !mayContainPii(answered.text);
    reuseVerdicts.set(ctx, verdict);
  }
  return verdict;
}

function mayReuse(ctx: TierContext, answered: TierAnswer): boolean {
  return ctx.agent.record.config.optimization.enableCache && shareableAnswer(ctx, answered);
}

const reuseVerdicts = new WeakMap<TierContext, boolean>();

/**
 * Adds the question to the similarity index. When it met an unconfirmed entry, the two answers
 * are compared first: agreement counts a confirmation on the entry (and the new question joins
 * it as confirmed), disagreement marks both contested, so neither ever answers a paraphrase.
 */
async function rememberSimilar(backend: SimilarityBackend, ctx: TierContext, rule: SimilarityRule, memo: SimilarMemo, answer: string, expiresAt: number): Promise<void> {
  const { question, pending } = memo;
  const myScope = scope(ctx.agent, ctx.message.channel);
  let confirmations = 0;
  let contested = 0;
  const writes: VectorEntry[] = [];
  if (pending) {
    const agree = await answersAgree(backend, pending.entry.a, answer, rule.similarity);
    const updated: SimilarEntry = agree ? { ...pending.entry, n: pending.entry.n + 1 } : { ...pending.entry, x: 1 };
    const [pendingVector] = await backend.embedder.embed([pending.entry.q]);
    if (pendingVector) writes.push({ id: pending.id, vector: pendingVector, expiresAt: updated.e, metadata: { ...updated } });
    confirmations = updated.n;
    contested = updated.x;
  }
  const vector = memo.vector ?? (await backend.embedder.embed([question]))[0];
  if (vector) {
    const entry: SimilarEntry = { q: question, s: myScope, a: answer, e: expiresAt, n: confirmations, x: contested };
    writes.push({ id: (await sha256Hex(`${myScope}:${question}`)).slice(0, 32), vector, expiresAt, metadata: { ...entry } });
  }
  if (writes.length > 0) await backend.index.upsert(ctx.agent.record.agentId, writes);
}
