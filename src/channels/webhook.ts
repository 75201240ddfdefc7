import type { Context } from "hono";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";
import type { AgentSnapshot } from "../state/agent-record";
import { agentObject } from "../state/objects";

/** The agent a webhook names, with its object's stub; 404 for an unknown agent. */
export async function webhookAgent(c: Context<AppEnv>) {
  const agentId = c.req.param("agentId") ?? "";
  const stub = agentObject(c.env, agentId);
  const snapshot = await stub.snapshot();
  if (!snapshot) throw new AppError("not_found", `unknown agent "${agentId}"`);
  return { agentId, stub, snapshot };
}

/** A channel secret, `http` or `slack.signingSecret` style; 401 naming it when it is not set. */
export function channelSecret(snapshot: AgentSnapshot, name: string, field?: string): string {
  const value = snapshot.secrets[name];
  const secret = field ? (typeof value === "object" ? value[field] : undefined) : typeof value === "string" ? value : undefined;
  if (!secret) throw new AppError("unauthorized", `this agent has no secret ${field ? `${name}.${field}` : name}`);
  return secret;
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
  console.warn(JSON.stringify({ event: "webhook_signature_rejected", channel, agentId: c.req.param("agentId"), reason, requestId }));
  c.executionCtx.waitUntil(stub.recordRejected({ channel, reason, requestId, now: c.var.clock.now() }));
  return new AppError("unauthorized", message);
}
