/**
 * Learnable traffic for pattern-learning tests: twelve request types, each with its own facts,
 * stored the way production stores them (through the learning queue's consumer), and helpers to
 * wait for what the queue does in the background.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { wordFacts } from "../../src/dev/fake-wording";
import worker, { QUEUES } from "../../src/index";
import { admin, createAgent } from "./agents";

export const TOPICS = ["card delivery", "pin change", "bank transfer", "refund", "exchange rate", "top up", "lost phone", "cash withdrawal", "account closing", "direct debit", "fraud report", "statement"];
export const FACTS = TOPICS.map(
  (topic, i) => `For ${topic}, rule ${String.fromCharCode(65 + i)}${100 + i * 7} applies: it takes ${i + 2} working days and the ${["blue", "green", "red", "gold"][i % 4]} page of the app shows its status.`,
);
export const PER_TOPIC = 15;

/** The three ways the stored traffic asks about a topic. */
export const askings = (topic: string) => [`What about ${topic}?`, `Question on ${topic}`, `help with ${topic} please`];

/** Stores `perTopic` learnable model answers per topic for an agent (created with `config` unless given). */
export async function storeTraffic(agentId: string, perTopic = PER_TOPIC, topics = TOPICS, facts = FACTS): Promise<void> {
  const now = Date.now();
  const bodies = topics.flatMap((topic, t) =>
    Array.from({ length: perTopic }, (_, i) => {
      const question = askings(topic)[i % 3]!;
      return {
        type: "interaction",
        interaction: {
          id: crypto.randomUUID(), agentId, channel: "http", deliveryId: `d-${t}-${i}`, conversationHash: `h-${t}-${i}`, tier: "intelligent", model: "claude-sonnet-4-5",
          inputTokens: 100, outputTokens: 40, cacheWriteTokens: 0, cacheReadTokens: 0, costMicros: 900, steps: 1, toolCalls: 0, deniedTools: [], outcome: "success",
          createdAt: now - (t * perTopic + i) * 1000, latencyMs: 30, urgency: "normal", position: 0, learnable: true, question, answer: wordFacts(facts[t]!, question, i * 7 + t),
        },
      };
    }),
  );
  const batch = createMessageBatch(QUEUES.learning, bodies.map((body, i) => ({ id: `m-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  expect((await getQueueResult(batch, ctx)).retryMessages).toHaveLength(0);
}

/** An agent with learning on and `perTopic` learnable answers per topic already stored. */
export async function trafficAgent(perTopic = PER_TOPIC, config: Record<string, unknown> = {}): Promise<string> {
  const learning = (config.learning ?? {}) as Record<string, unknown>;
  const agentId = await createAgent({ ...config, learning: { enabled: true, patterns: { minOccurrences: 10 }, ...learning } });
  await storeTraffic(agentId, perTopic);
  return agentId;
}

export interface PatternJson {
  id: string;
  status: string;
  canonicalAnswer: string;
  examples: number;
  agreement: number;
  report: { valid: boolean; threshold: number | null; target: number; errorBound: number; coverage: number; heldOut: number; facts?: number } | null;
  changed: { at: string; by: string | null; reason: string | null } | null;
  rollout?: { served: number; shadow: number; disagreed: number; negativeFeedback: number };
}

export interface RunJson {
  learnable: number;
  candidates: PatternJson[];
  known: number;
  unassigned: number;
}

export async function learnRun(agentId: string): Promise<RunJson> {
  const res = await admin(`/v1/agents/${agentId}/learn/run`, { method: "POST" });
  if (res.status !== 200) throw new Error(`learn/run failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as RunJson;
}

export async function getPattern(agentId: string, patternId: string): Promise<PatternJson> {
  return (await (await admin(`/v1/agents/${agentId}/patterns/${patternId}`)).json()) as PatternJson;
}

/** Polls a pattern until `check` holds (the learning queue decides in the background). */
export async function waitForPattern(agentId: string, patternId: string, check: (p: PatternJson) => boolean, what: string): Promise<PatternJson> {
  let last: PatternJson | undefined;
  for (let i = 0; i < 200; i++) {
    last = await getPattern(agentId, patternId);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`pattern ${patternId} never became ${what}: ${JSON.stringify(last)}`);
}

/** The pattern of a topic among a run's candidates (by its facts in the canonical answer). */
export function patternOf(run: RunJson, topic: string): PatternJson {
  const facts = FACTS[TOPICS.indexOf(topic)]!;
  const found = run.candidates.find((c) => c.canonicalAnswer.includes(facts));
  if (!found) throw new Error(`no pattern for ${topic}`);
  return found;
}
