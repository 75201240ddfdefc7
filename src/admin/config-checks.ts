/**
 * Checks of a valid config against what it will run with: the model's price, the system
 * prompt and the agent's secrets. `runIssues` are settings that cannot work and are refused
 * (every message would get the budget reply, or be billed at a guessed price); `runWarnings`
 * are settings that do nothing or channels that cannot answer yet, returned with the PUT so
 * the operator sees them at once rather than in an empty inbox.
 */
import { secretValue, type AgentSecrets } from "../core/agent";
import { MIN_OUTPUT_TOKENS, worstCaseMicros } from "../cost/budget";
import { type PriceTable, priceFor } from "../cost/prices";
import type { AgentConfig, ConfigIssue } from "../config";

/** What the agent will run with besides its config. */
export interface RunFacts {
  /** The model the PUT settles on (the body's `model`, else the config's). */
  model: string;
  /** The system prompt the PUT settles on. */
  systemPrompt: string;
  prices: PriceTable;
  /** The agent's secrets once the PUT is applied. */
  secrets: AgentSecrets;
}

/** The same allowance the tool loop adds to a request's bytes for the API's own preamble. */
const PREAMBLE_TOKENS = 1_000;

const usd = (micros: number) => `$${(micros / 1_000_000).toFixed(micros < 10_000 ? 4 : 2)}`;

function knownModels(prices: PriceTable): string {
  const ids = Object.keys(prices);
  return `${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", …" : ""}`;
}

/**
 * Settings that cannot work with this model and prompt: a model without a price (its calls
 * would be budgeted at a guess), and a `perRequest` that cannot pay for even the smallest call
 * the tool loop makes (the system prompt and 64 output tokens), with which every message would
 * get the budget reply and nothing else. One that pays for less than `maxTokens` is a warning.
 *
 * @example
 * runIssues(defineAgent({ optimization: { budget: { perRequest: 0.0001 } } }), facts);
 * // [{ path: "optimization.budget.perRequest", message: "must pay for one call of claude-sonnet-5-5: at least $0.0026…" }]
 */
export function runIssues(config: AgentConfig, facts: RunFacts): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const unpriced = (model: string) =>
    `has no known price ("${model}"), so its calls could not be budgeted; use a priced model (${knownModels(facts.prices)}) or add its price to the MODEL_PRICES var`;
  const main = priceFor(facts.model, facts.prices);
  if (main.match === "fallback") issues.push({ path: "model", message: unpriced(facts.model) });
  const simple = config.optimization.routing?.simpleModel;
  if (simple !== undefined && priceFor(simple, facts.prices).match === "fallback") {
    issues.push({ path: "optimization.routing.simpleModel", message: unpriced(simple) });
  }
  if (main.match !== "fallback") {
    // The tool loop lowers max_tokens to fit perRequest, down to this floor; below it the call is not made.
    const floor = Math.min(MIN_OUTPUT_TOKENS, config.maxTokens);
    const smallest = worstCaseMicros(promptTokens(facts), floor, main.price);
    if (perRequestMicros(config) < smallest) {
      issues.push({
        path: "optimization.budget.perRequest",
        message: `must pay for one call of ${facts.model}: at least ${usd(smallest)} for the system prompt and ${floor} output tokens (at maxTokens ${config.maxTokens}: ${usd(worstCaseMicros(promptTokens(facts), config.maxTokens, main.price))}), or every message gets the budget reply and nothing is answered, audited or alerted; raise perRequest or choose a cheaper model`,
      });
    }
  }
  return issues;
}

const promptTokens = (facts: RunFacts) => new TextEncoder().encode(facts.systemPrompt).byteLength + PREAMBLE_TOKENS;
const perRequestMicros = (config: AgentConfig) => Math.round(config.optimization.budget.perRequest * 1_000_000);

/** Secrets each channel needs before it can take a message and answer it. */
const CHANNEL_SECRETS = {
  slack: { name: "slack", fields: ["signingSecret", "botToken"] },
  sms: { name: "twilio", fields: ["accountSid", "authToken"] },
} as const;

/**
 * Settings that are accepted but do nothing, and channels that will refuse every message for
 * want of a secret. Returned as `warnings` by the PUT; the config is stored.
 *
 * @example
 * runWarnings(defineAgent({ channels: [{ type: "sms" }] }), { ...facts, secrets: {} });
 * // [{ path: "channels.0", message: "cannot take messages: set secrets.twilio ({ accountSid, authToken }) with PUT /v1/agents/:id" }, ...]
 */
export function runWarnings(config: AgentConfig, facts: RunFacts): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  config.channels.forEach((channel, i) => {
    if (channel.type === "slack" && channel.webhook !== undefined) {
      warnings.push({ path: `channels.${i}.webhook`, message: "does nothing: replies go out through the Slack app's bot token (secrets.slack.botToken); remove it" });
    }
    if (channel.type === "email" && (channel.smtp?.host !== undefined || channel.smtp?.port !== undefined)) {
      warnings.push({ path: `channels.${i}.smtp`, message: "host and port do nothing: mail goes out through Cloudflare Email Routing's send_email binding; remove them" });
    }
    if (channel.type === "slack" || channel.type === "sms") {
      const { name, fields } = CHANNEL_SECRETS[channel.type];
      const missing = fields.filter((field) => !secretValue(facts.secrets, { name, field }));
      if (missing.length > 0) {
        warnings.push({ path: `channels.${i}`, message: `cannot take messages yet: set secrets.${name} ({ ${fields.join(", ")} }) with PUT /v1/agents/:id (missing ${missing.map((f) => `${name}.${f}`).join(", ")})` });
      }
    }
  });
  if (!secretValue(facts.secrets, { name: "http" }) && config.channels.length === 0) {
    warnings.push({ path: "secrets.http", message: "is not set and no channel is configured, so the agent cannot take a message: set secrets.http with PUT /v1/agents/:id, or add a channel" });
  }
  if (config.audit.retention.storage !== undefined) {
    warnings.push({ path: "audit.retention.storage", message: "does nothing on Cloudflare: the archive is the AUDIT_BUCKET R2 binding; remove it" });
  }
  const budget = config.optimization.budget;
  const main = priceFor(facts.model, facts.prices);
  const fullCall = worstCaseMicros(promptTokens(facts), config.maxTokens, main.price);
  if (main.match !== "fallback" && perRequestMicros(config) < fullCall) {
    warnings.push({
      path: "optimization.budget.perRequest",
      message: `cannot pay for a call at maxTokens (${config.maxTokens}), which needs up to ${usd(fullCall)}: answers are cut short to fit; raise perRequest to ${usd(fullCall)} or lower maxTokens`,
    });
  }
  if (budget.daily === 0 && config.optimization.fallback.includes("intelligent")) {
    warnings.push({ path: "optimization.budget.daily", message: "is 0: every message the cache and rules cannot answer gets exhaustedReply; raise it to let the model answer" });
  }
  return warnings;
}
