import { describe, expect, it } from "vitest";
import {
  addUsage,
  costMicros,
  DEFAULT_PRICES,
  loadPriceTable,
  type ModelPrice,
  priceFor,
  tokenUsage,
  type TokenUsage,
  ZERO_USAGE,
} from "../../src/cost/prices";

const SONNET_4_5 = DEFAULT_PRICES["claude-sonnet-4-5"]!;

function usage(tokens: Partial<TokenUsage>): TokenUsage {
  return { ...ZERO_USAGE, ...tokens };
}

/** A price with the same rate for every kind of token. */
function flat(usdPerMTok: number): ModelPrice {
  return { input: usdPerMTok, output: usdPerMTok, cacheWrite5m: usdPerMTok, cacheWrite1h: usdPerMTok, cacheRead: usdPerMTok };
}

describe("costMicros", () => {
  it("charges exactly P micro-dollars per token at P USD per million tokens", () => {
    expect(costMicros(usage({ input: 1_000_000 }), SONNET_4_5)).toBe(3_000_000);
    expect(costMicros(usage({ output: 1_000_000 }), SONNET_4_5)).toBe(15_000_000);
    expect(costMicros(usage({ input: 1000, output: 500 }), SONNET_4_5)).toBe(10_500);
  });

  it("charges nothing for no tokens", () => {
    expect(costMicros(ZERO_USAGE, SONNET_4_5)).toBe(0);
  });

  it("prices a fractional rate like the $0.30 cache read without float error", () => {
    // 3 * 0.1 is 0.30000000000000004 in floats; a naive ceil(tokens * price) would charge 300_001.
    expect(SONNET_4_5.cacheRead).not.toBe(0.3);
    expect(costMicros(usage({ cacheRead: 1_000_000 }), SONNET_4_5)).toBe(300_000);
    expect(costMicros(usage({ cacheRead: 10 }), SONNET_4_5)).toBe(3);
  });

  it("prices each kind of token at its own rate", () => {
    const p: ModelPrice = { input: 1, output: 2, cacheWrite5m: 3, cacheWrite1h: 4, cacheRead: 5 };
    expect(costMicros(usage({ input: 10 }), p)).toBe(10);
    expect(costMicros(usage({ output: 10 }), p)).toBe(20);
    expect(costMicros(usage({ cacheWrite5m: 10 }), p)).toBe(30);
    expect(costMicros(usage({ cacheWrite1h: 10 }), p)).toBe(40);
    expect(costMicros(usage({ cacheRead: 10 }), p)).toBe(50);
  });

  it("charges a 1-hour cache write more than a 5-minute one (2x versus 1.25x input)", () => {
    expect(costMicros(usage({ cacheWrite5m: 1_000_000 }), SONNET_4_5)).toBe(3_750_000);
    expect(costMicros(usage({ cacheWrite1h: 1_000_000 }), SONNET_4_5)).toBe(6_000_000);
  });

  it("rounds a fraction of a micro-dollar up", () => {
    expect(costMicros(usage({ cacheRead: 1 }), SONNET_4_5)).toBe(1);
    expect(costMicros(usage({ input: 1 }), flat(0.000001))).toBe(1);
    expect(costMicros(usage({ input: 7 }), flat(0.5))).toBe(4);
  });

  it("rounds once, over the sum, not once per kind of token", () => {
    // 0.5 + 0.5 + 0.5 + 0.5 micro-dollars is 2, where rounding each part would give 4.
    expect(costMicros({ input: 1, output: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 0 }, flat(0.5))).toBe(2);
    // 0.3 + 0.3 + 0.3 = 0.9, one micro-dollar rather than three.
    expect(costMicros(usage({ cacheRead: 3 }), SONNET_4_5)).toBe(1);
  });

  it("has no float error on a large realistic usage", () => {
    // A long Sonnet 4.5 agent run, cache-read heavy; each part worked out by hand in micro-dollars.
    const big = { input: 2_345_678, output: 187_654, cacheWrite5m: 401_236, cacheWrite1h: 99_998, cacheRead: 12_345_670 };
    const expected =
      2_345_678 * 3 + // 7_037_034
      187_654 * 15 + // 2_814_810
      (401_236 * 375) / 100 + // 1_504_635 at $3.75
      99_998 * 6 + // 599_988 at $6
      (12_345_670 * 3) / 10; // 3_703_701 at $0.30
    expect(expected).toBe(15_660_168);
    expect(costMicros(big, SONNET_4_5)).toBe(15_660_168);
  });

  it("stays exact for the Opus 4.1 rates, the dearest defaults", () => {
    const opus = DEFAULT_PRICES["claude-opus-4-1"]!;
    const big = { input: 2_500_000, output: 180_000, cacheWrite5m: 400_000, cacheWrite1h: 100_000, cacheRead: 12_000_010 };
    // 2.5M*15 + 180k*75 + 400k*18.75 + 100k*30 + 12_000_010*1.5 micro-dollars.
    expect(costMicros(big, opus)).toBe(37_500_000 + 13_500_000 + 7_500_000 + 3_000_000 + 18_000_015);
  });

  it("gives an integer for every default price and an odd token count", () => {
    for (const [model, p] of Object.entries(DEFAULT_PRICES)) {
      const cost = costMicros({ input: 123_457, output: 9_871, cacheWrite5m: 3_333, cacheWrite1h: 77, cacheRead: 1_000_001 }, p);
      expect(Number.isInteger(cost), model).toBe(true);
      expect(cost, model).toBeGreaterThan(0);
    }
  });
});

