import type { AgentRecord } from "../core/agent";
import type { AuditSink } from "../core/audit";
import type { ApprovalStore } from "./approval-store";
import { type Approval, APPROVAL_TTL_MS, type DecisionResult, decideApproval, statusAt } from "./approvals";

/** A request to run an `ask` tool, as the model's answer files it. */
export interface ApprovalRequest {
  interactionId: string;
  tool: string;
  toolInput: unknown;
  channel: string;
  conversationKey: string;
  now: number;
}

/**
 * The agent object's part for approvals: files requests, applies a person's decision once, and
 * records what the approved call returned, each with its audit event. Runs inside the object's
 * transaction; the decisions themselves are the pure functions of `approvals.ts`.
 */
export class ApprovalDesk {
  #store: ApprovalStore;
  #auditor: AuditSink;
  #level: () => number;

  constructor(store: ApprovalStore, auditor: AuditSink, level: () => number) {
    this.#store = store;
    this.#auditor = auditor;
    this.#level = level;
  }

  /** `inputJson` is the tool's arguments as kept (sealed when the agent encrypts). */
  request(record: AgentRecord, id: string, inputJson: string, input: ApprovalRequest): Approval {
    const approval: Approval = {
      id,
      agentId: record.agentId,
      interactionId: input.interactionId,
      tool: input.tool,
      inputJson,
      channel: input.channel,
      conversationKey: input.conversationKey,
      requestedAt: input.now,
      expiresAt: input.now + APPROVAL_TTL_MS,
      status: "pending",
      decidedAt: null,
      decidedBy: null,
      note: null,
      result: null,
    };
    this.#store.save(approval);
    this.#auditor.event(record, {
      at: input.now,
      actor: "agent",
      action: "approval.requested",
      resource: input.tool,
      decision: "recorded",
      details: { approvalId: approval.id, interactionId: input.interactionId, level: this.#level() },
    });
    return approval;
  }

  /** Newest first, with expiry applied; optionally one status only. */
  list(now: number, status?: Approval["status"]): Approval[] {
    return this.#store
      .latest(200)
      .map((a) => ({ ...a, status: statusAt(a, now) }))
      .filter((a) => !status || a.status === status);
  }

  /** Only a pending, unexpired request changes, and only once; null for an unknown id. */
  decide(record: AgentRecord, input: { id: string; decision: "approve" | "reject"; by: string; note: string | null; now: number }): DecisionResult | null {
    const { id, decision, by, note, now } = input;
    const approval = this.#store.get(id);
    if (!approval) return null;
    const result = decideApproval(approval, decision, by, note, now);
    if (!result.ok) return result;
    this.#store.save(result.approval);
    this.#auditor.event(record, {
      at: now,
      actor: by,
      action: decision === "approve" ? "approval.approved" : "approval.rejected",
      resource: approval.tool,
      decision: decision === "approve" ? "allowed" : "denied",
      details: { approvalId: id, note },
    });
    return result;
  }

  /** What an approved call returned; null unless the request is approved. */
  complete(record: AgentRecord, id: string, result: { content: string; isError: boolean }, now: number): Approval | null {
    const approval = this.#store.get(id);
    if (!approval || approval.status !== "approved") return null;
    const done: Approval = { ...approval, status: result.isError ? "failed" : "executed", result };
    this.#store.save(done);
    this.#auditor.event(record, {
      at: now,
      actor: "agent",
      action: "tool.executed",
      resource: approval.tool,
      decision: "allowed",
      details: { approvalId: id, isError: result.isError },
    });
    return done;
  }
}
