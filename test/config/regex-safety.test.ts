import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../src/config";
import { regexRisk } from "../../src/config/regex-safety";
import { matchCacheRulePattern } from "../../src/cost/text";

const issuesFor = (pattern: string) => {
  const result = parseAgentConfig({ optimization: { cacheRules: [{ pattern, ttl: 60, response: "Hi" }] } });
  return result.ok ? [] : result.issues;
};

describe("regexRisk", () => {
  it.each([
    ["(a+)+$", "nested_repeat"],
    ["(a*)*b", "nested_repeat"],
    ["(?:x{1,3})+y", "nested_repeat"],
    ["(a?b)*c", "nested_repeat"],
    ["((ab)+c)*", "nested_repeat"],
    ["(a|ab)*c", "overlapping_alternation"],
    ["(\\w|\\d)+$", "overlapping_alternation"],
    ["(?:A|a)+!", "overlapping_alternation"],
    ["([a-z]|x)+!", "overlapping_alternation"],
    ["\\d+\\d+x", "adjacent_repeats"],
    [".*x.*y", "adjacent_repeats"],
    [".*refund.*", "adjacent_repeats"],
    ["\\s*.*z", "adjacent_repeats"],
    [".{0,1000}x.{0,1000}y", "adjacent_repeats"],
    ["(.*)x(.*)y", "adjacent_repeats"],
    ["\\w+(?:_\\w+)", "adjacent_repeats"],
    ["\\d+(\\.\\d+)?\\d+", "adjacent_repeats"],
    ["(a)\\1", "backreference"],
    ["(?<w>a)\\k<w>", "backreference"],
  ])("refuses %s (%s)", (pattern, kind) => {
    expect(regexRisk(pattern)?.kind).toBe(kind);
  });

  it.each([
    "opening hours",
    "opening hours?",
    "\\b(?:open|opening) (?:hours|times)\\b",
    "^(hi|hello|hey)\\b",
    "\\s*hours\\s*\\?",
    "\\w+\\s+\\w+z",
    "refund.*policy",
    "(ab)+c",
    "(?:ab|cd)*e",
    "[^?]+\\?$",
    "x{2,5}y",
    "\\d{3}-\\d{4}",
    "(?:a|b){3}",
    "\\p{L}+ policy",
    "[\\]a]+b",
    "\\d+(?:\\.\\d+)?",
    "\\w+@\\w+\\.com",
  ])("accepts %s", (pattern) => {
    expect(regexRisk(pattern)).toBeNull();
  });

  it("treats letters case-insensitively, as rules run", () => {
    expect(regexRisk("(?:A|a)+")?.kind).toBe("overlapping_alternation");
    expect(regexRisk("[A-Z]+[a-z]+!")?.kind).toBe("adjacent_repeats");
  });
});

describe("cache rule patterns in config", () => {
  it("refuses a pattern that backtracks catastrophically, naming the field and the fix", () => {
    expect(issuesFor("(a+)+$")).toEqual([
      {
        path: "optimization.cacheRules.0.pattern",
        message: expect.stringMatching(/must not repeat a part that itself repeats.*"\(a\+\)\+".*"a\+"/) as string,
      },
    ]);
    expect(issuesFor(".*refund.*")[0]?.message).toMatch(/drop the leading or trailing "\.\*"/);
    expect(issuesFor("(a)\\1")[0]?.message).toMatch(/backreferences/);
  });

  it("keeps accepting intent names and plain expressions", () => {
    expect(issuesFor("greeting")).toEqual([]);
    expect(issuesFor("opening hours?")).toEqual([]);
  });

  it("bounds the number of pattern rules", () => {
    const cacheRules = Array.from({ length: 101 }, (_, i) => ({ pattern: `word${i}`, ttl: 60, response: "Hi" }));
    const result = parseAgentConfig({ optimization: { cacheRules } });
    expect(result.ok ? [] : result.issues).toEqual([{ path: "optimization.cacheRules", message: "must have at most 100 items" }]);
  });

  it("refuses tool globs with more than three stars", () => {
    const result = parseAgentConfig({ trust: { deny: ["a*a*a*a*b"] } });
    expect(result.ok ? [] : result.issues).toEqual([{ path: "trust.deny.0", message: 'must have at most 3 "*"' }]);
  });
});

describe("matching a stored rule at run time", () => {
  it("never runs a risky expression a config stored before the check, so a crafted message cannot hang it", () => {
    // With backtracking this takes minutes; refused, it returns at once.
    expect(matchCacheRulePattern(`${"a".repeat(40)}!`, "(a+)+$")).toBe(false);
    expect(matchCacheRulePattern("x".repeat(5_000), ".*x.*y")).toBe(false);
  });

  it("still matches safe expressions", () => {
    expect(matchCacheRulePattern("What are your opening hours?", "opening hours?")).toBe(true);
  });
});
