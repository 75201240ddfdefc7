import { describe, expect, it } from "vitest";
import { binomialCdf, calibrate, clopperPearsonUpper, type HeldOut, minAnswered, THRESHOLD_GRID } from "../../src/learn/calibrate";
import { featurize } from "../../src/learn/features";
import { fitMatcher, match } from "../../src/learn/matcher";
import { validatePatterns } from "../../src/learn/validate";
import { signatureOf } from "../../src/learn/signature";
import { wordFacts } from "../../src/dev/fake-wording";
import { predict, train } from "../../src/learn/softmax";

describe("Clopper–Pearson bounds", () => {
  it("gives the rule of three for no errors, and known values for a few", () => {
    // Exact one-sided 95% upper bounds: 1 − 0.05^(1/n) for zero errors; 0.0466 for 1 of 100.
    expect(clopperPearsonUpper(0, 100, 0.05)).toBeCloseTo(1 - 0.05 ** (1 / 100), 6);
    expect(clopperPearsonUpper(1, 100, 0.05)).toBeCloseTo(0.0466, 3);
    expect(clopperPearsonUpper(5, 1000, 0.05)).toBeCloseTo(0.0105, 3);
    expect(clopperPearsonUpper(0, 0, 0.05)).toBe(1);
    expect(clopperPearsonUpper(3, 3, 0.05)).toBe(1);
  });

  it("binomial CDF sums to one and matches a hand-computed value", () => {
    expect(binomialCdf(10, 10, 0.3)).toBe(1);
    // P(X <= 1) for n = 3, p = 0.5: (1 + 3) / 8.
    expect(binomialCdf(1, 3, 0.5)).toBeCloseTo(0.5, 12);
  });
});

describe("calibrate", () => {
  const sample = (n: number, probability: number, errorEvery: number): HeldOut[] =>
    Array.from({ length: n }, (_, i) => ({ probability, correct: (i + 1) % errorEvery !== 0 }));

  it("keeps the loosest threshold whose proven error bound meets the target, and no looser", () => {
    // 2,000 confident and right; below them 1,000 with one error in ten.
    const heldOut = [...sample(2000, 0.99, Number.POSITIVE_INFINITY), ...sample(1000, 0.7, 10)];
    const c = calibrate(heldOut, 0.99);
    expect(c.threshold).toBe(0.71);
    expect(c).toMatchObject({ answered: 2000, errors: 0 });
    expect(c.errorBound).toBeLessThanOrEqual(0.01);
    expect(c.coverage).toBeCloseTo(2000 / 3000, 6);
  });

  it("proves nothing from too few predictions, or from a matcher that is often wrong", () => {
    expect(calibrate(sample(50, 0.99, Number.POSITIVE_INFINITY), 0.99).threshold).toBeNull();
    expect(calibrate(sample(5000, 0.995, 5), 0.95).threshold).toBeNull();
  });

  it("tries a fixed grid from strict to loose", () => {
    expect(THRESHOLD_GRID[0]).toBe(0.999);
    expect(THRESHOLD_GRID.at(-1)).toBe(0.5);
    expect([...THRESHOLD_GRID].sort((a, b) => b - a)).toEqual(THRESHOLD_GRID);
    expect(new Set(THRESHOLD_GRID).size).toBe(THRESHOLD_GRID.length);
  });

  it("passes over strict thresholds too few predictions reach to pass at all, instead of failing on them", () => {
    // 40 predictions at 0.9995 cannot prove 0.97 even without an error (the bound needs 99);
    // tested first, they would end the sequence with nothing proven.
    expect(minAnswered(0.97, 0.05)).toBe(99);
    const heldOut = [...sample(40, 0.9995, Number.POSITIVE_INFINITY), ...sample(2000, 0.95, 200)];
    const c = calibrate(heldOut, 0.97);
    expect(c.threshold).toBe(0.5);
    expect(c.answered).toBe(2040);
  });
});

