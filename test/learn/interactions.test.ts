/**
 * The interaction store pattern learning reads: every answered message reaches D1 through the
 * learning queue; a learnable one carries its question and answer, masked.
 */
import { describe, expect, it } from "vitest";
import { createAgent, sendHttp, settled } from "../support/agents";
import { scriptModel } from "../support/model";
import { shardDb } from "../support/shards";

interface Row {
  tier: string;
  position: number;
  learnable: number;
  question: string | null;
  answer: string | null;
}

/** The agent's interactions once the learning queue has stored `count` of them, oldest first. */
async function stored(agentId: string, count: number): Promise<Row[]> {
  for (let i = 0; i < 200; i++) {
    const { results } = await (await shardDb(agentId)).prepare("SELECT tier, position, learnable, question, answer FROM interactions WHERE agent_id = ? ORDER BY created_at, position")
      .bind(agentId)
      .all<Row>();
    if (results.length >= count) return results;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the learning queue never stored ${count} interactions of ${agentId}`);
}

const LEARNING = { learning: { enabled: true }, messageHandling: { maintainContext: true } };
const GREETING = { pattern: "greeting", ttl: 600, response: "Hello! How can I help?" };

describe("interactions for pattern learning", () => {
  it("keeps the question and answer of a model answer that opens its conversation", async () => {
    const agentId = await createAgent(LEARNING);
    await scriptModel(agentId, [{ type: "text", text: "We open at ten on Sundays." }]);
    await sendHttp(agentId, { id: "q1", conversation: "c1", from: "u", text: "When do you open on Sundays?" }, { target: settled });
    expect(await stored(agentId, 1)).toEqual([
      { tier: "intelligent", position: 0, learnable: 1, question: "When do you open on Sundays?", answer: "We open at ten on Sundays." },
    ]);
  });

  it("keeps no text of a follow-up, which may rest on earlier turns", async () => {
    const agentId = await createAgent(LEARNING);
    await scriptModel(agentId, [
      { type: "text", text: "We open at ten on Sundays." },
      { type: "text", text: "Yes, until four." },
    ]);
    await sendHttp(agentId, { id: "f1", conversation: "c1", from: "u", text: "When do you open on Sundays?" }, { target: settled });
    await sendHttp(agentId, { id: "f2", conversation: "c1", from: "u", text: "And on Saturdays too?" }, { target: settled });
    const [, followUp] = await stored(agentId, 2);
    expect(followUp).toEqual({ tier: "intelligent", position: 2, learnable: 0, question: null, answer: null });
  });

  it("keeps no text when the question carries personal data, and never the data itself", async () => {
    const agentId = await createAgent(LEARNING);
    await scriptModel(agentId, [{ type: "text", text: "We will write to you there." }]);
    await sendHttp(agentId, { id: "p1", conversation: "c1", from: "u", text: "My email is jane.doe@example.com, when do you open?" }, { target: settled });
    const [row] = await stored(agentId, 1);
    expect(row).toMatchObject({ learnable: 0, question: null, answer: null });
    const raw = await (await shardDb(agentId)).prepare("SELECT * FROM interactions WHERE agent_id = ?").bind(agentId).all();
    expect(JSON.stringify(raw.results)).not.toContain("jane.doe@example.com");
  });

  it("keeps no text while learning is off, nor of answers no model made", async () => {
    const off = await createAgent({ messageHandling: { maintainContext: true } });
    await scriptModel(off, [{ type: "text", text: "We open at ten on Sundays." }]);
    await sendHttp(off, { id: "o1", conversation: "c1", from: "u", text: "When do you open on Sundays?" }, { target: settled });
    expect(await stored(off, 1)).toEqual([{ tier: "intelligent", position: 0, learnable: 0, question: null, answer: null }]);

    const rules = await createAgent({ ...LEARNING, optimization: { cacheRules: [GREETING] } });
    await sendHttp(rules, { id: "g1", conversation: "c1", from: "u", text: "hello" }, { target: settled });
    expect(await stored(rules, 1)).toEqual([{ tier: "rule", position: 0, learnable: 0, question: null, answer: null }]);
  });

  it("keeps no text of an answer whose tool changed something", async () => {
    const agentId = await createAgent({ ...LEARNING, trust: { initial: 0.5 } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "note.txt", content: "call back" } }] },
      { type: "text", text: "Noted, we will call you back." },
    ]);
    await sendHttp(agentId, { id: "w1", conversation: "c1", from: "u", text: "Please note that I want a call back" }, { target: settled });
    expect(await stored(agentId, 1)).toEqual([{ tier: "intelligent", position: 0, learnable: 0, question: null, answer: null }]);
  });
});
