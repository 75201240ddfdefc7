import type { Context } from "hono";
import type { AgentView, SecretRef } from "../core/agent";
import { isAgentId } from "../core/agent-id";
import { AppError } from "../core/errors";
import type { AppEnv } from "../http/context";
import { agentExists } from "../state/agent-directory";
import { agentObject } from "../state/objects";

/** A channel's signature check: passed, or why not. */
export type Verdict<Reason extends string> = { ok: true } | { ok: false; reason: Reason };

/** How a channel authenticates its webhook. */
export interface WebhookCheck<Reason extends string> {
  /** `http`, `slack`, `sms`: for logs and the audit trail. */
  channel: string;
  /** The one secret the check needs (`slack.signingSecret`). */
  secret: SecretRef;
  /** Checks the request with a secret: the agent's, or one nobody holds when there is none. */
  verify(secret: string): Promise<Verdict<Reason>>;
  /** What the caller is told for each failure: what was wrong, never what was expected. */
  messages: Record<Reason | "bad_signature", string>;
}

export interface VerifiedAgent {
  agentId: string;
  stub: ReturnType<typeof agentObject>;
  agent: AgentView;
}

/**
 * No request can be signed with this: an unknown agent, a malformed id or a missing secret is
 * checked against it, so each is refused exactly as a wrong signature for a real agent would be
 * (same status, same message, about the same work), and the answer tells nobody which agents
 * exist or which secrets they hold.
 */
let nobodysSecret: string | undefined;
/** Made on first use: Workers allow no random values at global scope. */
const NOBODYS_SECRET = () => (nobodysSecret ??= `${crypto.randomUUID()}${crypto.randomUUID()}`);

/**
 * The agent a webhook names, once the request is proven to come from whoever holds the agent's
 * secret for this channel: its stub and view (no secrets). Everything else is a 401 with the
 * check's message:
 * - a malformed id or an agent the index does not know never reaches a Durable Object, so an
 *   unauthenticated request creates no state;
 * - an agent without the channel's secret, or a failed check, is logged and audited (the
 *   operator sees `missing_secret`; the caller sees only the signature message).
 *
 * 401 for all of them, whatever the provider: Slack and Twilio treat any non-2xx as a failed
 * delivery and retry, so 404 would help nobody but someone probing for agents.
 */
export async function verifiedAgent<Reason extends string>(c: Context<AppEnv>, check: WebhookCheck<Reason>): Promise<VerifiedAgent> {
  const agentId = c.req.param("agentId") ?? "";
  const known = isAgentId(agentId) && (await agentExists(c.env, agentId, (p) => c.executionCtx.waitUntil(p)));
  const stub = known ? agentObject(c.env, agentId) : null;
  const admitted = stub ? await stub.admit({ secret: check.secret }) : null;
  const secret = admitted?.secret;
  const verdict = await check.verify(secret ?? NOBODYS_SECRET());
  if (stub && admitted && secret !== undefined && verdict.ok) return { agentId, stub, agent: admitted.view };

  const reason = refusalReason({ wellFormed: isAgentId(agentId), admitted: admitted !== null, hasSecret: secret !== undefined, verdict });
  const secretName = check.secret.field ? `${check.secret.name}.${check.secret.field}` : check.secret.name;
  c.var.services.logger.warn("webhook_refused", {
    channel: check.channel,
    reason,
    // A malformed id is the caller's text, not an agent: it stays out of the logs.
    ...(isAgentId(agentId) ? { agentId } : {}),
    ...(reason === "missing_secret" ? { secret: secretName } : {}),
  });
  if (stub && admitted) {
    c.executionCtx.waitUntil(
      stub.recordRejected({ channel: check.channel, reason, requestId: c.var.requestId, clientRequestId: c.var.clientRequestId, now: c.var.clock.now() }),
    );
  }
  const shown = verdict.ok ? "bad_signature" : verdict.reason;
  throw new AppError("unauthorized", check.messages[shown]);
}

/** Why a webhook was refused, for the operator's logs and audit trail (never for the caller). */
function refusalReason<Reason extends string>(seen: { wellFormed: boolean; admitted: boolean; hasSecret: boolean; verdict: Verdict<Reason> }): string {
  if (!seen.wellFormed) return "malformed_id";
  if (!seen.admitted) return "unknown_agent";
  if (!seen.hasSecret) return "missing_secret";
  return seen.verdict.ok ? "bad_signature" : seen.verdict.reason;
}
