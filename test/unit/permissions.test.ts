import { describe, expect, it } from "vitest";
import { prng } from "../support/prng";
import { SEED_PERMISSIONS } from "../support/seed";
import { checkTool, formatLevel, globsForLevel, matchesAny, matchesGlob, type PermissionPolicy } from "../../src/trust/permissions";

function seedPolicy(level: number, deny: readonly string[] = []): PermissionPolicy {
  return { level, permissions: SEED_PERMISSIONS, deny };
}

function allowed(tool: string, policy: PermissionPolicy): boolean {
  return checkTool(tool, policy).allowed;
}

describe("matchesGlob", () => {
  it("matches a trailing * against every name with that prefix", () => {
    expect(matchesGlob("mcp__slack__post", "mcp__*")).toBe(true);
    expect(matchesGlob("mcp__github__x", "mcp__*")).toBe(true);
    expect(matchesGlob("mcp__", "mcp__*")).toBe(true);
  });

  it("does not match a name with another prefix", () => {
    expect(matchesGlob("mcp__github__x", "mcp__slack__*")).toBe(false);
    expect(matchesGlob("xmcp__slack__post", "mcp__slack__*")).toBe(false);
  });

  it("treats * at the start or in the middle as any run of characters", () => {
    expect(matchesGlob("mcp__slack__post", "*__post")).toBe(true);
    expect(matchesGlob("mcp__slack__post", "mcp__*__post")).toBe(true);
    expect(matchesGlob("mcp__github__post", "mcp__*__post")).toBe(true);
    expect(matchesGlob("mcp__slack__read", "mcp__*__post")).toBe(false);
    expect(matchesGlob("mcp__slack__post", "*slack*")).toBe(true);
  });

  it("matches every name, including the empty one, with a lone *", () => {
    for (const tool of ["Read", "Write", "mcp__slack__post", "anything-at-all", ""]) {
      expect(matchesGlob(tool, "*")).toBe(true);
    }
  });

  it("matches a glob without * only against the exact name", () => {
    expect(matchesGlob("Read", "Read")).toBe(true);
    expect(matchesGlob("Write", "Read")).toBe(false);
    expect(matchesGlob("ReadAll", "Read")).toBe(false);
    expect(matchesGlob("MyRead", "Read")).toBe(false);
    expect(matchesGlob("read", "Read")).toBe(false);
  });

  it("treats regular-expression metacharacters in a glob as literal characters", () => {
    expect(matchesGlob("a.b", "a.b")).toBe(true);
    expect(matchesGlob("axb", "a.b")).toBe(false);
    expect(matchesGlob("a+b", "a+b")).toBe(true);
    expect(matchesGlob("aab", "a+b")).toBe(false);
    expect(matchesGlob("ab", "a?b")).toBe(false);
    expect(matchesGlob("a|b", "a|b")).toBe(true);
    expect(matchesGlob("a", "a|b")).toBe(false);
    expect(matchesGlob("(x)", "(x)")).toBe(true);
    expect(matchesGlob("x", "(x)")).toBe(false);
    expect(matchesGlob("[ab]", "[ab]")).toBe(true);
    expect(matchesGlob("a", "[ab]")).toBe(false);
    expect(matchesGlob("a\\b", "a\\b")).toBe(true);
    expect(matchesGlob("$^", "$^")).toBe(true);
    expect(matchesGlob("a{2}", "a{2}")).toBe(true);
    expect(matchesGlob("aa", "a{2}")).toBe(false);
  });

  it("keeps metacharacters literal next to a *", () => {
    expect(matchesGlob("v1.2.3", "v1.*")).toBe(true);
    expect(matchesGlob("v1x2", "v1.*")).toBe(false);
  });
});

describe("matchesAny", () => {
  it("is true when one of the globs matches and false for an empty list", () => {
    expect(matchesAny("Write", ["Read", "Write"])).toBe(true);
    expect(matchesAny("Bash", ["Read", "Write"])).toBe(false);
    expect(matchesAny("Read", [])).toBe(false);
  });
});

