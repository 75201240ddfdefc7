import { describe, expect, it } from "vitest";
import { alternative, LOWER, logLikelihoodRatio, sprt, UPPER } from "../../src/learn/canary";
import { fitMatcher, match } from "../../src/learn/matcher";
import { agrees, canonicalText, commonBigrams, overlap, signatureOf } from "../../src/learn/signature";
import { bucketsFor, decodeMatcher, encodeMatcher, MAX_WEIGHTS } from "../../src/learn/snapshot";
import { inRollout } from "../../src/learn/tier";
import { wordFacts } from "../../src/dev/fake-wording";

describe("the sequential test (Wald's SPRT, H0 p0 against H1 3·p0, α = β = 0.05)", () => {
  it("promotes after about 145 agreeing samples at a 1% error rate, and rolls back after three early errors", () => {
    let agreeing = 0;
    while (sprt(agreeing, 0, 0.01) === "continue") agreeing++;
    expect(sprt(agreeing, 0, 0.01)).toBe("promote");
    expect(agreeing).toBeGreaterThanOrEqual(140);
    expect(agreeing).toBeLessThanOrEqual(150);
    expect(sprt(2, 2, 0.01)).toBe("continue");
    expect(sprt(3, 3, 0.01)).toBe("rollback");
    expect(sprt(200, 3, 0.01)).toBe("continue");
  });

  it("keeps the alternative above the criterion for any criterion, so agreement never counts against a pattern", () => {
    for (const p0 of [0.001, 0.01, 0.1, 0.3, 0.5, 0.8, 0.99]) {
      expect(alternative(p0)).toBeGreaterThan(p0);
      expect(alternative(p0)).toBeLessThan(1);
      expect(logLikelihoodRatio(10, 0, p0)).toBeLessThan(0);
      expect(logLikelihoodRatio(10, 10, p0)).toBeGreaterThan(0);
    }
  });

  it("needs fewer samples for a looser criterion, and its bounds are ln(19) and −ln(19)", () => {
    expect(UPPER).toBeCloseTo(Math.log(19), 12);
    expect(LOWER).toBeCloseTo(-Math.log(19), 12);
    expect(sprt(12, 0, 0.1)).toBe("promote");
    expect(sprt(11, 0, 0.1)).toBe("continue");
    expect(logLikelihoodRatio(10, 1, 0.01)).toBeCloseTo(Math.log(3) + 9 * Math.log(0.97 / 0.99), 12);
  });
});

describe("the stored matcher", () => {
  const topics = ["card delivery", "refund", "exchange rate", "top up"];
  const examples = topics.flatMap((t, label) =>
    Array.from({ length: 40 }, (_, i) => ({ text: [`where is my ${t}`, `help with ${t} please`, `question on ${t} ${i}`, `${t} not working`][i % 4]!, label })),
  );

  it("reads back exactly what was proven: same matches, probabilities and gate", () => {
    const fitted = fitMatcher(examples, topics.length, { target: 0.9 });
    const served = decodeMatcher(encodeMatcher(fitted));
    expect(served.threshold).toBe(fitted.threshold);
    expect(served.minSimilarity).toBe(fitted.minSimilarity);
    for (const text of ["where is my refund", "top up failed", "the weather in Paris", "exchange rate today"]) {
      const a = match(fitted, text);
      const b = match(served, text);
      expect(b.label).toBe(a.label);
      expect(b.answers).toBe(a.answers);
      expect(b.probability).toBeCloseTo(a.probability, 5);
      expect(b.similarity).toBeCloseTo(a.similarity, 5);
    }
  });

  it("stays within its size bound however many patterns there are", () => {
    for (const classes of [2, 78, 150, 400]) expect(classes * bucketsFor(classes) <= MAX_WEIGHTS || bucketsFor(classes) === 2048).toBe(true);
    const bytes = encodeMatcher(fitMatcher(examples, topics.length, { target: 0.9 }));
    expect(bytes.length).toBeLessThan(1_000_000);
  });

  it("refuses what is not a stored matcher: garbage, a wrong format, a cut-off copy", () => {
    expect(() => decodeMatcher(new TextEncoder().encode("hello world, not a model"))).toThrow(/not a stored matcher/);
    const bytes = encodeMatcher(fitMatcher(examples, topics.length, { target: 0.9 }));
    expect(() => decodeMatcher(bytes.slice(0, bytes.length - 10))).toThrow();
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + new DataView(bytes.buffer).getUint32(4, true)));
    const wrong = new Uint8Array(bytes);
    wrong.set(new TextEncoder().encode(header.replace('"format":1', '"format":9')), 8);
    expect(() => decodeMatcher(wrong)).toThrow(/format 9/);
  });
});

