import { describe, it, expect } from "vitest";
import {
  ConfigError,
  DEFAULT_EXHAUSTED_REPLY,
  DEFAULT_MODEL,
  DURATION_MESSAGE,
  SEED_EXAMPLE_CONFIG,
  defineAgent,
  formatIssues,
  parseAgentConfig,
  parseDuration,
  permissionLevels,
  type AgentConfig,
  type ConfigIssue,
} from "../../src/config";

/** Parses input that must be valid and returns the config. */
function valid(input: unknown): AgentConfig {
  const result = parseAgentConfig(input);
  if (!result.ok) throw new Error(`expected a valid config, got: ${formatIssues(result.issues)}`);
  return result.config;
}

/** Parses input that must be invalid and returns its issues. */
function invalid(input: unknown): ConfigIssue[] {
  const result = parseAgentConfig(input);
  if (result.ok) throw new Error("expected the config to be rejected");
  return result.issues;
}

describe("the seed example", () => {
  it("parses and keeps every value the seed writes", () => {
    const config = valid(SEED_EXAMPLE_CONFIG);
    const seed = SEED_EXAMPLE_CONFIG;
    expect(config.trust).toMatchObject({
      initial: seed.trust.initial,
      rules: seed.trust.rules,
      permissions: { "0.1": ["Read"], "0.3": ["Read", "mcp__slack__*"], "0.5": ["Read", "Write", "mcp__*"], "0.9": ["*"] },
    });
    expect(config.optimization).toMatchObject(seed.optimization);
    expect(config.learning).toMatchObject(seed.learning);
    expect(config.channels).toEqual(seed.channels);
    expect(config.messageHandling).toMatchObject(seed.messageHandling);
    expect(config.audit).toMatchObject(seed.audit);
  });

  it("is accepted by defineAgent as TypeScript, numeric permission keys included", () => {
    const config = defineAgent({ trust: { permissions: { 0.1: ["Read"], 1: ["*"] } } });
    expect(Object.keys(config.trust.permissions).sort()).toEqual(["0.1", "1"]);
  });
});

describe("defaults", () => {
  it("turns {} into a complete config", () => {
    const config = valid({});
    expect(config).toEqual({
      model: DEFAULT_MODEL,
      maxTokens: 1024,
      tools: { builtin: ["Read", "Write"], maxSteps: 8, mcpServers: {} },
      trust: {
        initial: 0.3,
        rules: [
          { metric: "success_rate", threshold: 0.95, action: "increment", amount: 0.1 },
          { metric: "error_rate", threshold: 0.1, action: "decrement", amount: 0.2 },
        ],
        permissions: { "0.1": ["Read"], "0.3": ["Read", "mcp__slack__*"], "0.5": ["Read", "Write", "mcp__*"], "0.9": ["*"] },
        deny: [],
        ask: [],
        window: { outcomes: 100 },
        minOutcomes: 20,
        cooldown: "1h",
        evaluationPeriod: "1m",
      },
      optimization: {
        enableCache: true,
        cacheRules: [],
        patterns: { autoDetect: true, minFrequency: 10, confidence: 0.9 },
        budget: { daily: 50, perRequest: 1, alertThreshold: 0.8, exhaustedReply: DEFAULT_EXHAUSTED_REPLY },
        fallback: ["cache", "pattern", "intelligent"],
      },
      learning: {
        enabled: false,
        patterns: { minOccurrences: 10, confidenceThreshold: 0.95, timeWindow: "7d" },
        capabilities: { autoGenerate: true, requireApproval: true, testCoverage: 0.9 },
        deployment: { strategy: "canary", rolloutPercentage: 10, successCriteria: { errorRate: 0.01 } },
      },
      channels: [],
      messageHandling: {
        normalizeInput: true,
        detectUrgency: true,
        urgencyAlert: "critical",
        maintainContext: true,
        contextTurns: 10,
        rateLimits: { perSender: { messages: 30, window: "10m" }, perAgent: { messages: 600, window: "1m" } },
      },
      audit: {
        enabled: true,
        level: "standard",
        compliance: { standards: [], piiDetection: true, encryption: false },
        retention: { duration: "90d", format: "json" },
        analytics: { dashboard: true, alerts: ["unusual_activity", "permission_escalation"] },
      },
    });
  });

  it("fills the rest of a section that is given in part", () => {
    const config = valid({ optimization: { budget: { daily: 5 } }, channels: [{ type: "slack" }] });
    expect(config.optimization.budget).toMatchObject({ daily: 5, perRequest: 1, alertThreshold: 0.8 });
    expect(config.optimization.fallback).toEqual(["cache", "pattern", "intelligent"]);
    expect(config.channels).toEqual([{ type: "slack", features: [] }]);
  });

  it("gives each parse its own default lists", () => {
    const first = valid({});
    first.trust.rules.push({ metric: "denial_rate", threshold: 0.5, action: "decrement", amount: 0.1 });
    first.trust.permissions["0.9"]?.push("Write");
    const second = valid({});
    expect(second.trust.rules).toHaveLength(2);
    expect(second.trust.permissions["0.9"]).toEqual(["*"]);
  });
});

