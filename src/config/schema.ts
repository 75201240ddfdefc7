/**
 * The agent config: the seed's `ClaudeAgent({...})` object field for field (`trust`,
 * `optimization`, `learning`, `channels`, `messageHandling`, `audit`) plus what an agent needs
 * to run (`systemPrompt`, `model`, `tools`). Every object is strict, so a misspelt field is an
 * error rather than a silently ignored setting, and every section defaults in full, so `{}` is
 * a working config.
 */
import { z } from "zod";
import { messageHandlingSchema } from "./message-handling";
import {
  duration,
  email,
  features,
  flag,
  httpUrl,
  intAtLeast,
  intBetween,
  isTimeZone,
  noDuplicates,
  positiveUpTo,
  text,
  toolGlob,
  unit,
} from "./fields";
import { HEADER_MIGRATION, WEBHOOK_MIGRATION, secretRef } from "./credentials";
import { regexRisk, regexRiskMessage } from "./regex-safety";

export { DURATION_MESSAGE, parseDuration } from "./fields";
export { messageHandlingSchema } from "./message-handling";

/** The model an agent uses when its config names none. */
export const DEFAULT_MODEL = "claude-sonnet-5-5";

/** Sent when the daily budget cannot cover a model call; it promises nothing we cannot keep. */
export const DEFAULT_EXHAUSTED_REPLY =
  "Sorry, I can't answer this right now. Please try again later, or reach us another way if it's urgent.";

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------- tools

const mcpServerName = z
  .string()
  .regex(/^[a-z0-9_-]{1,32}$/i, { error: 'must be 1 to 32 letters, digits, "_" or "-"' })
  // Tools are offered as `mcp__<server>__<tool>`: a "__" inside the name would make that ambiguous.
  .refine((name) => !name.includes("__"), { error: 'must not contain "__"' });

/** RFC 9110 field-name token, so a stray colon or space is caught here, not by `fetch`. */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: "must be an HTTP header name" });

export const toolsSchema = z.strictObject({
  builtin: z.array(z.enum(["Read", "Write"])).default(["Read", "Write"]),
  /** Bounds the whole tool loop of one answer (model turns). */
  maxSteps: intBetween(1, 50).default(8),
  /** Remote MCP servers (Streamable HTTP); their tools appear as `mcp__<server>__<tool>`. */
  mcpServers: z
    .record(
      mcpServerName,
      z.strictObject({
        url: httpUrl(),
        /** Sent with every request; each value is a secret of the agent (`{ secret: "mcp_token" }`). */
        headers: z.record(headerName, secretRef(HEADER_MIGRATION)).optional(),
      }),
    )
    .default(() => ({})),
});

// ---------------------------------------------------------------- trust

export const TRUST_METRICS = ["success_rate", "error_rate", "denial_rate", "escalation_rate"] as const;

export const trustRuleSchema = z.strictObject({
  metric: z.enum(TRUST_METRICS),
  threshold: unit(),
  action: z.enum(["increment", "decrement"]),
  amount: positiveUpTo(1),
});

/** JSON object keys are strings, so the seed's `0.1: [...]` arrives as `"0.1"`. */
const LEVEL_KEY_RE = /^(?:\d+(?:\.\d+)?|\.\d+)$/;
const levelKey = z
  .string()
  .refine((key) => LEVEL_KEY_RE.test(key) && Number(key) <= 1, { error: "must be a trust level between 0 and 1" });

const permissionsSchema = z
  .record(levelKey, z.array(toolGlob()))
  .superRefine((permissions, ctx) => {
    // "0.5" and "0.50" are one level; two tool lists for it would make the winner depend on key order.
    const seen = new Map<number, string>();
    for (const key of Object.keys(permissions)) {
      if (!LEVEL_KEY_RE.test(key)) continue;
      const first = seen.get(Number(key));
      if (first === undefined) seen.set(Number(key), key);
      else ctx.addIssue({ code: "custom", path: [key], message: `is the same level as "${first}"` });
    }
  });