describe("tokenUsage", () => {
  it("reads the counts of a usage object with every field", () => {
    expect(
      tokenUsage({
        input_tokens: 10,
        output_tokens: 20,
        cache_creation_input_tokens: 300,
        cache_read_input_tokens: 40,
        cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
      }),
    ).toEqual({ input: 10, output: 20, cacheWrite5m: 100, cacheWrite1h: 200, cacheRead: 40 });
  });

  it("reads null cache fields as zero", () => {
    expect(
      tokenUsage({ input_tokens: 5, output_tokens: 6, cache_creation_input_tokens: null, cache_read_input_tokens: null, cache_creation: null }),
    ).toEqual({ input: 5, output: 6, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 });
  });

  it("reads absent cache fields as zero", () => {
    expect(tokenUsage({ input_tokens: 5, output_tokens: 6 })).toEqual({ input: 5, output: 6, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 });
  });

  it("counts cache writes as 5-minute writes when the breakdown is missing", () => {
    expect(tokenUsage({ input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 500 })).toMatchObject({
      cacheWrite5m: 500,
      cacheWrite1h: 0,
    });
    expect(tokenUsage({ input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 500, cache_creation: null })).toMatchObject({
      cacheWrite5m: 500,
      cacheWrite1h: 0,
    });
  });

  it("takes 1-hour writes from the breakdown", () => {
    expect(
      tokenUsage({
        input_tokens: 1,
        output_tokens: 2,
        cache_creation_input_tokens: 800,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 800 },
      }),
    ).toMatchObject({ cacheWrite5m: 0, cacheWrite1h: 800 });
  });

  it("bills every cache write when the breakdown names only the 1-hour part", () => {
    const u = tokenUsage({
      input_tokens: 1,
      output_tokens: 2,
      cache_creation_input_tokens: 300,
      cache_creation: { ephemeral_5m_input_tokens: null, ephemeral_1h_input_tokens: 100 },
    });
    expect(u).toMatchObject({ cacheWrite5m: 200, cacheWrite1h: 100 });
  });

  it("trusts the total over a breakdown that disagrees with it", () => {
    expect(
      tokenUsage({
        input_tokens: 1,
        output_tokens: 2,
        cache_creation_input_tokens: 300,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      }),
    ).toMatchObject({ cacheWrite5m: 300, cacheWrite1h: 0 });
    expect(
      tokenUsage({
        input_tokens: 1,
        output_tokens: 2,
        cache_creation_input_tokens: 100,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 400 },
      }),
    ).toMatchObject({ cacheWrite5m: 0, cacheWrite1h: 100 });
  });

  it("sums the breakdown when the total is missing", () => {
    expect(
      tokenUsage({
        input_tokens: 1,
        output_tokens: 2,
        cache_creation_input_tokens: null,
        cache_creation: { ephemeral_5m_input_tokens: 30, ephemeral_1h_input_tokens: 70 },
      }),
    ).toMatchObject({ cacheWrite5m: 30, cacheWrite1h: 70 });
  });
});

