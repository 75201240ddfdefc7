/**
 * `foreman-agents`: Foreman as a library for a Cloudflare Worker of one's own. What this file
 * exports is the package's public surface (docs/library.md); everything else is internal.
 *
 * @example
 * import { ClaudeAgent, createForeman } from "foreman-agents";
 * export { AgentState, Conversation, VectorIndexObject } from "foreman-agents";
 *
 * const shop = new ClaudeAgent({ id: "shop", systemPrompt: "You help Acme's customers.", secretBindings: { http: "SHOP_HTTP_SECRET" } });
 * export default createForeman({ agents: [shop] });
 */
export { ClaudeAgent, type ClaudeAgentOptions, type SecretBindings } from "./claude-agent";
export { createForeman, type Foreman, type ForemanOptions } from "./foreman";
export { QUEUES } from "../worker";
export type { HandledAnswer, HandleMessage, WaitUntil } from "./handle";
export type { ReconcileReport } from "./reconcile";

// Durable Object classes: the worker re-exports them so wrangler.toml's bindings find them.
export { AgentState } from "../state/agent-state";
export { Conversation } from "../state/conversation";
export { VectorIndexObject } from "../vectors/object";

// The config: `defineAgent` for a config without an agent, its schema, types and errors.
export {
  ConfigError,
  defineAgent,
  parseAgentConfig,
  agentConfigSchema,
  DEFAULT_MODEL,
  SEED_EXAMPLE_CONFIG,
  type AgentConfig,
  type AgentConfigInput,
  type AuditConfig,
  type BudgetConfig,
  type CacheRule,
  type ChannelConfig,
  type ChannelType,
  type ConfigIssue,
  type FallbackTier,
  type LearningConfig,
  type MessageHandlingConfig,
  type OptimizationConfig,
  type ParseConfigResult,
  type ToolsConfig,
  type TrustConfig,
  type TrustRule,
} from "../config";

// Interfaces for implementations of one's own, and the ones Foreman ships.
export { jsonLogger, silentLogger, type Logger, type LogFields } from "../core/logger";
export { systemClock, type Clock } from "../core/clock";
export { HashingEmbedder, WorkersAiEmbedder, type Embedder } from "../vectors/embedder";
export type { VectorIndex, VectorEntry, VectorMetadata } from "../vectors/vector-index";
export { AppError } from "../core/errors";
export { signHttpRequest } from "../channels/http/signature";
