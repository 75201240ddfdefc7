/**
 * Approval requests for `ask` tools: the agent asks, a person approves or rejects through the
 * admin API, and an approved call runs once. Pure transitions; AgentState stores the rows.
 */

/** A request nobody answers within a day expires: the customer should not wait longer. */
export const APPROVAL_TTL_MS = 24 * 3600_000;

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired" | "executed" | "failed";

export interface Approval {
  id: string;
  agentId: string;
  interactionId: string;
  tool: string;
  /** The tool input as the model gave it, as JSON text; it stays in the agent's object only. */
  inputJson: string;
  channel: string;
  conversationKey: string;
  requestedAt: number;
  expiresAt: number;
  status: ApprovalStatus;
  decidedAt: number | null;
  decidedBy: string | null;
  note: string | null;
  result: { content: string; isError: boolean } | null;
}

/** The status as of `now`: a pending request past its expiry reads as expired. */
export function statusAt(approval: Approval, now: number): ApprovalStatus {
  return approval.status === "pending" && now >= approval.expiresAt ? "expired" : approval.status;
}

export type DecisionResult =
  | { ok: true; approval: Approval }
  | { ok: false; reason: "expired" | "already_decided"; status: ApprovalStatus };

/**
 * A person's decision on a request. Only a pending, unexpired request can be decided, once.
 *
 * @example
 * decideApproval(pending, "approve", "admin:1.2.3.4", "ok", Date.now()); // { ok: true, approval: { status: "approved", ... } }
 */
export function decideApproval(
  approval: Approval,
  decision: "approve" | "reject",
  by: string,
  note: string | null,
  now: number,
): DecisionResult {
  const status = statusAt(approval, now);
  if (status === "expired") return { ok: false, reason: "expired", status };
  if (status !== "pending") return { ok: false, reason: "already_decided", status };
  return {
    ok: true,
    approval: { ...approval, status: decision === "approve" ? "approved" : "rejected", decidedAt: now, decidedBy: by, note },
  };
}

/** What the model is told when its call waits for a person. */
export function pendingMessage(approval: Approval): string {
  return `This action needs a person's approval before it runs. Request ${approval.id} is pending; tell the customer it will be handled after review. Do not call this tool again for the same request.`;
}
