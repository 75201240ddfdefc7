import { Hono } from "hono";
import { z } from "zod";
import { moveAgent } from "../db/move";
import { parseBody, parseJson, readBodyLimited } from "../http/body";
import type { AppEnv } from "../http/context";
import { adminActor, requireAgent } from "./common";

/** The body of `POST /v1/agents/:agentId/move`: the D1 binding name of the target shard. */
export const moveSchema = z.strictObject({
  shard: z
    .string()
    .trim()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a D1 binding name listed in D1_SHARDS, e.g. "DB_2"'),
});

/**
 * `POST /v1/agents/:agentId/move` (admin keys only): moves the agent's rows to another D1 shard
 * and points the directory at it (`moveAgent`). Safe to repeat: a run after a stopped one
 * finishes it, and a run after a finished one carries over rows written to the old shard by
 * workers that still read the old directory entry. A legal hold does not block it: the rows are
 * kept, only relocated, the audit chain with them. An agent too large for one request's D1
 * calls answers `complete: false` and goes on from there on the next call. Audited as
 * `agent.moved` when anything moved.
 */
export const moveRoutes = new Hono<AppEnv>().post("/agents/:agentId/move", async (c) => {
  const { agentId, stub } = await requireAgent(c);
  const { shard } = parseBody(moveSchema, parseJson(await readBodyLimited(c.req.raw, 4 * 1024)));
  const report = await moveAgent(c.env, agentId, shard, { logger: c.var.services.logger });
  const rows = Object.values(report.moved).reduce((a, b) => a + b, 0);
  if (!report.alreadyThere || rows > 0) {
    await stub.recordEvents([
      {
        level: "minimal",
        event: { at: c.var.clock.now(), actor: adminActor(c), action: "agent.moved", resource: agentId, decision: "changed", details: { from: report.from, to: report.to, complete: report.complete, moved: report.moved } },
      },
    ]);
  }
  return c.json(report);
});