describe("globsForLevel", () => {
  it("grants the globs of the highest key at or below the level", () => {
    expect(globsForLevel(0.4, { "0.1": ["Read"], "0.3": ["Read", "mcp__slack__*"] })).toEqual(["Read", "mcp__slack__*"]);
  });

  it("grants a key's globs at exactly that level", () => {
    expect(globsForLevel(0.3, SEED_PERMISSIONS)).toEqual(["Read", "mcp__slack__*"]);
  });

  it("grants nothing below every key", () => {
    expect(globsForLevel(0.05, SEED_PERMISSIONS)).toEqual([]);
    expect(globsForLevel(0, SEED_PERMISSIONS)).toEqual([]);
  });

  it("grants nothing when there are no permissions", () => {
    expect(globsForLevel(1, {})).toEqual([]);
  });

  it("does not depend on the order of the keys", () => {
    const shuffled = { "0.9": ["*"], "0.1": ["Read"], "0.5": ["Read", "Write", "mcp__*"], "0.3": ["Read", "mcp__slack__*"] };
    for (const level of [0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.9, 1]) {
      expect(globsForLevel(level, shuffled)).toEqual(globsForLevel(level, SEED_PERMISSIONS));
    }
  });

  it("reaches a key despite float noise in the level", () => {
    expect(globsForLevel(0.3 + 0.2, SEED_PERMISSIONS)).toEqual(["Read", "Write", "mcp__*"]);
    // 0.7 - 0.2 is 0.49999999999999994: without the slack this level would fall back to "0.3".
    expect(0.7 - 0.2).toBeLessThan(0.5);
    expect(globsForLevel(0.7 - 0.2, SEED_PERMISSIONS)).toEqual(["Read", "Write", "mcp__*"]);
  });

  it("does not treat a level clearly below a key as reaching it", () => {
    expect(globsForLevel(0.4999, SEED_PERMISSIONS)).toEqual(["Read", "mcp__slack__*"]);
  });

  it("reads keys written with different spellings of a number", () => {
    expect(globsForLevel(0.5, { ".5": ["Write"] })).toEqual(["Write"]);
    expect(globsForLevel(0.5, { "0.50": ["Write"] })).toEqual(["Write"]);
    expect(globsForLevel(1, { "1": ["*"] })).toEqual(["*"]);
  });
});

describe("checkTool with the seed's permissions", () => {
  it("allows nothing at 0.05, below the lowest key", () => {
    expect(allowed("Read", seedPolicy(0.05))).toBe(false);
    expect(allowed("mcp__slack__post", seedPolicy(0.05))).toBe(false);
  });

  it("allows only Read at 0.1", () => {
    expect(allowed("Read", seedPolicy(0.1))).toBe(true);
    expect(allowed("mcp__slack__post", seedPolicy(0.1))).toBe(false);
    expect(allowed("Write", seedPolicy(0.1))).toBe(false);
  });

  it("allows Read and the Slack server's tools at 0.3, but not Write or other MCP servers", () => {
    const policy = seedPolicy(0.3);
    expect(allowed("Read", policy)).toBe(true);
    expect(allowed("mcp__slack__post", policy)).toBe(true);
    expect(allowed("Write", policy)).toBe(false);
    expect(allowed("mcp__github__x", policy)).toBe(false);
    expect(allowed("ReadAll", policy)).toBe(false);
  });

  it("allows at 0.4 exactly what 0.3 allows, since nothing new is granted below 0.5", () => {
    for (const tool of ["Read", "Write", "mcp__slack__post", "mcp__github__x", "Bash"]) {
      expect(allowed(tool, seedPolicy(0.4))).toBe(allowed(tool, seedPolicy(0.3)));
    }
    expect(allowed("Write", seedPolicy(0.4))).toBe(false);
  });

  it("allows Write and every MCP tool at 0.5, but not other tools", () => {
    const policy = seedPolicy(0.5);
    expect(allowed("Write", policy)).toBe(true);
    expect(allowed("Read", policy)).toBe(true);
    expect(allowed("mcp__github__x", policy)).toBe(true);
    expect(allowed("mcp__slack__post", policy)).toBe(true);
    expect(allowed("Bash", policy)).toBe(false);
  });

  it("allows any tool at 0.9 and above", () => {
    for (const tool of ["Bash", "Read", "Write", "mcp__github__x", "WebFetch", "anything"]) {
      expect(allowed(tool, seedPolicy(0.9))).toBe(true);
      expect(allowed(tool, seedPolicy(1))).toBe(true);
    }
  });
});

describe("checkTool", () => {
  it("denies a tool on the deny list even where * allows everything", () => {
    expect(checkTool("Bash", seedPolicy(1, ["Bash"]))).toEqual({ allowed: false, reason: 'tool "Bash" is denied for this agent' });
    expect(allowed("mcp__github__delete_repo", seedPolicy(1, ["mcp__github__*"]))).toBe(false);
    expect(allowed("mcp__slack__post", seedPolicy(1, ["mcp__github__*"]))).toBe(true);
  });

  it("denies everything when the deny list holds *", () => {
    expect(allowed("Read", seedPolicy(1, ["*"]))).toBe(false);
  });

  it("explains a refusal by level with the tool and the level", () => {
    expect(checkTool("Write", { level: 0.3, permissions: { "0.3": ["Read"] }, deny: [] })).toEqual({
      allowed: false,
      reason: 'tool "Write" is not allowed at trust level 0.3',
    });
  });

  it("shows the level in the reason without float noise", () => {
    const decision = checkTool("Write", seedPolicy(0.1 + 0.2));
    expect(decision).toEqual({ allowed: false, reason: 'tool "Write" is not allowed at trust level 0.3' });
  });

  it("returns only { allowed: true } when the tool is allowed", () => {
    expect(checkTool("Read", seedPolicy(0.3))).toEqual({ allowed: true });
  });
});