describe("the softmax matcher over hashed n-grams", () => {
  it("turns the same text into the same features, whatever its case or spacing", () => {
    const a = featurize("My card has NOT arrived", 4096);
    const b = featurize("my  card has not arrived", 4096);
    expect([...a.idx]).toEqual([...b.idx]);
    expect(Math.hypot(...a.val)).toBeCloseTo(1, 5);
  });

  it("learns request types from examples and tells them apart on unseen wording", () => {
    const examples: Array<[string, number]> = [
      ["where is my card", 0],
      ["my card has not arrived yet", 0],
      ["when will my new card come", 0],
      ["card still not delivered", 0],
      ["how do I reset my pin", 1],
      ["I forgot my pin code", 1],
      ["change my PIN please", 1],
      ["unblock my pin", 1],
      ["what is the exchange rate", 2],
      ["which rate do you use to convert currency", 2],
      ["exchange rate for euros", 2],
      ["currency conversion rate today", 2],
    ];
    const dim = 4096;
    const model = train(examples.map(([t, label]) => ({ x: featurize(t, dim), label })), 3, dim, { epochs: 30 });
    expect(predict(model, featurize("has my card arrived", dim)).label).toBe(0);
    expect(predict(model, featurize("I can't remember my pin", dim)).label).toBe(1);
    expect(predict(model, featurize("what exchange rate applies", dim)).label).toBe(2);
    const confident = predict(model, featurize("my card has not arrived yet", dim));
    expect(confident.probability).toBeGreaterThan(0.5);
  });
});

describe("fitMatcher", () => {
  const topics = [
    ["card", "arrive", "delivery", "post", "shipped", "mail"],
    ["pin", "code", "reset", "forgot", "change", "unblock"],
    ["rate", "exchange", "currency", "convert", "euros", "dollars"],
  ];
  /** Many phrasings per topic, built from the topic's words, so there is enough to hold some apart. */
  const phrasings = (label: number, n: number, seed: number) =>
    Array.from({ length: n }, (_, i) => {
      const w = topics[label]!;
      return { text: `please help ${w[(i + seed) % 6]} my ${w[(i * 5 + 1) % 6]} ${w[(i * 7 + 2) % 6]} today ${i % 3 === 0 ? "now" : ""}`, label };
    });

  it("proves a threshold on examples it did not train on, serves the model it proved, and turns away requests unlike any", () => {
    const examples = [0, 1, 2].flatMap((label) => phrasings(label, 400, label));
    const matcher = fitMatcher(examples, 3, { dim: 4096, target: 0.95, seed: 3, epochs: 8 });
    expect(matcher.threshold).not.toBeNull();
    expect(matcher.calibration.answered).toBeGreaterThan(100);
    expect(matcher.calibration.answered).toBeLessThan(examples.length / 2);
    const card = match(matcher, "please help my card delivery shipped");
    expect(card).toMatchObject({ label: 0, answers: true });
    expect(match(matcher, "what is the weather like on mars this summer").answers).toBe(false);
  });

  it("serves nothing when nothing can be proven", () => {
    // Two labels on the same texts: no threshold can keep precision anywhere near the target.
    const texts = phrasings(0, 300, 0);
    const matcher = fitMatcher([...texts.map((t) => ({ ...t, label: 0 })), ...texts.map((t) => ({ ...t, label: 1 }))], 2, { dim: 4096, target: 0.95, seed: 3, epochs: 4 });
    expect(matcher.threshold).toBeNull();
    expect(match(matcher, texts[0]!.text).answers).toBe(false);
  });
});

describe("validatePatterns", () => {
  it("validates patterns asked in their own ways, and not two asked the same way, which it will not answer", () => {
    const facts = (topic: string) => `Your ${topic} is handled by desk ${topic.length * 7} within ${topic.length} days, see the ${topic} page.`;
    const asked = (topic: string, n: number, says = topic) =>
      Array.from({ length: n }, (_, i) => ({ question: `question ${i % 5} about my ${topic} please`, answer: wordFacts(facts(says), topic, i) }));
    const pattern = (members: Array<{ question: string; answer: string }>) => ({ members, signature: signatureOf(members.map((m) => m.answer), new Set<number>()) });
    const distinct = ["pin", "rate", "loan", "fees"].map((t) => pattern(asked(t, 80)));
    // The same questions answered two different ways: the matcher cannot tell which to give.
    const { reports } = validatePatterns([...distinct, pattern(asked("card", 80)), pattern(asked("card", 80, "cash"))], asked("weather", 40), { target: 0.95, testCoverage: 0.9 });
    expect(reports.slice(0, 4).every((r) => r.valid)).toBe(true);
    const [a, b] = reports.slice(4);
    expect(a).toMatchObject({ valid: false, coverage: 0 });
    expect(b).toMatchObject({ valid: false, coverage: 0 });
  });
});