export const trustSchema = z.strictObject({
  initial: unit().default(0.3),
  rules: z.array(trustRuleSchema).default((): z.output<typeof trustRuleSchema>[] => [
    { metric: "success_rate", threshold: 0.95, action: "increment", amount: 0.1 },
    { metric: "error_rate", threshold: 0.1, action: "decrement", amount: 0.2 },
  ]),
  /** Level → tool globs; a level grants the list of the highest key at or below it. */
  permissions: permissionsSchema.default((): Record<string, string[]> => ({
    "0.1": ["Read"],
    "0.3": ["Read", "mcp__slack__*"],
    "0.5": ["Read", "Write", "mcp__*"],
    "0.9": ["*"],
  })),
  /** Denied at every level, even under `*`. */
  deny: z.array(toolGlob()).default(() => []),
  /** Tools that run only after a human approves the request through the admin API. */
  ask: z.array(toolGlob()).default(() => []),
  /** Which outcomes the rule metrics are computed over: the last N, optionally only within a duration. */
  window: z
    .strictObject({ outcomes: intBetween(1, 10_000).default(100), duration: duration().optional() })
    .prefault({}),
  /** Outcomes needed since the last level change before any rule may fire. */
  minOutcomes: intAtLeast(1).default(20),
  /** Quiet time after a level change. */
  cooldown: duration(0).default("1h"),
  /** Rules are evaluated at most once per period. */
  evaluationPeriod: duration().default("1m"),
});

// ---------------------------------------------------------------- optimization

export const FALLBACK_TIERS = ["cache", "rule", "exact", "similar", "pattern", "intelligent"] as const;

/** Built-in intent names are plain words, which compile too; this catches broken expressions. */
function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

const patternCacheRule = z.strictObject({
  pattern: text(1_000)
    .refine(compiles, { error: "must be a built-in intent name or a valid regular expression" })
    // Rules run on every customer message: an expression that backtracks badly would let one message hang the worker.
    .superRefine((pattern, ctx) => {
      const risk = compiles(pattern) ? regexRisk(pattern) : null;
      if (risk) ctx.addIssue({ code: "custom", message: regexRiskMessage(risk) });
    }),
  /** Seconds. */
  ttl: intAtLeast(1),
  response: text(10_000),
});

const similarityCacheRule = z.strictObject({
  /** Minimum similarity for a cached answer to be reused. */
  similarity: positiveUpTo(1),
  /** Seconds. */
  ttl: intAtLeast(1),
  /**
   * Model answers to other phrasings that must agree with a stored answer before it answers
   * paraphrases (0 serves at once). A disagreeing answer marks the entry contested for good.
   */
  confirmations: z.number().int().min(0).max(10).default(1),
});

export const cacheRuleSchema = z.union([patternCacheRule, similarityCacheRule], {
  error: "must be { pattern, ttl, response } or { similarity, ttl }",
});

export const budgetSchema = z
  .strictObject({
    /** USD per calendar day, a hard cap on spent + reserved; 0 allows no model spend at all. */
    daily: z.number().min(0, { error: "must be at least 0" }).default(50),
    /** USD for one whole answer, tool loop included. */
    perRequest: z.number().gt(0, { error: "must be greater than 0" }).default(1),
    /** Share of `daily` at which a `budget_threshold` alert fires. */
    alertThreshold: unit().default(0.8),
    /** Where the budget day starts; UTC when unset. */
    timeZone: z.string().refine(isTimeZone, { error: 'must be an IANA time zone like "Europe/Berlin"' }).optional(),
    exhaustedReply: text(1_600).default(DEFAULT_EXHAUSTED_REPLY),
  })
  .superRefine((budget, ctx) => {
    if (budget.daily > 0 && budget.perRequest > budget.daily) {
      ctx.addIssue({ code: "custom", path: ["perRequest"], message: `must not exceed daily (${budget.daily}): one answer could spend more than the whole day; lower perRequest or raise daily` });
    }
  });