describe("formatLevel", () => {
  it("writes a level as people read it", () => {
    expect(formatLevel(0.3)).toBe("0.3");
    expect(formatLevel(0)).toBe("0");
    expect(formatLevel(1)).toBe("1");
    expect(formatLevel(0.05)).toBe("0.05");
  });

  it("removes float noise", () => {
    expect(formatLevel(0.1 + 0.2)).toBe("0.3");
    expect(formatLevel(0.7 - 0.2)).toBe("0.5");
  });

  it("keeps at most three decimals, rounding to the nearest", () => {
    expect(formatLevel(0.1234)).toBe("0.123");
    expect(formatLevel(0.1236)).toBe("0.124");
    expect(formatLevel(0.99999)).toBe("1");
  });

  it("never writes a negative zero", () => {
    expect(formatLevel(-0.0001)).toBe("0");
  });
});

describe("checkTool properties over random levels and tool names", () => {
  const RUNS = 2000;
  const names = ["Read", "Write", "ReadAll", "Bash", "WebFetch", "mcp__slack__post", "mcp__slack__read", "mcp__github__x", "mcp__", "a.b"];
  const alphabet = "abcXYZ_-.0123";

  function randomName(rand: () => number): string {
    if (rand() < 0.6) return names[Math.floor(rand() * names.length)]!;
    const prefix = ["", "mcp__", "mcp__slack__", "Read"][Math.floor(rand() * 4)]!;
    let suffix = "";
    const length = Math.floor(rand() * 8);
    for (let i = 0; i < length; i++) suffix += alphabet[Math.floor(rand() * alphabet.length)];
    return prefix + suffix;
  }

  /** A deny glob with an independently computed predicate for which names it matches. */
  function randomDeny(rand: () => number): { glob: string; matches: (tool: string) => boolean } {
    const base = randomName(rand);
    const cut = base.slice(0, Math.floor(rand() * (base.length + 1)));
    switch (Math.floor(rand() * 4)) {
      case 0:
        return { glob: base, matches: (t) => t === base };
      case 1:
        return { glob: `${cut}*`, matches: (t) => t.startsWith(cut) };
      case 2:
        return { glob: `*${cut}`, matches: (t) => t.endsWith(cut) };
      default:
        return { glob: "*", matches: () => true };
    }
  }

  /** What the seed's permissions grant, written out by hand. */
  function seedOracle(tool: string, level: number): boolean {
    if (level >= 0.9) return true;
    if (level >= 0.5) return tool === "Read" || tool === "Write" || tool.startsWith("mcp__");
    if (level >= 0.3) return tool === "Read" || tool.startsWith("mcp__slack__");
    if (level >= 0.1) return tool === "Read";
    return false;
  }

  it("never allows a tool that matches a deny glob", () => {
    const rand = prng(0xf0e1a);
    let denied = 0;
    for (let i = 0; i < RUNS; i++) {
      const deny = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => randomDeny(rand));
      const tool = rand() < 0.5 ? randomName(rand) : `${deny[0]!.glob.replace(/\*/g, "")}${randomName(rand)}`;
      const level = rand();
      const decision = checkTool(tool, seedPolicy(level, deny.map((d) => d.glob)));
      if (deny.some((d) => d.matches(tool))) {
        denied += 1;
        expect(decision, `${tool} at ${level} with deny ${deny.map((d) => d.glob).join(",")}`).toMatchObject({ allowed: false });
      }
    }
    // The generator must actually exercise the deny list, or the property proves nothing.
    expect(denied).toBeGreaterThan(RUNS / 10);
  });

  it("agrees with the seed's permissions written out by hand", () => {
    const rand = prng(42);
    for (let i = 0; i < RUNS; i++) {
      const tool = randomName(rand);
      const level = rand();
      expect(allowed(tool, seedPolicy(level)), `${tool} at ${level}`).toBe(seedOracle(tool, level));
    }
  });

  it("is monotonic in the level: a tool allowed at one level is allowed at every higher level", () => {
    const rand = prng(7);
    let allowedPairs = 0;
    for (let i = 0; i < RUNS; i++) {
      const tool = randomName(rand);
      const deny = rand() < 0.3 ? [randomDeny(rand).glob] : [];
      const a = rand();
      const b = a + rand() * (1 - a);
      if (allowed(tool, seedPolicy(a, deny))) {
        allowedPairs += 1;
        expect(allowed(tool, seedPolicy(b, deny)), `${tool} allowed at ${a} but not at ${b}`).toBe(true);
      }
    }
    expect(allowedPairs).toBeGreaterThan(RUNS / 10);
  });
});