describe("error messages", () => {
  it("names the path and the rule for trust.initial: 2, and nothing else", () => {
    expect(invalid({ trust: { initial: 2 } })).toEqual([{ path: "trust.initial", message: "must be between 0 and 1" }]);
  });

  it("rejects an unknown field, naming it", () => {
    expect(invalid({ trust: { intial: 0.5 } })).toEqual([{ path: "trust", message: 'unknown field "intial": did you mean "initial"?' }]);
    expect(invalid({ budget: {} })).toEqual([{ path: "(root)", message: 'unknown field "budget"' }]);
    expect(invalid({ optimisation: {} })).toEqual([{ path: "(root)", message: 'unknown field "optimisation": did you mean "optimization"?' }]);
    expect(invalid({ optimization: { budget: { dialy: 5 } } })).toEqual([
      { path: "optimization.budget", message: 'unknown field "dialy": did you mean "daily"?' },
    ]);
    expect(invalid({ channels: [{ type: "sms", maxSegment: 2 }] })).toEqual([
      { path: "channels.0", message: 'unknown field "maxSegment": did you mean "maxSegments"?' },
    ]);
  });

  it("says which type was expected", () => {
    expect(invalid({ maxTokens: "1024" })).toEqual([{ path: "maxTokens", message: "expected number, received string" }]);
    expect(invalid({ trust: { minOutcomes: 2.5 } })).toEqual([{ path: "trust.minOutcomes", message: "must be a whole number" }]);
    expect(invalid("config")).toEqual([{ path: "(root)", message: "expected object, received string" }]);
  });

  it("lists the allowed options for an enum", () => {
    expect(invalid({ audit: { level: "verbose" } })).toEqual([
      { path: "audit.level", message: 'must be one of "minimal", "standard", "detailed"' },
    ]);
  });

  it("reports array items by index", () => {
    expect(invalid({ trust: { rules: [{ metric: "success_rate", threshold: 0.9, action: "increment", amount: 0 }] } })).toEqual([
      { path: "trust.rules.0.amount", message: "must be greater than 0 and at most 1" },
    ]);
  });

  it("reports every problem, not only the first", () => {
    const issues = invalid({ trust: { initial: -1 }, maxTokens: 0, learning: { deployment: { rolloutPercentage: 0 } } });
    expect(issues.map((i) => i.path)).toEqual(["maxTokens", "trust.initial", "learning.deployment.rolloutPercentage"]);
  });
});

