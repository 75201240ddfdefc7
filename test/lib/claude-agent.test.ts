import { describe, expect, it } from "vitest";
import { ClaudeAgent, ConfigError, SEED_EXAMPLE_CONFIG, createForeman } from "../../src/lib";
import { admin } from "../support/agents";

// The SMTP settings the seed leaves to the reader (`smtp: emailConfig`).
const emailConfig = { from: "support@example.com" };

describe("new ClaudeAgent", () => {
  it("takes the seed's config object verbatim, with an id", () => {
    // seed/vision.txt's five `new ClaudeAgent({...})` examples in one object, as written there.
    const agent = new ClaudeAgent({
      id: "seed-agent",
      trust: {
        initial: 0.3,
        rules: [
          { metric: "success_rate", threshold: 0.95, action: "increment", amount: 0.1 },
          { metric: "error_rate", threshold: 0.1, action: "decrement", amount: 0.2 },
        ],
        permissions: {
          0.1: ["Read"],
          0.3: ["Read", "mcp__slack__*"],
          0.5: ["Read", "Write", "mcp__*"],
          0.9: ["*"],
        },
      },
      optimization: {
        enableCache: true,
        cacheRules: [
          { pattern: "greeting", ttl: 86400, response: "Hello! How can I help?" },
          { similarity: 0.95, ttl: 3600 }, // Cache similar requests
        ],
        patterns: {
          autoDetect: true,
          minFrequency: 10,
          confidence: 0.9,
        },
        budget: {
          daily: 50.0,
          perRequest: 1.0,
          alertThreshold: 0.8,
        },
        fallback: [
          "cache", // $0.00
          "pattern", // $0.001
          "intelligent", // $0.05-0.10
        ],
      },
      learning: {
        enabled: true,
        patterns: {
          minOccurrences: 10,
          confidenceThreshold: 0.95,
          timeWindow: "7d",
        },
        capabilities: {
          autoGenerate: true,
          requireApproval: true,
          testCoverage: 0.9,
        },
        deployment: {
          strategy: "canary",
          rolloutPercentage: 10,
          successCriteria: { errorRate: 0.01 },
        },
      },
      channels: [
        {
          type: "slack",
          webhook: process.env.SLACK_WEBHOOK,
          features: ["progress_tracking", "threading"],
        },
        {
          type: "email",
          smtp: emailConfig,
          features: ["attachments", "html"],
        },
        {
          type: "sms",
          provider: "twilio",
          features: ["short_responses"],
        },
      ],
      messageHandling: {
        normalizeInput: true,
        detectUrgency: true,
        maintainContext: true,
      },
      audit: {
        enabled: true,
        level: "detailed",
        compliance: {
          standards: ["SOC2", "HIPAA"],
          piiDetection: true,
          encryption: true,
        },
        retention: {
          duration: "7y",
          storage: "s3://audit-logs",
          format: "json",
        },
        analytics: {
          dashboard: true,
          alerts: ["unusual_activity", "permission_escalation"],
        },
      },
    });
    expect(agent.id).toBe("seed-agent");
    expect(agent.config.trust.permissions).toEqual({ "0.1": ["Read"], "0.3": ["Read", "mcp__slack__*"], "0.5": ["Read", "Write", "mcp__*"], "0.9": ["*"] });
    expect(agent.config.optimization.budget.daily).toBe(50);
    expect(agent.config.channels.map((c) => c.type)).toEqual(["slack", "email", "sms"]);
    expect(agent.config.audit.retention.duration).toBe("7y");
  });

  it("takes systemPrompt, model and tools beside the seed's fields", () => {
    const agent = new ClaudeAgent({ id: "bakery", systemPrompt: "You help Acme Bakery.", model: "claude-haiku-4-5", tools: { builtin: ["Read"] }, ...SEED_EXAMPLE_CONFIG });
    expect(agent.config).toMatchObject({ systemPrompt: "You help Acme Bakery.", model: "claude-haiku-4-5", tools: { builtin: ["Read"] } });
  });

  it("throws a ConfigError listing every problem as path: message, as PUT /v1/agents/:agentId words them", async () => {
    const bad = { trust: { initial: 2 }, optimization: { budget: { daily: -1 } }, channels: [{ type: "fax" }] };
    let error: unknown;
    try {
      new ClaudeAgent({ id: "bad", ...(bad as object) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(Error);
    const res = await admin("/v1/agents/bad-config-compare", { method: "PUT", body: JSON.stringify({ config: bad }) });
    expect(res.status).toBe(400);
    const { error: put } = (await res.json()) as { error: { message: string; details: { issues: unknown[] } } };
    expect((error as ConfigError).message).toBe(put.message);
    expect((error as ConfigError).issues).toEqual(put.details.issues);
    expect((error as ConfigError).message).toContain("trust.initial: must be between 0 and 1");
  });

  it("names a misspelt field, so a setting is never silently ignored", () => {
    expect(() => new ClaudeAgent({ id: "typo", trust: { intial: 0.5 } } as never)).toThrow(`trust: unknown field "intial": did you mean "initial"?`);
  });

  it("refuses an id that cannot be a webhook path or storage key", () => {
    expect(() => new ClaudeAgent({ id: "../admin" })).toThrow("id: agent ids are 1-64 letters, digits, '-' or '_', starting with a letter or digit");
    expect(() => new ClaudeAgent({} as never)).toThrow(/^id: is required/);
  });

  it("refuses secretBindings that do not name worker secrets", () => {
    expect(() => new ClaudeAgent({ id: "s", secretBindings: { http: "not a name" } })).toThrow(/secretBindings\.http: must be the name of a worker secret/);
    expect(() => new ClaudeAgent({ id: "s", secretBindings: { slack: { signingSecret: 3 } } as never })).toThrow(/secretBindings\.slack\.signingSecret/);
  });

  it("lists the id and the config problems together", () => {
    expect(() => new ClaudeAgent({ id: "", trust: { initial: -1 } })).toThrow(/^id: .*; trust\.initial: must be between 0 and 1$/);
  });

  it("createForeman refuses two agents with one id", () => {
    const a = new ClaudeAgent({ id: "twice" });
    expect(() => createForeman({ agents: [a, new ClaudeAgent({ id: "twice" })] })).toThrow('agents.1.id: "twice" is already the id of agents.0: each agent needs its own id');
  });
});
