import type { Context } from "hono";
import type { AgentView, SecretRef } from "../core/agent";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";
import { agentObject } from "../state/objects";
import { requireSecret } from "./secrets";

/**
 * The agent a webhook names, in the message's first round trip: its view (no secrets) and the
 * one secret the channel's signature check needs; 404 for an unknown agent, 401 naming the
 * secret when it is not set.
 */
export async function webhookAgent(c: Context<AppEnv>, ref: SecretRef): Promise<{ agentId: string; stub: ReturnType<typeof agentObject>; agent: AgentView; secret: string }> {
  const agentId = c.req.param("agentId") ?? "";
  const stub = agentObject(c.env, agentId);
  const admitted = await stub.admit({ secret: ref });
  if (!admitted) throw new AppError("not_found", `unknown agent "${agentId}"`);
  return { agentId, stub, agent: admitted.view, secret: requireSecret(admitted.secret, ref.field ? `${ref.name}.${ref.field}` : ref.name) };
}

/**
 * A refused signature: logged, audited in the background (the agent's object caps the rate),
 * and answered 401 with a message that says what was wrong, never what was expected.
 */
export function refuseSignature(
  c: Context<AppEnv>,
  stub: { recordRejected(input: { channel: string; reason: string; requestId?: string; now: number }): Promise<void> },
  channel: string,
  reason: string,
  message: string,
): AppError {
  const requestId = c.var.requestId;
  c.var.services.logger.warn("webhook_signature_rejected", { channel, agentId: c.req.param("agentId"), reason });
  c.executionCtx.waitUntil(stub.recordRejected({ channel, reason, requestId, now: c.var.clock.now() }));
  return new AppError("unauthorized", message);
}
