import { ClaudeAgent, createForeman } from "foreman-agents";

/**
 * The agent. Its config is Foreman's agent config, field for field (trust, optimization,
 * learning, channels, messageHandling, audit); every field left out takes its default.
 * It answers signed HTTP messages at POST /webhooks/assistant/http.
 */
export const assistant = new ClaudeAgent({
  id: "assistant",
  systemPrompt: "You answer customers' questions for our business: opening hours, orders, prices. Be brief and friendly.",
  trust: {
    initial: 0.3,
    rules: [
      { metric: "success_rate", threshold: 0.95, action: "increment", amount: 0.1 },
      { metric: "error_rate", threshold: 0.1, action: "decrement", amount: 0.2 },
    ],
    permissions: { 0.1: ["Read"], 0.5: ["Read", "Write"], 0.9: ["*"] },
  },
  optimization: {
    enableCache: true,
    cacheRules: [{ similarity: 0.95, ttl: 3600 }],
    budget: { daily: 10.0, perRequest: 0.5, alertThreshold: 0.8 },
    fallback: ["cache", "pattern", "intelligent"],
  },
  // The worker secrets holding the agent's secrets: `wrangler secret put ASSISTANT_HTTP_SECRET`.
  secretBindings: { http: "ASSISTANT_HTTP_SECRET" },
});

// Webhooks, the admin API (/v1/...), the dashboard, the queue consumers and the crons.
export default createForeman({ agents: [assistant] });

// wrangler.toml's Durable Object bindings name these classes: the worker exports them.
export { AgentState, Conversation, VectorIndexObject } from "foreman-agents";