export const optimizationSchema = z.strictObject({
  enableCache: flag(true),
  /** Every pattern rule is tried on every message, so their number is bounded too. */
  cacheRules: z.array(cacheRuleSchema).max(100).default(() => []),
  patterns: z
    .strictObject({ autoDetect: flag(true), minFrequency: intAtLeast(1).default(10), confidence: unit().default(0.9) })
    .prefault({}),
  budget: budgetSchema.prefault({}),
  /** Tiers tried in order; the first that answers wins. */
  fallback: z
    .array(z.enum(FALLBACK_TIERS))
    .min(1, { error: "must list at least one tier" })
    .superRefine(noDuplicates("tier"))
    .default(["cache", "pattern", "intelligent"]),
  /** Sends requests the config marks simple to a cheaper model. */
  routing: z.strictObject({ simpleModel: text(200), maxChars: intAtLeast(1).optional() }).optional(),
});

// ---------------------------------------------------------------- learning

export const learningSchema = z.strictObject({
  enabled: flag(false),
  patterns: z
    .strictObject({
      minOccurrences: intAtLeast(2).default(10),
      confidenceThreshold: unit().default(0.95),
      timeWindow: duration().default("7d"),
    })
    .prefault({}),
  capabilities: z
    .strictObject({ autoGenerate: flag(true), requireApproval: flag(true), testCoverage: unit().default(0.9) })
    .prefault({}),
  deployment: z
    .strictObject({
      strategy: z.enum(["canary", "immediate", "shadow"]).default("canary"),
      rolloutPercentage: positiveUpTo(100).default(10),
      successCriteria: z
        .strictObject({ errorRate: unit().default(0.01), minSamples: intAtLeast(1).optional() })
        .prefault({}),
    })
    .prefault({}),
});

// ---------------------------------------------------------------- channels

export const CHANNEL_TYPES = ["slack", "email", "sms", "http"] as const;

const slackChannel = z.strictObject({
  type: z.literal("slack"),
  webhook: httpUrl().optional(),
  features: features(["progress_tracking", "threading"]),
});

/** An address, `*@domain` or a bare domain; matching is the email adapter's job. */
const senderPattern = text(254);

const emailChannel = z.strictObject({
  type: z.literal("email"),
  smtp: z
    .strictObject({
      from: email().optional(),
      replyTo: email().optional(),
      host: text(253).optional(),
      port: intBetween(1, 65_535).optional(),
      allow: z.array(senderPattern).optional(),
      deny: z.array(senderPattern).optional(),
    })
    .optional(),
  features: features(["attachments", "html"]),
});

const smsChannel = z.strictObject({
  type: z.literal("sms"),
  provider: z.literal("twilio").default("twilio"),
  features: features(["short_responses"]),
  /** Upper bound on segments per reply (each is billed). */
  maxSegments: intBetween(1, 10).optional(),
});

const httpChannel = z.strictObject({
  type: z.literal("http"),
  features: z.array(z.never({ error: "the http channel has no features" })).default(() => []),
});

export const channelSchema = z.discriminatedUnion("type", [slackChannel, emailChannel, smsChannel, httpChannel], {
  error: (iss) =>
    iss.code === "invalid_union" ? `must be one of ${CHANNEL_TYPES.map((t) => `"${t}"`).join(", ")}` : undefined,
});

export const channelsSchema = z
  .array(channelSchema)
  .superRefine((channels, ctx) => {
    // One adapter per provider holds one set of credentials and one webhook URL.
    channels.forEach((channel, i) => {
      if (channels.findIndex((c) => c.type === channel.type) !== i) {
        ctx.addIssue({ code: "custom", path: [i, "type"], message: `only one "${channel.type}" channel is allowed` });
      }
    });
  })
  .default(() => []);

// ---------------------------------------------------------------- audit

export const AUDIT_ALERTS = ["unusual_activity", "permission_escalation", "budget_threshold", "budget_exhausted"] as const;

