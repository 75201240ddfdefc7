import { describe, expect, it } from "vitest";
import { wordFacts } from "../../src/dev/fake-wording";
import { detectGroups } from "../../src/learn/detect";

/** Twelve request types, each with its own facts and four phrasings of the question. */
const TOPICS = ["card delivery", "pin change", "bank transfer", "refund", "exchange rate", "top up", "lost phone", "cash withdrawal", "account closing", "direct debit", "fraud report", "statement"];
const FACTS = TOPICS.map((topic, i) => `For ${topic}, rule ${String.fromCharCode(65 + i)}${100 + i * 7} applies: it takes ${i + 2} working days and the ${["blue", "green", "red", "gold"][i % 4]} page of the app shows its status.`);
const QUESTIONS = TOPICS.map((topic) => [`What about ${topic}?`, `Question on ${topic}`, `help with ${topic} please`, `${topic} not working`]);

/** `perIntent` worded answers to each request type, interleaved, plus one-off answers. */
function answers(perIntent: number, oneOffs: number) {
  const out: Array<{ intent: number; question: string; answer: string }> = [];
  for (let i = 0; i < perIntent; i++) {
    for (let t = 0; t < FACTS.length; t++) {
      const question = QUESTIONS[t]![i % 4]!;
      out.push({ intent: t, question, answer: wordFacts(FACTS[t]!, question, i * 3 + t) });
    }
  }
  for (let i = 0; i < oneOffs; i++) {
    const topic = ["gardening", "chess", "opera", "sailing", "baking"][i % 5]!;
    out.push({ intent: -1, question: `Tell me about ${topic}`, answer: `About topic number ${i} of ${topic}: we cannot help with that, sorry.` });
  }
  return out;
}

describe("detectGroups", () => {
  it("groups answers by the facts they share, whatever their openers, closers and restatements", () => {
    const items = answers(20, 5);
    const detection = detectGroups(items, { minOccurrences: 10 });
    expect(detection.candidates).toHaveLength(TOPICS.length);
    for (const group of detection.candidates) {
      const intents = new Set(group.members.map((m) => items[m]!.intent));
      expect(intents.size).toBe(1);
      expect(intents.has(-1)).toBe(false);
      expect(group.members.length).toBeGreaterThanOrEqual(18);
      // The canonical answer is one of the members, and carries the group's facts.
      expect(group.members).toContain(group.canonical);
      expect(items[group.canonical]!.answer).toContain(FACTS[items[group.canonical]!.intent]!);
      expect(group.agreement).toBeGreaterThan(0.4);
    }
  });

  it("makes no candidate of a group smaller than minOccurrences", () => {
    const items = answers(6, 3);
    const detection = detectGroups(items, { minOccurrences: 10 });
    expect(detection.candidates).toEqual([]);
    expect(detection.unassigned).toBe(items.length);
  });

  it("gives the same groups whatever order the answers come in", () => {
    const items = answers(15, 4);
    const forward = detectGroups(items, { minOccurrences: 10 });
    const reversed = detectGroups([...items].reverse(), { minOccurrences: 10 });
    const signature = (d: typeof forward, map: (i: number) => number) =>
      d.candidates.map((g) => g.members.map(map).sort((a, b) => a - b).join(",")).sort();
    expect(signature(reversed, (i) => items.length - 1 - i)).toEqual(signature(forward, (i) => i));
  });
});

describe("detectGroups over a large window", () => {
  it("reads at most maxAnswers, a sample, and still finds every request type with members from the whole window", () => {
    const items = answers(60, 0);
    const detection = detectGroups(items, { minOccurrences: 20, maxAnswers: 300 });
    expect(detection.candidates).toHaveLength(TOPICS.length);
    const read = detection.candidates.reduce((n, g) => n + g.members.length, 0);
    expect(read).toBeLessThanOrEqual(300);
    expect(detection.unassigned).toBe(items.length - read);
    for (const g of detection.candidates) expect(new Set(g.members.map((m) => items[m]!.intent)).size).toBe(1);
    expect(Math.max(...detection.candidates.flatMap((g) => g.members))).toBeGreaterThan(300);
  });
});