describe("addUsage", () => {
  it("adds each kind of token separately", () => {
    const a = { input: 1, output: 2, cacheWrite5m: 3, cacheWrite1h: 4, cacheRead: 5 };
    const b = { input: 10, output: 20, cacheWrite5m: 30, cacheWrite1h: 40, cacheRead: 50 };
    expect(addUsage(a, b)).toEqual({ input: 11, output: 22, cacheWrite5m: 33, cacheWrite1h: 44, cacheRead: 55 });
  });

  it("has ZERO_USAGE as its identity and leaves its arguments unchanged", () => {
    const a = { input: 1, output: 2, cacheWrite5m: 3, cacheWrite1h: 4, cacheRead: 5 };
    expect(addUsage(a, ZERO_USAGE)).toEqual(a);
    expect(addUsage(ZERO_USAGE, a)).toEqual(a);
    expect(a).toEqual({ input: 1, output: 2, cacheWrite5m: 3, cacheWrite1h: 4, cacheRead: 5 });
    expect(ZERO_USAGE).toEqual({ input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 });
  });

  it("costs the same summed as the costs of its parts when nothing rounds", () => {
    const a = usage({ input: 1000, output: 200 });
    const b = usage({ cacheRead: 10_000, cacheWrite1h: 50 });
    expect(costMicros(addUsage(a, b), SONNET_4_5)).toBe(costMicros(a, SONNET_4_5) + costMicros(b, SONNET_4_5));
  });
});

describe("priceFor", () => {
  it("finds an exact model id", () => {
    expect(priceFor("claude-sonnet-4-5", DEFAULT_PRICES)).toEqual({ price: SONNET_4_5, match: "exact" });
  });

  it("prices a dated model id at its family's price", () => {
    expect(priceFor("claude-sonnet-4-5-20250929", DEFAULT_PRICES)).toEqual({ price: SONNET_4_5, match: "family" });
    expect(priceFor("claude-opus-4-20250514", DEFAULT_PRICES)).toEqual({ price: DEFAULT_PRICES["claude-opus-4"], match: "family" });
    expect(priceFor("claude-3-7-sonnet-20250219", DEFAULT_PRICES).match).toBe("family");
  });

  it("prices a -latest alias at its family's price", () => {
    expect(priceFor("claude-3-5-haiku-latest", DEFAULT_PRICES)).toEqual({ price: DEFAULT_PRICES["claude-3-5-haiku"], match: "family" });
  });

  it("does not strip a suffix that is neither a date nor -latest", () => {
    expect(priceFor("claude-sonnet-4-5-preview", DEFAULT_PRICES).match).toBe("fallback");
    expect(priceFor("claude-sonnet-4-5-2025", DEFAULT_PRICES).match).toBe("fallback");
  });

  it("charges an unknown model the dearest price in the table", () => {
    const result = priceFor("gpt-unknown", DEFAULT_PRICES);
    expect(result.match).toBe("fallback");
    expect(result.price).toEqual(DEFAULT_PRICES["claude-opus-4"]);
  });

  it("charges an unknown model the dearest rate of each token kind, even when no one model has them all", () => {
    const table = {
      "input-heavy": { input: 50, output: 1, cacheWrite5m: 60, cacheWrite1h: 100, cacheRead: 5 },
      "output-heavy": { input: 1, output: 80, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1 },
    };
    expect(priceFor("other", table)).toEqual({
      price: { input: 50, output: 80, cacheWrite5m: 60, cacheWrite1h: 100, cacheRead: 5 },
      match: "fallback",
    });
  });

  it("charges a dated id of an unknown family the dearest price", () => {
    expect(priceFor("claude-mystery-20990101", DEFAULT_PRICES).match).toBe("fallback");
  });

  it("throws for an empty table", () => {
    expect(() => priceFor("claude-sonnet-4-5", {})).toThrow("the price table is empty");
  });

  // The admin API accepts any model name; one named like an Object.prototype member must not
  // find the inherited property (which would make the cost NaN).
  it("treats a model named like an Object.prototype member as unknown", () => {
    for (const model of ["constructor", "toString", "__proto__", "hasOwnProperty-latest"]) {
      const result = priceFor(model, DEFAULT_PRICES);
      expect(result.match, model).toBe("fallback");
      expect(Number.isInteger(costMicros(usage({ input: 1 }), result.price)), model).toBe(true);
    }
  });
});