export const auditSchema = z.strictObject({
  enabled: flag(true),
  level: z.enum(["minimal", "standard", "detailed"]).default("standard"),
  compliance: z
    .strictObject({
      standards: z.array(z.enum(["SOC2", "HIPAA"])).default(() => []),
      piiDetection: flag(true),
      encryption: flag(false),
    })
    .prefault({}),
  retention: z
    .strictObject({
      // A day at least: in a duration "m" is minutes, and "1m" must not delete a month's audit trail.
      duration: duration(DAY_MS, 'must be at least "1d" ("m" means minutes)').default("90d"),
      /** The seed's `s3://bucket` form is accepted; on Cloudflare the archive is the R2 bucket binding. */
      storage: z
        .string()
        .regex(/^(?:s3|r2):\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:\/\S*)?$/, {
          error: 'must be a bucket URL like "r2://audit-logs" or "s3://audit-logs"',
        })
        .optional(),
      format: z.literal("json").default("json"),
    })
    .prefault({}),
  analytics: z
    .strictObject({
      dashboard: flag(true),
      alerts: z.array(z.enum(AUDIT_ALERTS)).default(["unusual_activity", "permission_escalation"]),
    })
    .prefault({}),
  /** Where alerts are sent besides the alert list; one of the two. The Slack URL is a secret (it holds Slack's token). */
  alertChannel: z
    .union([z.strictObject({ slackWebhook: secretRef(WEBHOOK_MIGRATION) }), z.strictObject({ email: email() })], {
      error: 'must be { slackWebhook: { secret: "<name>" } } or { email: "<address>" }',
    })
    .optional(),
});

// ---------------------------------------------------------------- the whole config

/**
 * The whole agent config. Parse with `parseAgentConfig` for `path: rule` messages.
 *
 * @example
 * const config = agentConfigSchema.parse({ trust: { initial: 0.5 } });
 * config.optimization.budget.daily; // 50
 */
export const agentConfigSchema = z.strictObject({
  name: text(100).optional(),
  systemPrompt: z.string().max(100_000, { error: "must be at most 100000 characters" }).optional(),
  model: text(200).default(DEFAULT_MODEL),
  maxTokens: intBetween(1, 64_000).default(1_024),
  tools: toolsSchema.prefault({}),
  trust: trustSchema.prefault({}),
  optimization: optimizationSchema.prefault({}),
  learning: learningSchema.prefault({}),
  channels: channelsSchema,
  messageHandling: messageHandlingSchema.prefault({}),
  audit: auditSchema.prefault({}),
}).superRefine((config, ctx) => {
  // The cost side sets the floor the learning side must meet (see `parseAgentConfig`).
  const cost = config.optimization.patterns;
  const learned = config.learning.patterns;
  if (learned.confidenceThreshold < cost.confidence) {
    ctx.addIssue({
      code: "custom",
      path: ["learning", "patterns", "confidenceThreshold"],
      message: `must be at least optimization.patterns.confidence (${cost.confidence}): patterns would be proven to less precision than the cost settings allow; raise it or lower optimization.patterns.confidence`,
    });
  }
  if (learned.minOccurrences < cost.minFrequency) {
    ctx.addIssue({
      code: "custom",
      path: ["learning", "patterns", "minOccurrences"],
      message: `must be at least optimization.patterns.minFrequency (${cost.minFrequency}): raise it or lower optimization.patterns.minFrequency`,
    });
  }
  if (config.learning.enabled && !config.optimization.fallback.includes("pattern")) {
    ctx.addIssue({
      code: "custom",
      path: ["optimization", "fallback"],
      message: 'must include "pattern" while learning.enabled is on, or learned patterns could never answer; add it before "intelligent", or turn learning off',
    });
  }
});

/** A validated config with every default filled in. */
export type AgentConfig = z.output<typeof agentConfigSchema>;
/** What a user may write: every section and most fields optional. */
export type AgentConfigInput = z.input<typeof agentConfigSchema>;

export type ToolsConfig = AgentConfig["tools"];
export type TrustConfig = AgentConfig["trust"];
export type TrustRule = TrustConfig["rules"][number];
export type TrustMetric = (typeof TRUST_METRICS)[number];
export type OptimizationConfig = AgentConfig["optimization"];
export type CacheRule = OptimizationConfig["cacheRules"][number];
export type BudgetConfig = OptimizationConfig["budget"];
export type FallbackTier = (typeof FALLBACK_TIERS)[number];
export type LearningConfig = AgentConfig["learning"];
export type ChannelConfig = AgentConfig["channels"][number];
export type ChannelType = ChannelConfig["type"];
export type MessageHandlingConfig = AgentConfig["messageHandling"];
export type AuditConfig = AgentConfig["audit"];
export type AuditAlert = (typeof AUDIT_ALERTS)[number];
