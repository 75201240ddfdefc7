import { ClaudeAgent, createForeman } from "foreman-agents";

// The SMTP settings the seed's config leaves to the reader (`smtp: emailConfig`).
const emailConfig = { from: "support@shop.example" };

/**
 * The shop's agent: the five `new ClaudeAgent({...})` examples of Foreman's vision in one config,
 * as written there, with what an agent needs to run beside them (`id`, `systemPrompt`, and the
 * worker secrets that hold its channels' secrets).
 */
export const shop = new ClaudeAgent({
  id: "shop",
  systemPrompt: "You answer customers of Acme Shop: opening hours, orders, delivery and returns. Be brief and friendly.",
  secretBindings: { http: "SHOP_HTTP_SECRET" },
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

// Webhooks, the admin API (/v1/...), the dashboard, the queue consumers and the crons.
export default createForeman({ agents: [shop] });

// wrangler.toml's Durable Object bindings name these classes: the worker exports them.
export { AgentState, Conversation, VectorIndexObject } from "foreman-agents";
