import { Hono } from "hono";
import { z } from "zod";
import { adminActor, loadAgent, parseAgentId } from "../../admin/common";
import { AppError } from "../../core/errors";
import { authorize, type DashboardEnv, mayAct, requireSession } from "../context";
import { readForm, requireCsrf } from "../guard";
import { loadOverview } from "../overview-data";
import { OverviewPage } from "./overview";

const trustCommand = z.object({
  action: z.enum(["freeze", "unfreeze"], { error: 'action must be "freeze" or "unfreeze"' }),
  reason: z.string().trim().min(1, "reason: must not be empty").max(500, "reason: must be at most 500 characters"),
});

/** One agent's pages: the overview and its trust form. Mounted by `routes.tsx`, behind the session. */
export const agentPageRoutes = new Hono<DashboardEnv>()
  .get("/agents/:agentId", async (c) => {
    const session = requireSession(c);
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "GET", `/v1/agents/${agentId}/analytics`);
    const { stub } = await loadAgent(c.env, agentId);
    const data = await loadOverview(c.env, stub, agentId, c.var.clock.now());
    const canAct = mayAct(session.principal, "POST", `/v1/agents/${agentId}/trust`);
    return c.html(<OverviewPage principal={session.principal} csrf={session.csrf} canAct={canAct} data={data} />);
  })
  .post("/agents/:agentId/trust", async (c) => {
    const session = requireSession(c);
    const form = await readForm(c);
    await requireCsrf(session, form);
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "POST", `/v1/agents/${agentId}/trust`);
    const parsed = trustCommand.safeParse({ action: form.get("action"), reason: form.get("reason") ?? "" });
    if (!parsed.success) throw new AppError("invalid_request", parsed.error.issues[0]?.message ?? "invalid trust command");
    const { stub } = await loadAgent(c.env, agentId);
    // The agent's object audits the command with the key's id as the actor.
    await stub.command(parsed.data, adminActor(c), c.var.clock.now());
    return c.redirect(`/dashboard/agents/${encodeURIComponent(agentId)}`, 303);
  });
