import { Hono } from "hono";
import { z } from "zod";
import { parseBody, parseJson, readBodyLimited } from "../http/body";
import type { AppEnv } from "../http/context";
import { adminActor, requireAgent } from "./common";
import { agentDb } from "../db/shards";

/** The body of `PUT /v1/agents/:agentId/legal-hold`. */
export const holdSchema = z.strictObject({ reason: z.string().trim().min(1, "must not be empty").max(500, "must be at most 500 characters") });

interface HoldRow {
  reason: string;
  actor: string;
  at: number;
}

const view = (row: HoldRow | null) =>
  row ? { held: true, reason: row.reason, by: row.actor, since: new Date(row.at).toISOString() } : { held: false };

/**
 * `GET/PUT/DELETE /v1/agents/:agentId/legal-hold`: while an agent is held, retention deletes
 * nothing of its audit trail, in D1 or R2. Placing and lifting a hold are audited.
 */
export const legalHoldRoutes = new Hono<AppEnv>()
  .get("/agents/:agentId/legal-hold", async (c) => {
    const { agentId } = await requireAgent(c);
    const row = await (await agentDb(c.env, agentId)).prepare("SELECT reason, actor, at FROM legal_holds WHERE agent_id = ?").bind(agentId).first<HoldRow>();
    return c.json({ agentId, ...view(row) });
  })
  .put("/agents/:agentId/legal-hold", async (c) => {
    const { agentId, stub } = await requireAgent(c);
    const { reason } = parseBody(holdSchema, parseJson(await readBodyLimited(c.req.raw, 4 * 1024)));
    const actor = adminActor(c);
    const now = c.var.clock.now();
    // Placed first, audited second: a failure in between leaves data kept, never data lost.
    await (await agentDb(c.env, agentId)).prepare("INSERT INTO legal_holds (agent_id, reason, actor, at) VALUES (?, ?, ?, ?) ON CONFLICT(agent_id) DO UPDATE SET reason = excluded.reason, actor = excluded.actor, at = excluded.at")
      .bind(agentId, reason, actor, now)
      .run();
    await stub.recordEvents([{ level: "minimal", event: { at: now, actor, action: "legal_hold.placed", resource: agentId, decision: "changed", details: { reason } } }]);
    return c.json({ agentId, ...view({ reason, actor, at: now }) });
  })
  .delete("/agents/:agentId/legal-hold", async (c) => {
    const { agentId, stub } = await requireAgent(c);
    const actor = adminActor(c);
    const now = c.var.clock.now();
    const removed = await (await agentDb(c.env, agentId)).prepare("DELETE FROM legal_holds WHERE agent_id = ?").bind(agentId).run();
    if ((removed.meta.changes ?? 0) > 0) {
      await stub.recordEvents([{ level: "minimal", event: { at: now, actor, action: "legal_hold.lifted", resource: agentId, decision: "changed", details: {} } }]);
    }
    return c.json({ agentId, held: false });
  });
