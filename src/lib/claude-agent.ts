/**
 * `new ClaudeAgent({...})`: an agent declared in the worker's code. It takes the seed's config
 * object field for field (`trust`, `optimization`, `learning`, `channels`, `messageHandling`,
 * `audit`, plus `systemPrompt`, `model`, `tools`) and an `id`, checked by the same schema as
 * `PUT /v1/agents/:agentId`, so a bad value throws the same `path: rule` messages.
 */
import { ConfigError, defineAgent, type AgentConfig, type AgentConfigInput, type ConfigIssue } from "../config";
import { AGENT_ID_PATTERN, AGENT_ID_RULE } from "../core/agent-id";
import { type Clock, systemClock } from "../core/clock";
import { jsonLogger, type Logger } from "../core/logger";
import { type HandledAnswer, type HandleMessage, handleMessage, type WaitUntil } from "./handle";
import { failureOf, type ReconcileReport, reconcileAgents } from "./reconcile";

/** A secret name as the admin API's `secrets` takes it (`http`, `slack`, `twilio`, `mcp_token`). */
const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;
/** A binding name as `wrangler secret put` takes it. */
const BINDING_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Which of the worker's secrets (`wrangler secret put NAME`) hold the agent's secrets: a name
 * for a one-value secret (`http`), or an object for a provider's fields (`slack.signingSecret`).
 *
 * @example
 * { http: "SHOP_HTTP_SECRET", twilio: { accountSid: "SHOP_TWILIO_SID", authToken: "SHOP_TWILIO_TOKEN" } }
 */
export type SecretBindings = Record<string, string | Record<string, string>>;

/** What `new ClaudeAgent` takes: the agent config, its id, and where its secrets come from. */
export type ClaudeAgentOptions = AgentConfigInput & {
  /** The agent's id: in webhook URLs (`/webhooks/<id>/http`), the admin API and storage keys. */
  id: string;
  /** The worker's secrets that hold this agent's secrets; values never appear in code. */
  secretBindings?: SecretBindings;
};

/**
 * An agent declared in code. Construction validates everything the config alone decides and
 * throws a {@link ConfigError} listing each problem; what depends on the deployment (private
 * URLs, the encryption keys, the secrets) is checked when `createForeman` applies the agent.
 *
 * @example
 * const agent = new ClaudeAgent({
 *   id: "bakery",
 *   systemPrompt: "You answer questions for Acme Bakery.",
 *   trust: { initial: 0.3 },
 *   channels: [{ type: "sms", provider: "twilio", features: ["short_responses"] }],
 *   secretBindings: { http: "BAKERY_HTTP_SECRET" },
 * });
 */
export class ClaudeAgent {
  readonly id: string;
  /** The validated config with every default filled in. */
  readonly config: AgentConfig;
  readonly secretBindings: Readonly<SecretBindings>;
  /** The config as written, applied through the admin API's own save. */
  readonly #input: AgentConfigInput;
  /** This agent applied once per isolate, for `handle` without `createForeman`. */
  #applied: Promise<ReconcileReport> | undefined;

  constructor(options: ClaudeAgentOptions) {
    const { id, secretBindings = {}, ...input } = options;
    const issues = [...idIssues(id), ...bindingIssues(secretBindings)];
    let config: AgentConfig | undefined;
    try {
      // Whether private URLs are allowed is the deployment's to say (ALLOW_PRIVATE_URLS): the
      // URL check runs again, with the worker's setting, when the agent is applied.
      config = defineAgent(input, { allowPrivateUrls: true });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
    }
    if (issues.length > 0 || !config) throw new ConfigError(issues);
    this.id = id;
    this.config = config;
    this.secretBindings = structuredClone(secretBindings);
    this.#input = structuredClone(input);
  }

  /** The config as written (a copy), for the save that applies it. */
  configInput(): AgentConfigInput {
    return structuredClone(this.#input);
  }

  /**
   * Answers one message from a channel of the caller's own, through the same pipeline as the
   * HTTP channel: caches, rules, learned patterns, the model, trust, budget and audit. The agent
   * is applied to its records first (once per isolate), as `createForeman` would apply it.
   *
   * @example
   * app.post("/chat", async (c) => {
   *   const { text, conversation } = await c.req.json();
   *   return c.json(await shop.handle(c.env, c.executionCtx, { text, conversation, from: "web" }));
   * });
   */
  async handle(env: Env, ctx: WaitUntil, message: HandleMessage, opts: { clock?: Clock; logger?: Logger } = {}): Promise<HandledAnswer> {
    const clock = opts.clock ?? systemClock;
    const logger = opts.logger ?? jsonLogger();
    let report: ReconcileReport | undefined;
    const ready = async (bindings: Env) => {
      // A failure is not kept: the next message tries again.
      this.#applied ??= reconcileAgents(bindings, [this], { clock, logger }, "these").then(
        (applied) => {
          if (failureOf(applied, this.id)) this.#applied = undefined;
          return applied;
        },
        (err: unknown) => {
          this.#applied = undefined;
          throw err;
        },
      );
      report = await this.#applied;
    };
    return handleMessage(env, ctx, { clock, logger, ready, notApplied: (id) => failureOf(report, id) }, this.id, message);
  }
}

function idIssues(id: unknown): ConfigIssue[] {
  if (typeof id !== "string") return [{ path: "id", message: `is required: ${AGENT_ID_RULE}` }];
  return AGENT_ID_PATTERN.test(id) ? [] : [{ path: "id", message: AGENT_ID_RULE }];
}

function bindingIssues(bindings: unknown): ConfigIssue[] {
  if (typeof bindings !== "object" || bindings === null || Array.isArray(bindings)) {
    return [{ path: "secretBindings", message: 'must be an object naming the worker secrets, e.g. { http: "SHOP_HTTP_SECRET" }' }];
  }
  const issues: ConfigIssue[] = [];
  const bindingRule = "must be the name of a worker secret (wrangler secret put NAME): letters, digits and '_'";
  for (const [name, value] of Object.entries(bindings)) {
    const path = `secretBindings.${name}`;
    if (!SECRET_NAME.test(name)) issues.push({ path, message: "secret names are letters, digits and '_'" });
    else if (typeof value === "string") {
      if (!BINDING_NAME.test(value)) issues.push({ path, message: bindingRule });
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [field, binding] of Object.entries(value)) {
        if (!SECRET_NAME.test(field)) issues.push({ path: `${path}.${field}`, message: "secret fields are letters, digits and '_'" });
        else if (typeof binding !== "string" || !BINDING_NAME.test(binding)) issues.push({ path: `${path}.${field}`, message: bindingRule });
      }
    } else {
      issues.push({ path, message: 'must name a worker secret ("SHOP_HTTP_SECRET") or map fields to them ({ signingSecret: "SHOP_SLACK_SIGNING" })' });
    }
  }
  return issues;
}