describe("trust permissions", () => {
  it("accepts level keys from 0 to 1 as JSON writes them", () => {
    const config = valid({ trust: { permissions: { "0": [], ".5": ["Read"], "1.0": ["*"] } } });
    expect(Object.keys(config.trust.permissions)).toEqual(["0", ".5", "1.0"]);
  });

  it("rejects a level above 1 with a path naming the key", () => {
    expect(invalid({ trust: { permissions: { "1.5": ["*"] } } })).toEqual([
      { path: 'trust.permissions["1.5"]', message: "must be a trust level between 0 and 1" },
    ]);
  });

  it("rejects a key that is not a number with a path naming the key", () => {
    expect(invalid({ trust: { permissions: { abc: ["Read"] } } })).toEqual([
      { path: "trust.permissions.abc", message: "must be a trust level between 0 and 1" },
    ]);
  });

  it("rejects two spellings of the same level", () => {
    expect(invalid({ trust: { permissions: { "0.5": ["Read"], "0.50": ["*"] } } })).toEqual([
      { path: 'trust.permissions["0.50"]', message: 'is the same level as "0.5"' },
    ]);
  });

  it("rejects a tool glob with characters outside the allowed set", () => {
    const [issue] = invalid({ trust: { permissions: { "0.3": ["Read", "mcp slack"] } } });
    expect(issue?.path).toBe('trust.permissions["0.3"].1');
  });

  it("lists levels ascending with their keys parsed", () => {
    const config = valid({ trust: { permissions: { "0.9": ["*"], "0.1": ["Read"], "0.5": ["Write"] } } });
    expect(permissionLevels(config)).toEqual([
      { level: 0.1, tools: ["Read"] },
      { level: 0.5, tools: ["Write"] },
      { level: 0.9, tools: ["*"] },
    ]);
  });
});

describe("durations", () => {
  it("converts each unit to milliseconds", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("90d")).toBe(90 * 86_400_000);
    expect(parseDuration("2w")).toBe(14 * 86_400_000);
    expect(parseDuration("7y")).toBe(7 * 365 * 86_400_000);
  });

  it("throws a RangeError for strings that are not durations", () => {
    for (const bad of ["", "7", "7 d", "1.5h", "7Y", "-1d", "1mo"]) {
      expect(() => parseDuration(bad), bad).toThrow(RangeError);
    }
  });

  it("rejects a malformed duration in the config with the duration rule", () => {
    expect(invalid({ audit: { retention: { duration: "7 years" } } })).toEqual([
      { path: "audit.retention.duration", message: DURATION_MESSAGE },
    ]);
  });

  it("rejects a retention shorter than a day, since m means minutes", () => {
    expect(invalid({ audit: { retention: { duration: "6m" } } })).toEqual([
      { path: "audit.retention.duration", message: 'must be at least "1d" ("m" means minutes)' },
    ]);
  });

  it("allows a zero cooldown but not a zero evaluation period", () => {
    expect(valid({ trust: { cooldown: "0s" } }).trust.cooldown).toBe("0s");
    expect(invalid({ trust: { evaluationPeriod: "0s" } })).toEqual([
      { path: "trust.evaluationPeriod", message: "must be longer than 0" },
    ]);
  });
});

describe("optimization.patterns and learning.patterns", () => {
  it("reads the cost side as the learning side's defaults", () => {
    const config = valid({ optimization: { patterns: { minFrequency: 25, confidence: 0.98 } } });
    expect(config.learning.patterns).toMatchObject({ minOccurrences: 25, confidenceThreshold: 0.98 });
    // A looser cost-side confidence leaves the learning default (0.95) in place.
    expect(valid({ optimization: { patterns: { confidence: 0.8 } } }).learning.patterns.confidenceThreshold).toBe(0.95);
    // The seed sets both, compatibly.
    expect(valid(SEED_EXAMPLE_CONFIG).learning.patterns).toMatchObject({ minOccurrences: 10, confidenceThreshold: 0.95 });
  });

  it("reads the learning side as the cost side's defaults, so either side alone works", () => {
    const config = valid({ learning: { patterns: { minOccurrences: 5, confidenceThreshold: 0.85 } } });
    expect(config.optimization.patterns).toMatchObject({ minFrequency: 5, confidence: 0.85 });
    expect(valid({ learning: { patterns: { confidenceThreshold: 0.97 } } }).optimization.patterns.confidence).toBe(0.9);
  });

  it("rejects a learning side looser than the cost side, naming both fields", () => {
    const issues = invalid({ optimization: { patterns: { minFrequency: 20, confidence: 0.97 } }, learning: { patterns: { minOccurrences: 5, confidenceThreshold: 0.9 } } });
    expect(issues.map((i) => i.path).sort()).toEqual(["learning.patterns.confidenceThreshold", "learning.patterns.minOccurrences"]);
    expect(issues.find((i) => i.path === "learning.patterns.confidenceThreshold")?.message).toContain("optimization.patterns.confidence (0.97)");
  });

  it("rejects learning on with no pattern tier in the fallback chain", () => {
    const [issue] = invalid({ learning: { enabled: true }, optimization: { fallback: ["cache", "intelligent"] } });
    expect(issue).toMatchObject({ path: "optimization.fallback" });
    expect(issue!.message).toContain('"pattern"');
    expect(valid({ optimization: { fallback: ["cache", "intelligent"] } }).learning.enabled).toBe(false);
  });

  it("leaves garbage in either section to the schema's own messages", () => {
    expect(invalid({ optimization: { patterns: { minFrequency: 10 } }, learning: "yes" })[0]!.path).toBe("learning");
    expect(invalid({ optimization: { patterns: { minFrequency: 10 } }, learning: { patterns: 3 } })[0]!.path).toBe("learning.patterns");
  });
});

