import { describe, expect, it } from "vitest";
import { prng } from "../support/prng";
import { SEED_PERMISSIONS } from "../support/seed";
import { newGlobs, tierKeyAt } from "../../src/trust/permissions";

describe("tierKeyAt", () => {
  it("returns the highest key at or below the level", () => {
    expect(tierKeyAt(0.2, SEED_PERMISSIONS)).toBe("0.1");
    expect(tierKeyAt(0.4, SEED_PERMISSIONS)).toBe("0.3");
    expect(tierKeyAt(0.75, SEED_PERMISSIONS)).toBe("0.5");
    expect(tierKeyAt(0.95, SEED_PERMISSIONS)).toBe("0.9");
    expect(tierKeyAt(1, SEED_PERMISSIONS)).toBe("0.9");
  });

  it("returns a key for a level equal to it", () => {
    for (const key of Object.keys(SEED_PERMISSIONS)) expect(tierKeyAt(Number(key), SEED_PERMISSIONS)).toBe(key);
  });

  it("returns null below every key", () => {
    expect(tierKeyAt(0, SEED_PERMISSIONS)).toBeNull();
    expect(tierKeyAt(0.099999, SEED_PERMISSIONS)).toBeNull();
  });

  it("returns null for empty permissions at any level", () => {
    expect(tierKeyAt(0, {})).toBeNull();
    expect(tierKeyAt(1, {})).toBeNull();
  });

  it("absorbs float noise on either side of a key", () => {
    expect(0.1 + 0.2).toBe(0.30000000000000004);
    expect(tierKeyAt(0.1 + 0.2, SEED_PERMISSIONS)).toBe("0.3");
    expect(0.7 - 0.2 - 0.2).toBe(0.29999999999999993);
    expect(tierKeyAt(0.7 - 0.2 - 0.2, SEED_PERMISSIONS)).toBe("0.3");
    expect(tierKeyAt(0.7 - 0.2, SEED_PERMISSIONS)).toBe("0.5");
  });

  it("keeps a level one millionth below a key in the tier beneath, since levels have six decimals", () => {
    expect(tierKeyAt(0.299999, SEED_PERMISSIONS)).toBe("0.1");
    expect(tierKeyAt(0.499999, SEED_PERMISSIONS)).toBe("0.3");
    expect(tierKeyAt(0.899999, SEED_PERMISSIONS)).toBe("0.5");
  });

  it("does not depend on the order of the keys", () => {
    const shuffled = { "0.9": ["*"], "0.1": ["Read"], "0.5": ["Write"], "0.3": ["Read"] };
    for (const level of [0, 0.1, 0.2, 0.3, 0.45, 0.5, 0.8, 0.9, 1]) {
      expect(tierKeyAt(level, shuffled), String(level)).toBe(tierKeyAt(level, SEED_PERMISSIONS));
    }
  });

  it("returns the key as it is written, compared by its number", () => {
    const written = { ".1": ["Read"], "0.50": ["Write"], "0": ["Glob"], "1": ["*"] };
    expect(tierKeyAt(0, written)).toBe("0");
    expect(tierKeyAt(0.2, written)).toBe(".1");
    expect(tierKeyAt(0.6, written)).toBe("0.50");
    expect(tierKeyAt(1, written)).toBe("1");
  });

  it("agrees with a search of the sorted keys for random six-decimal levels", () => {
    const rand = prng(0x713e);
    const sorted = Object.keys(SEED_PERMISSIONS).sort((a, b) => Number(b) - Number(a));
    for (let i = 0; i < 3000; i++) {
      const level = Math.round(rand() * 1e6) / 1e6;
      const expected = sorted.find((key) => Number(key) <= level) ?? null;
      expect(tierKeyAt(level, SEED_PERMISSIONS), String(level)).toBe(expected);
    }
  });
});

describe("newGlobs with the seed's permissions", () => {
  it("grants nothing for a rise within a tier (0.3 → 0.4)", () => {
    expect(newGlobs(0.3, 0.4, SEED_PERMISSIONS)).toEqual([]);
  });

  it("grants Write and mcp__* for a rise from 0.4 into the 0.5 tier", () => {
    expect(newGlobs(0.4, 0.5, SEED_PERMISSIONS)).toEqual(["Write", "mcp__*"]);
  });

  it("grants Read for a rise from 0 into the first tier", () => {
    expect(newGlobs(0, 0.1, SEED_PERMISSIONS)).toEqual(["Read"]);
  });

  it("grants mcp__slack__* for a rise from 0.1 into the 0.3 tier", () => {
    expect(newGlobs(0.1, 0.3, SEED_PERMISSIONS)).toEqual(["mcp__slack__*"]);
  });

  it("grants * for a rise from 0.5 into the 0.9 tier", () => {
    expect(newGlobs(0.5, 0.9, SEED_PERMISSIONS)).toEqual(["*"]);
  });

  it("grants every glob of the new tier for a rise from below every key", () => {
    expect(newGlobs(0, 0.5, SEED_PERMISSIONS)).toEqual(["Read", "Write", "mcp__*"]);
  });

  it("reaches the 0.5 tier through float noise (0.7 - 0.2)", () => {
    expect(newGlobs(0.3, 0.7 - 0.2, SEED_PERMISSIONS)).toEqual(["Write", "mcp__*"]);
  });

  it("grants nothing for a move that stays at the same level or below every key", () => {
    expect(newGlobs(0.5, 0.5, SEED_PERMISSIONS)).toEqual([]);
    expect(newGlobs(0, 0.05, SEED_PERMISSIONS)).toEqual([]);
  });

  it("grants nothing for a fall out of every tier (0.1 → 0)", () => {
    expect(newGlobs(0.1, 0, SEED_PERMISSIONS)).toEqual([]);
  });

  // A fall never escalates, even into a tier whose globs are spelled differently (mcp__slack__*
  // was covered by mcp__* at 0.5): otherwise the seed's own error rule would raise an alert.
  it("grants nothing for a fall from 0.5 to 0.3", () => {
    expect(newGlobs(0.5, 0.3, SEED_PERMISSIONS)).toEqual([]);
  });

  it("grants nothing for a fall from 0.9 to 0.7", () => {
    expect(newGlobs(0.9, 0.7, SEED_PERMISSIONS)).toEqual([]);
  });

  it("grants nothing for a rise into a tier whose tools the old tier already allowed", () => {
    const permissions = { "0.1": ["mcp__*"], "0.5": ["mcp__slack__*"] };
    expect(newGlobs(0.1, 0.5, permissions)).toEqual([]);
  });
});
