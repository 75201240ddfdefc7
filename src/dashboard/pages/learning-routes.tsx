import { Hono } from "hono";
import { z } from "zod";
import { adminActor, DEFAULT_ANALYTICS_SPAN_MS, loadAgent, parseAgentId } from "../../admin/common";
import { decidePattern, importPackText, learningAnalyticsReport, MAX_PACK_BYTES } from "../../admin/patterns";
import { AppError } from "../../core/errors";
import { readBodyLimited } from "../../http/body";
import { exportPack } from "../../learn/packs";
import type { PatternAction } from "../../learn/lifecycle";
import { listPatterns } from "../../learn/run";
import { authorize, type DashboardEnv, mayAct, requireSession } from "../context";
import { readForm, requireCsrf } from "../guard";
import { LearningPage } from "./learning";
import { agentDb } from "../../db/shards";

const noteSchema = z.string().trim().max(1000, "note: must be at most 1000 characters");

/**
 * A pack upload (`multipart/form-data`: `_csrf` and the file `pack`), read within the admin
 * import's size limit plus room for the form's own fields.
 */
async function readUpload(req: Request): Promise<FormData> {
  const type = req.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("multipart/form-data")) throw new AppError("invalid_request", "pack: upload the pack file with the import form (multipart/form-data)");
  const body = await readBodyLimited(req, MAX_PACK_BYTES + 16 * 1024);
  try {
    return await new Request(req.url, { method: "POST", headers: { "content-type": type }, body }).formData();
  } catch {
    throw new AppError("invalid_request", "pack: the upload is not a readable form; choose the pack file again");
  }
}

/**
 * One agent's learning page and its actions; each action is authorized against, and performed
 * through the same code as, the admin route it stands for. Mounted by `routes.tsx`.
 */
export const learningPageRoutes = new Hono<DashboardEnv>()
  .get("/agents/:agentId/learning", async (c) => {
    const session = requireSession(c);
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "GET", `/v1/agents/${agentId}/patterns`);
    authorize(session.principal, "GET", `/v1/agents/${agentId}/learning/analytics`);
    const { config } = (await loadAgent(c.env, agentId)).snapshot.record;
    const to = c.var.clock.now();
    const [patterns, analytics] = await Promise.all([listPatterns(await agentDb(c.env, agentId), agentId), learningAnalyticsReport(await agentDb(c.env, agentId), agentId, to - DEFAULT_ANALYTICS_SPAN_MS, to)]);
    const { successCriteria } = config.learning.deployment;
    const data = {
      agentId,
      patterns,
      analytics,
      confidenceThreshold: config.learning.patterns.confidenceThreshold,
      errorRate: successCriteria.errorRate,
      minSamples: successCriteria.minSamples ?? null,
    };
    const canAct = mayAct(session.principal, "POST", `/v1/agents/${agentId}/patterns/import`);
    return c.html(<LearningPage principal={session.principal} csrf={session.csrf} canAct={canAct} data={data} />);
  })
  .get("/agents/:agentId/learning/export", async (c) => {
    const session = requireSession(c);
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "GET", `/v1/agents/${agentId}/patterns/export`);
    await loadAgent(c.env, agentId);
    const pack = await exportPack(await agentDb(c.env, agentId), agentId, c.var.clock.now());
    return c.body(JSON.stringify(pack), 200, {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="${agentId}-patterns.json"`,
    });
  })
  .post("/agents/:agentId/learning/import", async (c) => {
    const session = requireSession(c);
    // Who may import is known before the upload is read: a viewer's is refused unread.
    const agentId = parseAgentId(c.req.param("agentId"));
    authorize(session.principal, "POST", `/v1/agents/${agentId}/patterns/import`);
    const upload = await readUpload(c.req.raw);
    const csrf = upload.get("_csrf");
    await requireCsrf(session, new URLSearchParams({ _csrf: typeof csrf === "string" ? csrf : "" }));
    await loadAgent(c.env, agentId);
    const file = upload.get("pack");
    if (!file || typeof file === "string") throw new AppError("invalid_request", "pack: choose a pack file (the JSON an export downloads)");
    await importPackText(c.env, agentId, await file.text(), adminActor(c), c.var.clock.now());
    return c.redirect(`/dashboard/agents/${encodeURIComponent(agentId)}/learning`, 303);
  })
  .post("/agents/:agentId/learning/:patternId/:action{approve|reject|rollback}", async (c) => {
    const session = requireSession(c);
    const form = await readForm(c);
    await requireCsrf(session, form);
    const agentId = parseAgentId(c.req.param("agentId"));
    const patternId = c.req.param("patternId");
    const action = c.req.param("action") as PatternAction;
    authorize(session.principal, "POST", `/v1/agents/${agentId}/patterns/${patternId}/${action}`);
    const note = noteSchema.safeParse(form.get("note") ?? "");
    if (!note.success) throw new AppError("invalid_request", note.error.issues[0]?.message ?? "bad note");
    const { snapshot } = await loadAgent(c.env, agentId);
    // Audited by the same transition as the admin route, with the key's id as the actor.
    await decidePattern(c.env, snapshot, { agentId, patternId, action, actor: adminActor(c), note: note.data || null, now: c.var.clock.now() });
    return c.redirect(`/dashboard/agents/${encodeURIComponent(agentId)}/learning`, 303);
  });