describe("answer signatures", () => {
  const facts = "Refunds reach your card in 5 working days. Track them on the green page of the app.";
  const other = "Transfers abroad cost 2 euros and arrive the next working day.";
  const answers = Array.from({ length: 20 }, (_, n) => wordFacts(facts, "where is my refund?", n));
  const everything = [answers, Array.from({ length: 20 }, (_, n) => wordFacts(other, "how much is a transfer?", n))];

  it("keeps the facts a group shares and drops the agent's openers and closers", () => {
    const signature = signatureOf(answers, commonBigrams(everything));
    expect(signature.length).toBeGreaterThanOrEqual(10);
    expect(overlap(signature, facts)).toBe(1);
    expect(overlap(signature, "Thanks for asking. I hope that helps. Have a good day.")).toBe(0);
  });

  it("agrees with another wording of the same facts, not with other facts", () => {
    const signature = signatureOf(answers, commonBigrams(everything));
    expect(agrees(signature, wordFacts(facts, "refund status?", 99))).toBe(true);
    expect(agrees(signature, wordFacts(other, "refund status?", 99))).toBe(false);
    expect(agrees([], facts)).toBe(false);
  });

  it("cuts a member answer down to its facts, never repeating one customer's question to another", () => {
    const signature = signatureOf(answers, commonBigrams(everything));
    const member = wordFacts(facts, "Where is my refund for order 5531?", 1);
    expect(member).toContain("You asked about");
    expect(canonicalText(member, signature)).toBe(facts);
    // No sentence carries the facts: nothing to give (the pattern is not valid), never the member's words.
    expect(canonicalText("Thanks for asking. You asked about: order 5531.", signature)).toBe("");
    expect(canonicalText(`Hi Jane,\nYou asked about order 5531\n${facts}`, signature)).toBe(facts);
  });
});

describe("canary rollout share", () => {
  it("is stable per conversation and close to the percentage", () => {
    expect(inRollout("a", "conv-1", 10)).toBe(inRollout("a", "conv-1", 10));
    const n = 20_000;
    let inside = 0;
    for (let i = 0; i < n; i++) if (inRollout("agent", `conv-${i}`, 10)) inside++;
    expect(inside / n).toBeGreaterThan(0.09);
    expect(inside / n).toBeLessThan(0.11);
    expect(inRollout("agent", "conv-1", 100)).toBe(true);
  });
});

describe("canonical answers among many request types", () => {
  it("keep the facts and drop the greeting and the restated question when the facts share a template", () => {
    const template = (topic: string, days: number) => `For ${topic}, policy ${topic.slice(0, 3).toUpperCase()}-${days * 37} applies: it is handled within ${days} working days and the ${topic} page of the app shows where it stands.`;
    const topics = ["atm support", "card acceptance", "verify my identity", "top up by card charge", "exchange rate"];
    const groups = topics.map((t, i) => Array.from({ length: 20 }, (_, n) => wordFacts(template(t, i + 2), `question ${n} about ${t}`, n + i)));
    const common = commonBigrams(groups);
    const signature = signatureOf(groups[0]!, common);
    const member = wordFacts(template("atm support", 2), "can i use this card at any store", 7);
    expect(member).toMatch(/^Thanks for asking\. You asked about: can i use this card at any store\./);
    expect(canonicalText(member, signature)).toBe(template("atm support", 2));
  });
});
