import { Hono } from "hono";
import { approvalContext, isSealed, loadKeyring, open } from "../privacy/encryption";
import { z } from "zod";
import { AppError } from "../core/errors";
import { parseBody, parseJson, readBodyLimited } from "../http/body";
import type { AppEnv } from "../http/context";
import { openAgentTools } from "../llm/agent-tools";
import { outboundAccess } from "../state/agent-secrets";
import { type agentObject, conversationObject } from "../state/objects";
import { matchesAny } from "../trust/permissions";
import type { Approval } from "../trust/approvals";
import type { AgentSnapshot } from "../core/agent";
import { adminActor, requireAgent } from "./common";

/** The body of `POST /v1/agents/:agentId/approvals/:approvalId`. */
export const decisionSchema = z.strictObject({
  decision: z.enum(["approve", "reject"], { error: 'must be "approve" or "reject"' }),
  note: z.string().max(1000, "must be at most 1000 characters").optional(),
});

/** The `status` filter of the approvals listing. */
export const STATUSES = ["pending", "approved", "rejected", "expired", "executed", "failed"] as const;

/** The tool arguments of a request, opened when they were sealed. */
async function inputOf(a: Approval, keys: string | undefined): Promise<unknown> {
  const ring = isSealed(a.inputJson) ? await loadKeyring(keys) : null;
  return JSON.parse(await open(ring, a.inputJson, approvalContext(a.id))) as unknown;
}

/** An approval as the JSON API shows it, its arguments opened. */
export async function approvalView(a: Approval, keys: string | undefined) {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: a.id,
    interactionId: a.interactionId,
    tool: a.tool,
    input: await inputOf(a, keys),
    channel: a.channel,
    status: a.status,
    requestedAt: iso(a.requestedAt),
    expiresAt: iso(a.expiresAt),
    decidedAt: iso(a.decidedAt),
    decidedBy: a.decidedBy,
    note: a.note,
    result: a.result,
  };
}

/** The tool requests of an agent waiting for a person: the listing's `?status=pending` and the overview's count. */
export function pendingApprovals(stub: ReturnType<typeof agentObject>, now: number): Promise<Approval[]> {
  return stub.approvals(now, "pending");
}

/**
 * Approvals of `ask` tools: list the requests, and approve (the call runs now, once) or reject.
 * The outcome is added to the conversation so the agent knows it when the customer writes again.
 */
export const approvalRoutes = new Hono<AppEnv>()
  .get("/agents/:agentId/approvals", async (c) => {
    const { stub } = await requireAgent(c);
    const status = c.req.query("status");
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
      throw new AppError("invalid_request", `status must be one of ${STATUSES.join(", ")}`);
    }
    const now = c.var.clock.now();
    const approvals = status === "pending" ? await pendingApprovals(stub, now) : await stub.approvals(now, status as Approval["status"] | undefined);
    return c.json({ approvals: await Promise.all(approvals.map((a) => approvalView(a, c.env.ENCRYPTION_KEYS))) });
  })
  .post("/agents/:agentId/approvals/:approvalId", async (c) => {
    const { stub, snapshot } = await requireAgent(c);
    const body = parseBody(decisionSchema, parseJson(await readBodyLimited(c.req.raw, 8 * 1024)));
    const approval = await settleApproval(c.env, stub, snapshot, {
      approvalId: c.req.param("approvalId"),
      decision: body.decision,
      note: body.note ?? null,
      actor: adminActor(c),
      now: c.var.clock.now(),
    });
    return c.json(await approvalView(approval, c.env.ENCRYPTION_KEYS));
  });

/**
 * A person's decision on a request, as `POST /v1/agents/:agentId/approvals/:approvalId` makes it:
 * recorded (and audited with `actor`) by the agent's object, the call run once when approved, and
 * the outcome added to the conversation. 404 for an unknown request, 409 for one already decided
 * or expired.
 */
export async function settleApproval(
  env: Env,
  stub: ReturnType<typeof agentObject>,
  snapshot: AgentSnapshot,
  input: { approvalId: string; decision: "approve" | "reject"; note: string | null; actor: string; now: number },
): Promise<Approval> {
  const { approvalId, decision, note: decisionNote, actor, now } = input;
  const decided = await stub.decide(approvalId, decision, actor, decisionNote, now);
  if (!decided) throw new AppError("not_found", `unknown approval "${approvalId}"`);
  if (decided.ok === false) {
    throw new AppError("conflict", decided.reason === "expired" ? "the request has expired" : `the request is already ${decided.status}`);
  }
  let approval: Approval = decided.approval;
  if (approval.status === "approved") {
    const { trust } = snapshot.record.config;
    // The config may have changed since the request: a tool denied now never runs.
    const stillPermitted = !matchesAny(approval.tool, trust.deny);
    const agentId = snapshot.record.agentId;
    const tools = await openAgentTools(snapshot.record, undefined, outboundAccess(agentId, env));
    try {
      const tool = tools.tools.find((t) => t.name === approval.tool);
      const result = !stillPermitted
        ? { content: `tool "${approval.tool}" is now denied for this agent`, isError: true }
        : tool
        ? await tool.run(await inputOf(approval, env.ENCRYPTION_KEYS), { agentId: snapshot.record.agentId, workspace: env.WORKSPACE }).catch((err: unknown) => ({
            content: `tool failed: ${err instanceof Error ? err.message : String(err)}`,
            isError: true,
          }))
        : { content: `tool "${approval.tool}" is no longer available`, isError: true };
      approval = (await stub.completeApproval(approval.id, result, now)) ?? approval;
    } finally {
      await tools.close();
    }
  }
  const note =
    approval.status === "rejected"
      ? `[A person rejected the request to run ${approval.tool}${approval.note ? `: ${approval.note}` : ""}.]`
      : `[A person approved ${approval.tool}; it ran and returned: ${approval.result?.content ?? "nothing"}]`;
  const conversation = conversationObject(env.CONVERSATION, approval);
  await conversation.append([{ role: "assistant", text: note }], now, undefined, {
    encrypt: snapshot.record.config.audit.compliance.encryption,
  });
  return approval;
}