describe("optimization", () => {
  it("rejects a fallback tier listed twice", () => {
    expect(invalid({ optimization: { fallback: ["cache", "intelligent", "cache"] } })).toEqual([
      { path: "optimization.fallback.2", message: 'duplicate tier "cache"' },
    ]);
  });

  it("rejects an empty fallback chain", () => {
    expect(invalid({ optimization: { fallback: [] } })).toEqual([
      { path: "optimization.fallback", message: "must list at least one tier" },
    ]);
  });

  it("rejects a per-request budget above the daily budget", () => {
    expect(invalid({ optimization: { budget: { daily: 5, perRequest: 10 } } })).toEqual([
      { path: "optimization.budget.perRequest", message: "must not exceed daily (5): one answer could spend more than the whole day; lower perRequest or raise daily" },
    ]);
  });

  it("allows any per-request budget when the daily budget is 0", () => {
    expect(valid({ optimization: { budget: { daily: 0, perRequest: 10 } } }).optimization.budget.daily).toBe(0);
  });

  it("rejects an unknown time zone", () => {
    expect(invalid({ optimization: { budget: { timeZone: "Mars/Olympus" } } })).toEqual([
      { path: "optimization.budget.timeZone", message: 'must be an IANA time zone like "Europe/Berlin"' },
    ]);
    expect(valid({ optimization: { budget: { timeZone: "Europe/Berlin" } } }).optimization.budget.timeZone).toBe("Europe/Berlin");
  });

  it("reports a cache rule's error in the rule shape it matches", () => {
    expect(invalid({ optimization: { cacheRules: [{ pattern: "greeting", ttl: "1d", response: "Hi" }] } })).toEqual([
      { path: "optimization.cacheRules.0.ttl", message: "expected number, received string" },
    ]);
    expect(invalid({ optimization: { cacheRules: [{ similarity: 1.2, ttl: 60 }] } })).toEqual([
      { path: "optimization.cacheRules.0.similarity", message: "must be greater than 0 and at most 1" },
    ]);
  });

  it("rejects a cache rule that fits neither shape", () => {
    expect(invalid({ optimization: { cacheRules: [{ ttl: 60 }] } })).toEqual([
      { path: "optimization.cacheRules.0", message: "must be { pattern, ttl, response } or { similarity, ttl }" },
    ]);
    expect(invalid({ optimization: { cacheRules: [{ pattern: "greeting", similarity: 0.9, ttl: 60 }] } })).toEqual([
      { path: "optimization.cacheRules.0", message: 'unknown field "pattern"' },
    ]);
  });

  it("rejects a cache pattern that is not a valid regular expression", () => {
    expect(invalid({ optimization: { cacheRules: [{ pattern: "(refund", ttl: 60, response: "x" }] } })[0]?.path).toBe(
      "optimization.cacheRules.0.pattern",
    );
  });
});