describe("loadPriceTable", () => {
  const custom = { input: 1, output: 5, cacheWrite5m: 1.25, cacheWrite1h: 2, cacheRead: 0.1 };

  it("returns the defaults for an empty, blank or absent value", () => {
    expect(loadPriceTable("")).toBe(DEFAULT_PRICES);
    expect(loadPriceTable("   ")).toBe(DEFAULT_PRICES);
    expect(loadPriceTable(undefined)).toBe(DEFAULT_PRICES);
  });

  it("adds a new model and keeps every default", () => {
    const table = loadPriceTable(JSON.stringify({ "my-model": custom }));
    expect(table["my-model"]).toEqual(custom);
    for (const model of Object.keys(DEFAULT_PRICES)) expect(table[model], model).toEqual(DEFAULT_PRICES[model]);
  });

  it("lets an override win over a default of the same model", () => {
    const table = loadPriceTable(JSON.stringify({ "claude-sonnet-4-5": custom }));
    expect(table["claude-sonnet-4-5"]).toEqual(custom);
    expect(priceFor("claude-sonnet-4-5-20250929", table).price).toEqual(custom);
    expect(table["claude-opus-4"]).toEqual(DEFAULT_PRICES["claude-opus-4"]);
  });

  it("does not change the defaults", () => {
    loadPriceTable(JSON.stringify({ "claude-sonnet-4-5": custom }));
    expect(DEFAULT_PRICES["claude-sonnet-4-5"]).toEqual(SONNET_4_5);
    expect(SONNET_4_5.input).toBe(3);
  });

  it("throws an error naming MODEL_PRICES for invalid JSON", () => {
    expect(() => loadPriceTable("{not json")).toThrow(/MODEL_PRICES/);
    expect(() => loadPriceTable("{not json")).toThrow("MODEL_PRICES is not valid JSON");
  });

  it("throws an error naming MODEL_PRICES for JSON of the wrong shape", () => {
    expect(() => loadPriceTable("[]")).toThrow(/MODEL_PRICES is invalid/);
    expect(() => loadPriceTable('"cheap"')).toThrow(/MODEL_PRICES is invalid/);
    expect(() => loadPriceTable(JSON.stringify({ "my-model": { input: 1, output: 5 } }))).toThrow(/MODEL_PRICES is invalid/);
    expect(() => loadPriceTable(JSON.stringify({ "my-model": { ...custom, input: -1 } }))).toThrow(/MODEL_PRICES is invalid/);
    expect(() => loadPriceTable(JSON.stringify({ "my-model": { ...custom, input: "1" } }))).toThrow(/MODEL_PRICES is invalid/);
  });

  it("rejects an unknown field in a price, so a misspelt rate is not silently ignored", () => {
    expect(() => loadPriceTable(JSON.stringify({ "my-model": { ...custom, cacheWrite: 3 } }))).toThrow(/MODEL_PRICES is invalid/);
  });

  it("rejects an empty model id", () => {
    expect(() => loadPriceTable(JSON.stringify({ "": custom }))).toThrow(/MODEL_PRICES is invalid/);
  });
});
