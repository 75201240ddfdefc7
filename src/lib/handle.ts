/**
 * `handle()`: one message answered for a caller that brings its own channel (a chat widget, a
 * queue, another service), through the same pipeline as the signed HTTP channel
 * (`POST /webhooks/:agentId/http`), without the signature: the caller is the worker itself.
 */
import { normalizeHttpMessage } from "../channels/http/parse";
import { httpMessageSchema } from "../channels/http/parse";
import type { Clock } from "../core/clock";
import { isAgentId } from "../core/agent-id";
import { AppError } from "../core/errors";
import type { Logger } from "../core/logger";
import { microsToUsd } from "../core/money";
import { parseBody } from "../http/body";
import { processMessage } from "../pipeline/process";
import { createServices } from "../pipeline/services";
import { agentExists } from "../state/agent-directory";
import { agentObject } from "../state/objects";

/**
 * What `handle` needs of the invocation: to finish work after the answer (cache writes, the
 * learning queue). A Workers `ExecutionContext` and Hono's `c.executionCtx` both are one.
 */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

/** A message from a caller's own channel. */
export interface HandleMessage {
  text: string;
  /** Identifies the conversation: earlier turns with the same id are the model's context. */
  conversation: string;
  /** The sender as the caller names them (a user id, an address). */
  from: string;
  /**
   * The delivery's id: a message handled again with the same id gets the stored answer instead
   * of a second one (a retry is safe). Defaults to a new id, for a caller that never retries.
   */
  id?: string;
}

/** The answer, as the HTTP channel returns it. */
export interface HandledAnswer {
  /** The interaction's id, as in the audit trail. */
  id: string;
  text: string;
  /** Which tier answered: `cache`, `rule`, `exact`, `similar`, `pattern`, `intelligent`, ... */
  tier: string;
  costUsd: number;
  trustLevel: number;
}

/** What `handle` needs besides the bindings. */
export interface HandleDeps {
  clock: Clock;
  logger: Logger;
  /** Applies the agents declared in code before the first message. */
  ready(env: Env): Promise<void>;
  /** Why an agent declared in code was not applied, if it was not. */
  notApplied?(agentId: string): string | undefined;
}

/**
 * Answers one message for an agent. Throws an `AppError` (`code`: `invalid_request` naming the
 * field, `not_found` for an unknown agent, `invalid_config` for an agent declared in code that
 * could not be applied, with why) before anything is written; the pipeline's own
 * refusals (a rate limit, a budget) come as they come to the HTTP channel.
 *
 * @example
 * const answer = await handleMessage(env, ctx, deps, "shop", { text: "When do you open?", conversation: "c1", from: "user-1" });
 * // { id: "…", text: "We open at nine.", tier: "intelligent", costUsd: 0.003, trustLevel: 0.3 }
 */
export async function handleMessage(env: Env, ctx: WaitUntil, deps: HandleDeps, agentId: string, message: HandleMessage): Promise<HandledAnswer> {
  const body = parseBody(httpMessageSchema, { ...message, id: message.id ?? crypto.randomUUID() });
  await deps.ready(env);
  const defer = (p: Promise<unknown>) => ctx.waitUntil(p);
  const known = isAgentId(agentId) && (await agentExists(env, agentId, defer));
  const admitted = known ? await agentObject(env, agentId).admit() : null;
  if (!admitted) {
    const why = deps.notApplied?.(agentId);
    if (why) throw new AppError("invalid_config", `agent "${agentId}" is declared in code but could not be applied: ${why}`);
    throw new AppError("not_found", `unknown agent "${agentId}"`);
  }
  const services = createServices(env, { clock: deps.clock, logger: deps.logger.with({ agentId, handler: "handle" }), defer });
  const normalized = normalizeHttpMessage(agentId, body, deps.clock.now(), admitted.view.record.config.messageHandling.normalizeInput);
  const answer = await processMessage(services.pipeline(), normalized, admitted.view);
  return { id: answer.interactionId, text: answer.text, tier: answer.tier, costUsd: microsToUsd(answer.costMicros), trustLevel: answer.trustLevel };
}