describe("channels", () => {
  it("rejects two Slack channels", () => {
    expect(invalid({ channels: [{ type: "slack" }, { type: "slack", features: ["threading"] }] })).toEqual([
      { path: "channels.1.type", message: 'only one "slack" channel is allowed' },
    ]);
  });

  it("rejects an unknown channel type", () => {
    expect(invalid({ channels: [{ type: "fax" }] })).toEqual([
      { path: "channels.0.type", message: 'must be one of "slack", "email", "sms", "http"' },
    ]);
  });

  it("rejects a feature the channel does not have", () => {
    expect(invalid({ channels: [{ type: "sms", features: ["threading"] }] })).toEqual([
      { path: "channels.0.features.0", message: 'must be "short_responses"' },
    ]);
  });

  it("defaults the SMS provider to Twilio and bounds its segments", () => {
    expect(valid({ channels: [{ type: "sms" }] }).channels).toEqual([{ type: "sms", provider: "twilio", features: [] }]);
    expect(invalid({ channels: [{ type: "sms", maxSegments: 11 }] })[0]).toEqual({
      path: "channels.0.maxSegments",
      message: "must be between 1 and 10",
    });
  });

  it("checks email addresses in the SMTP settings", () => {
    expect(invalid({ channels: [{ type: "email", smtp: { from: "support" } }] })).toEqual([
      { path: "channels.0.smtp.from", message: "must be an email address" },
    ]);
  });
});

describe("tools and audit", () => {
  it("accepts MCP servers by name and rejects names that would break mcp__<server>__<tool>", () => {
    const config = valid({ tools: { mcpServers: { slack: { url: "https://mcp.example.com/mcp", headers: { Authorization: { secret: "mcp_slack" } } } } } });
    expect(config.tools.mcpServers.slack?.url).toBe("https://mcp.example.com/mcp");
    expect(invalid({ tools: { mcpServers: { my__slack: { url: "https://mcp.example.com" } } } })).toEqual([
      { path: "tools.mcpServers.my__slack", message: 'must not contain "__"' },
    ]);
    expect(invalid({ tools: { mcpServers: { slack: { url: "ftp://mcp.example.com" } } } })).toEqual([
      { path: "tools.mcpServers.slack.url", message: "must be an http(s) URL" },
    ]);
  });

  it("accepts s3:// and r2:// archive URLs and rejects others", () => {
    expect(valid({ audit: { retention: { storage: "r2://audit-logs" } } }).audit.retention.storage).toBe("r2://audit-logs");
    expect(invalid({ audit: { retention: { storage: "gs://audit-logs" } } })[0]?.path).toBe("audit.retention.storage");
  });

  it("takes a Slack webhook or an email address as the alert channel, not both", () => {
    expect(valid({ audit: { alertChannel: { email: "ops@example.com" } } }).audit.alertChannel).toEqual({ email: "ops@example.com" });
    expect(valid({ audit: { alertChannel: { slackWebhook: { secret: "alert_webhook" } } } }).audit.alertChannel).toEqual({ slackWebhook: { secret: "alert_webhook" } });
    expect(invalid({ audit: { alertChannel: { email: "ops@example.com", slackWebhook: { secret: "alert_webhook" } } } })).toEqual([
      { path: "audit.alertChannel", message: 'must be { slackWebhook: { secret: "<name>" } } or { email: "<address>" }' },
    ]);
  });
});

describe("defineAgent", () => {
  it("returns the config with defaults filled in", () => {
    expect(defineAgent({ systemPrompt: "You help Acme Bakery." }).trust.initial).toBe(0.3);
  });

  it("throws a ConfigError whose message lists every issue", () => {
    let caught: unknown;
    try {
      defineAgent({ trust: { initial: 2 }, optimization: { budget: { daily: 5, perRequest: 10 } } });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.name).toBe("ConfigError");
    expect(error.code).toBe("invalid_config");
    expect(error.message).toBe("trust.initial: must be between 0 and 1; optimization.budget.perRequest: must not exceed daily (5): one answer could spend more than the whole day; lower perRequest or raise daily");
    expect(error.issues).toHaveLength(2);
  });
});
