/**
 * The seed's `ClaudeAgent({...})` examples (`seed/vision.txt`) merged into one config, exactly as
 * written there, so tests, docs and `npm run dev` exercise the public config as promised.
 * Two values the seed leaves to the environment are filled in: the Slack webhook
 * (`process.env.SLACK_WEBHOOK`) and the SMTP settings (`emailConfig`).
 */
import type { AgentConfigInput } from "./schema";

/**
 * @example
 * parseAgentConfig(SEED_EXAMPLE_CONFIG).ok; // true
 */
export const SEED_EXAMPLE_CONFIG = {
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
      { similarity: 0.95, ttl: 3600 },
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
    fallback: ["cache", "pattern", "intelligent"],
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
      webhook: "https://hooks.slack.com/services/T000/B000/XXX",
      features: ["progress_tracking", "threading"],
    },
    {
      type: "email",
      smtp: { from: "support@example.com" },
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
} satisfies AgentConfigInput;
