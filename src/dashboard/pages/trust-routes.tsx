import { Hono } from "hono";
import { z } from "zod";
import { adminActor, DEFAULT_ANALYTICS_SPAN_MS, loadAgent, parseAgentId } from "../../admin/common";
import { approvalView, pendingApprovals, settleApproval } from "../../admin/approvals";
import { trustAnalyticsReport, trustReport } from "../../admin/trust";
import { AppError } from "../../core/errors";
import { authorize, type DashboardEnv, mayAct, requireSession } from "../context";
import { readForm, requireCsrf } from "../guard";
import { TrustPage } from "./trust";

const decisionForm = z.object({
  decision: z.enum(["approve", "reject"], { error: 'decision must be "approve" or "reject"' }),
  note: z.string().trim().max(1000, "note: must be at most 1000 characters"),
});

/** The path of one agent's trust page. */
export const trustPagePath = (agentId: string) => `/dashboard/agents/${encodeURIComponent(agentId)}/trust`;

/**
 * One agent's trust page: the level over the analytics' default span, the window's metrics, the
 * permission tiers, and the tool requests waiting for a person with their approve/reject forms.
 * Mounted by `routes.tsx`, behind the session.
 */
export const trustPageRoutes = new Hono<DashboardEnv>()
  .get("/agents/:agentId/trust", async (c) => {
    const session = requireSession(c);
    const agentId = parseAgentId(c.req.param("agentId"));
    for (const path of ["trust", "trust/analytics", "approvals"]) authorize(session.principal, "GET", `/v1/agents/${agentId}/${path}`);
    const { stub, snapshot } = await loadAgent(c.env, agentId);
    const now = c.var.clock.now();
    // The JSON route's default span: the last 30 days up to now.
    const [trust, analytics, pending] = await Promise.all([
      trustReport(agentId, stub, snapshot, now),
      trustAnalyticsReport(agentId, stub, now - DEFAULT_ANALYTICS_SPAN_MS, now),
      pendingApprovals(stub, now).then((list) => Promise.all(list.map((a) => approvalView(a, c.env.ENCRYPTION_KEYS)))),
    ]);
    // One admin route decides every request of the agent; its rule does not depend on the id.
    const canDecide = mayAct(session.principal, "POST", `/v1/agents/${agentId}/approvals/any`);
    return c.html(<TrustPage principal={session.principal} csrf={session.csrf} canDecide={canDecide} trust={trust} analytics={analytics} pending={pending} />);
  })
  .post("/agents/:agentId/approvals/:approvalId", async (c) => {
    const session = requireSession(c);
    const form = await readForm(c);
    await requireCsrf(session, form);
    const agentId = parseAgentId(c.req.param("agentId"));
    const approvalId = c.req.param("approvalId");
    authorize(session.principal, "POST", `/v1/agents/${agentId}/approvals/${encodeURIComponent(approvalId)}`);
    const parsed = decisionForm.safeParse({ decision: form.get("decision"), note: form.get("note") ?? "" });
    if (!parsed.success) throw new AppError("invalid_request", parsed.error.issues[0]?.message ?? "invalid decision");
    const { stub, snapshot } = await loadAgent(c.env, agentId);
    // The same code path as the admin route: audited by the agent's object with the key's id.
    await settleApproval(c.env, stub, snapshot, {
      approvalId,
      decision: parsed.data.decision,
      note: parsed.data.note === "" ? null : parsed.data.note,
      actor: adminActor(c),
      now: c.var.clock.now(),
    });
    return c.redirect(trustPagePath(agentId), 303);
  });
