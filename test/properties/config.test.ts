import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../src/config";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { mutate, mutation } from "./mutate";
import { anyJson, PURE_RUNS } from "./support";

const start = fc.constantFrom<unknown>(SEED_EXAMPLE_CONFIG, {}, { trust: { initial: 0.5, permissions: { 0.5: ["Read"] } } }, { optimization: { cacheRules: [{ pattern: "hours?", ttl: 60, response: "9-5" }] } });
const config = fc.oneof({ weight: 4, arbitrary: fc.tuple(start, fc.array(mutation, { maxLength: 4 })).map(([c, m]) => mutate(c, m)) }, { weight: 1, arbitrary: anyJson });

describe("parseAgentConfig on any input", () => {
  it("never throws; refuses with issues that each name a path and a message", () => {
    fc.assert(
      fc.property(config, fc.boolean(), (input, allowPrivateUrls) => {
        const result = parseAgentConfig(input, { allowPrivateUrls });
        if (result.ok) return;
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(typeof issue.path).toBe("string");
          expect(issue.message.length).toBeGreaterThan(0);
        }
      }),
      PURE_RUNS,
    );
  });

  it("accepts what it returned, unchanged: the filled-in config is a fixed point", () => {
    let accepted = 0;
    fc.assert(
      fc.property(config, (input) => {
        const first = parseAgentConfig(input, { allowPrivateUrls: true });
        if (!first.ok) return;
        accepted += 1;
        const again = parseAgentConfig(JSON.parse(JSON.stringify(first.config)), { allowPrivateUrls: true });
        expect(again.ok).toBe(true);
        if (again.ok) expect(again.config).toEqual(first.config);
      }),
      PURE_RUNS,
    );
    expect(accepted).toBeGreaterThan(10);
  });

  it("does not modify its input", () => {
    fc.assert(
      fc.property(config, (input) => {
        const copy = JSON.stringify(input);
        parseAgentConfig(input);
        expect(JSON.stringify(input)).toBe(copy);
      }),
      PURE_RUNS,
    );
  });
});
