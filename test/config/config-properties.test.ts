import { describe, expect, it } from "vitest";
import { parseAgentConfig, privateHostReason } from "../../src/config";
import { regexRisk } from "../../src/config/regex-safety";
import { prng } from "../support/prng";

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function compiles(pattern: string): boolean {
  for (const flags of ["iu", "i"]) {
    try {
      new RegExp(pattern, flags);
      return true;
    } catch {
      // try the next flags
    }
  }
  return false;
}

describe("regexRisk on generated expressions", () => {
  const TOKENS = ["a", "b", "x", ".", "*", "+", "?", "|", "(", ")", "(?:", "(?=", "(?<n>", "[a-z]", "[^a]", "[]", "[^]", "\\d", "\\w", "\\s", "\\p{L}", "{1,3}", "{2}", "{2,}", "^", "$", "\\1", "\\b", "\\k<n>", "\\u0041", "\\x41", "-", "]", "{"];

  it("judges every expression that compiles without throwing", () => {
    const random = prng(7);
    let judged = 0;
    for (let i = 0; i < 5_000; i++) {
      const pattern = Array.from({ length: 1 + Math.floor(random() * 10) }, () => pick(random, TOKENS)).join("");
      if (!compiles(pattern)) continue;
      judged += 1;
      const risk = regexRisk(pattern);
      expect(risk === null || typeof risk.kind === "string", pattern).toBe(true);
    }
    expect(judged).toBeGreaterThan(500);
  });

  it("refuses every generated nesting of a varying repeat inside a repeat", () => {
    const random = prng(11);
    for (let i = 0; i < 500; i++) {
      const inner = `${pick(random, ["a", "\\d", "[a-z]", "."])}${pick(random, ["+", "*", "?", "{1,3}", "{2,}"])}`;
      const pattern = `(?:${pick(random, ["", "b"])}${inner})${pick(random, ["+", "*", "{2,}", "{1,9}"])}`;
      expect(regexRisk(pattern)?.kind, pattern).toBe("nested_repeat");
    }
  });
});

describe("private hosts in every IPv4 spelling", () => {
  it("judges the decimal, hex and octal forms of an address like its dotted form", () => {
    const random = prng(3);
    const samples = [0x7f000001, 0xa9fea9fe, 0x0a000001, 0xac100001, 0xc0a80101, 0x64400001, 0, 0x08080808, 0x01010101];
    for (let i = 0; i < 300; i++) samples.push(Math.floor(random() * 2 ** 32));
    for (const n of samples) {
      const octets = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
      const dotted = octets.join(".");
      const expected = privateHostReason(dotted);
      for (const form of [String(n), `0x${n.toString(16)}`, octets.map((o) => `0${o.toString(8)}`).join("."), `${octets[0]}.${(n & 0xffffff) >>> 0}`]) {
        expect(privateHostReason(new URL(`https://${form}/`).hostname), `${form} (${dotted})`).toBe(expected);
      }
    }
  });
});

describe("parseAgentConfig on generated input", () => {
  const KEYS = ["trust", "optimization", "budget", "perRequest", "daily", "cacheRules", "pattern", "ttl", "response", "tools", "mcpServers", "url", "headers", "secret", "audit", "alertChannel", "slackWebhook", "channels", "type", "model", "maxTokens", "__proto__", "constructor"];
  function value(random: () => number, depth: number): unknown {
    const kind = Math.floor(random() * (depth > 3 ? 5 : 7));
    switch (kind) {
      case 0:
        return null;
      case 1:
        return random() * 200 - 100;
      case 2:
        return random() < 0.5;
      case 3:
        return pick(random, ["", "a", "(a+)+$", "http://127.0.0.1/", "https://mcp.example.com", "slack", "1d", "claude-sonnet-5-5"]);
      case 4:
        return undefined;
      case 5:
        return Array.from({ length: Math.floor(random() * 3) }, () => value(random, depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(random, KEYS), value(random, depth + 1)]));
    }
  }

  it("answers every input with a config or issues that each name a path, never by throwing", () => {
    const random = prng(5);
    for (let i = 0; i < 2_000; i++) {
      const input = value(random, 0);
      const result = parseAgentConfig(input);
      if (!result.ok) {
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) expect(issue.path.length * issue.message.length).toBeGreaterThan(0);
      }
    }
  });
});
