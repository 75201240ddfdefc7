import { Hono } from "hono";
import { z } from "zod";
import { acknowledgeAlert, countAlerts, listAlerts, parseAlertId, parseAlertQuery } from "../../admin/alerts";
import { adminActor, loadAgent, parseAgentId } from "../../admin/common";
import { listDeadLetters, type ReplayDeps, replayAllDeadLetters, replayDeadLetter } from "../../admin/dead-letters";
import { AppError } from "../../core/errors";
import { authorize, type DashboardEnv, mayAct, requireSession } from "../context";
import { readForm, requireCsrf } from "../guard";
import { ALERT_QUERY_KEYS, AlertsPage, alertsPath } from "./alerts";
import { withQuery } from "./audit";
import { DeadLettersPage, deadLettersPath } from "./dead-letters";
import { agentDb } from "../../db/shards";

const noteSchema = z.string().trim().max(1000, "note: must be at most 1000 characters");

/** The listing's own query parameters out of a form's `back` field: nothing else goes into the redirect. */
function listingQuery(raw: string | null): Record<string, string> {
  const given = new URLSearchParams(raw ?? "");
  return Object.fromEntries(ALERT_QUERY_KEYS.map((k) => [k, given.get(k) ?? ""]));
}

/** A count carried by a replay's redirect; anything else shows nothing. */
function countParam(raw: string | undefined): number | null {
  return raw !== undefined && /^\d{1,4}$/.test(raw) ? Number(raw) : null;
}

/**
 * One agent's alerts and dead letters pages, and their actions: acknowledge an alert, replay one
 * dead letter or all. Each reads and acts through the functions of the admin route it stands
 * for, under that route's access rule, audited with the key's id. Mounted by `routes.tsx`.
 */
export const opsPageRoutes = new Hono<DashboardEnv>()
  .get("/agents/:agentId/alerts", async (c) => {
    const session = requireSession(c);
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "GET", `/v1/agents/${agentId}/alerts`);
    await loadAgent(c.env, agentId);
    const query = parseAlertQuery(c, agentId);
    const [page, counts] = await Promise.all([listAlerts(await agentDb(c.env, agentId), c.env.ADMIN_TOKEN ?? "", agentId, query), countAlerts(await agentDb(c.env, agentId), agentId, 0, c.var.clock.now())]);
    // One admin route acknowledges every alert of the agent; its rule does not depend on the id.
    const canAcknowledge = mayAct(session.principal, "POST", `/v1/agents/${agentId}/alerts/any/acknowledge`);
    const data = { agentId, query: listingQuery(new URL(c.req.url).search), ...page, open: counts.open } as const;
    return c.html(<AlertsPage principal={session.principal} csrf={session.csrf} canAcknowledge={canAcknowledge} data={data} />);
  })
  .post("/agents/:agentId/alerts/:alertId/acknowledge", async (c) => {
    const session = requireSession(c);
    const form = await readForm(c);
    await requireCsrf(session, form);
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "POST", `/v1/agents/${agentId}/alerts/${encodeURIComponent(c.req.param("alertId"))}/acknowledge`);
    const alertId = parseAlertId(c.req.param("alertId"));
    const note = noteSchema.safeParse(form.get("note") ?? "");
    if (!note.success) throw new AppError("invalid_request", note.error.issues[0]?.message ?? "bad note");
    const { stub } = await loadAgent(c.env, agentId);
    // The admin route's own code: marked once, audited as alert.acknowledged with the key's id.
    await acknowledgeAlert(await agentDb(c.env, agentId), stub, { agentId, alertId, actor: adminActor(c), note: note.data || null, now: c.var.clock.now() });
    return c.redirect(withQuery(alertsPath(agentId), listingQuery(form.get("back"))), 303);
  })
  .get("/agents/:agentId/dead-letters", async (c) => {
    const session = requireSession(c);
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "GET", `/v1/agents/${agentId}/dead-letters`);
    await loadAgent(c.env, agentId);
    const cursor = c.req.query("cursor") || undefined;
    const page = await listDeadLetters(await agentDb(c.env, agentId), agentId, cursor);
    const [replayed, refused] = [countParam(c.req.query("replayed")), countParam(c.req.query("refused"))];
    const result = replayed === null && refused === null ? null : { replayed: replayed ?? 0, refused: refused ?? 0 };
    const canReplay = mayAct(session.principal, "POST", `/v1/agents/${agentId}/dead-letters/replay`);
    const data = { agentId, cursor: cursor ?? null, deadLetters: page.deadLetters, nextCursor: page.nextCursor, result };
    return c.html(<DeadLettersPage principal={session.principal} csrf={session.csrf} canReplay={canReplay} data={data} />);
  })
  .post("/agents/:agentId/dead-letters/replay", async (c) => {
    const session = requireSession(c);
    await requireCsrf(session, await readForm(c));
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "POST", `/v1/agents/${agentId}/dead-letters/replay`);
    const { stub } = await loadAgent(c.env, agentId);
    const deps: ReplayDeps = { env: c.env, clock: c.var.clock, actor: adminActor(c) };
    const { replayed, skipped } = await replayAllDeadLetters({ agentId, stub }, deps);
    return c.redirect(withQuery(deadLettersPath(agentId), { replayed: String(replayed.length), refused: String(skipped.length) }), 303);
  })
  .post("/agents/:agentId/dead-letters/:id/replay", async (c) => {
    const session = requireSession(c);
    const form = await readForm(c);
    await requireCsrf(session, form);
    const agentId = parseAgentId(c.req.param("agentId"));
    const id = c.req.param("id");
    authorize(session.principal, "POST", `/v1/agents/${agentId}/dead-letters/${encodeURIComponent(id)}/replay`);
    const { stub } = await loadAgent(c.env, agentId);
    const deps: ReplayDeps = { env: c.env, clock: c.var.clock, actor: adminActor(c) };
    let outcome = { replayed: "1", refused: "0" };
    try {
      await replayDeadLetter({ agentId, stub }, id, deps);
    } catch (err) {
      // Replayed by someone else meanwhile, or no longer replayable: the page says so, the row says why.
      if (!(err instanceof AppError) || err.code !== "conflict") throw err;
      outcome = { replayed: "0", refused: "1" };
    }
    return c.redirect(withQuery(deadLettersPath(agentId), { cursor: form.get("cursor") ?? undefined, ...outcome }), 303);
  });
