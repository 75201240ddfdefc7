import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/core/errors";
import { copyAgentRows, moveAgent, moveProgressKey, type MoveReport } from "../../src/db/move";
import { agentKey, recordAgentShard, shardOf, shards, type Shard } from "../../src/db/shards";
import { putAgent, uniqueAgentId } from "../support/agents";
import { everyTable, insertInteraction, rowCounts, seedAgentRows } from "../support/move";

/** Interactions per seeded agent: more than two pages of `PAGE`, so paging is exercised. */
const INTERACTIONS = 17;
const PAGE = 7;

/** An agent created through the admin API, with a row in every per-agent table; its shard and the other one. */
async function seededAgent(): Promise<{ agentId: string; source: Shard; target: Shard }> {
  const agentId = uniqueAgentId("move");
  await putAgent(agentId, { config: { name: "Moving shop" } });
  const source = await shardOf(env, agentId);
  const target = shards(env).all.find((s) => s.name !== source.name)!;
  await seedAgentRows(source.db, agentId, INTERACTIONS);
  return { agentId, source, target };
}

/** What a seeded agent has: every table one row, `INTERACTIONS` interactions. */
const SEEDED = { ...everyTable(1), interactions: INTERACTIONS };

describe("moveAgent", () => {
  it("copies every row to the target, switches the directory, and leaves none in the source", async () => {
    const { agentId, source, target } = await seededAgent();
    const report = await moveAgent(env, agentId, target.name, { pageSize: PAGE });
    expect(report).toEqual({ agentId, from: source.name, to: target.name, alreadyThere: false, complete: true, moved: SEEDED });
    expect(await rowCounts(target.db, agentId)).toEqual(SEEDED);
    expect(await rowCounts(source.db, agentId)).toEqual(everyTable(0));
    expect(await env.CACHE.get(agentKey(agentId))).toBe(target.name);
    expect((await shardOf(env, agentId)).name).toBe(target.name);
  });

  it("a second run moves nothing and says the agent is already there", async () => {
    const { agentId, source, target } = await seededAgent();
    await moveAgent(env, agentId, target.name, { pageSize: PAGE });
    const again = await moveAgent(env, agentId, target.name, { pageSize: PAGE });
    expect(again).toEqual({ agentId, from: target.name, to: target.name, alreadyThere: true, complete: true, moved: everyTable(0) });
    expect(await rowCounts(target.db, agentId)).toEqual(SEEDED);
    expect(await rowCounts(source.db, agentId)).toEqual(everyTable(0));
  });

  it("moving an agent to the shard it is in changes nothing and says so", async () => {
    const { agentId, source } = await seededAgent();
    const report = await moveAgent(env, agentId, source.name);
    expect(report).toEqual({ agentId, from: source.name, to: source.name, alreadyThere: true, complete: true, moved: everyTable(0) });
    expect(await rowCounts(source.db, agentId)).toEqual(SEEDED);
  });

  it("finishes a move stopped after part of the copy, without duplicates, the source's newer rows winning", async () => {
    const { agentId, source, target } = await seededAgent();
    // A first run copied everything, then stopped before the switch; then the target lost a
    // page's worth of rows, and an alert was acknowledged in the source (still the one written to).
    await copyAgentRows(source.db, target.db, agentId, { mode: "replace", pageSize: PAGE });
    await target.db.prepare("DELETE FROM interactions WHERE id IN (SELECT id FROM interactions WHERE agent_id = ? ORDER BY id LIMIT 5)").bind(agentId).run();
    await target.db.prepare("DELETE FROM legal_holds WHERE agent_id = ?").bind(agentId).run();
    await source.db.prepare("UPDATE alerts SET acknowledged_at = 1, acknowledged_by = 'admin:bootstrap' WHERE agent_id = ?").bind(agentId).run();
    expect(await env.CACHE.get(agentKey(agentId))).toBe(source.name);

    const report = await moveAgent(env, agentId, target.name, { pageSize: PAGE });
    expect(report.alreadyThere).toBe(false);
    expect(await rowCounts(target.db, agentId)).toEqual(SEEDED);
    expect(await rowCounts(source.db, agentId)).toEqual(everyTable(0));
    const alert = await target.db.prepare("SELECT acknowledged_by FROM alerts WHERE agent_id = ?").bind(agentId).first<{ acknowledged_by: string | null }>();
    expect(alert?.acknowledged_by).toBe("admin:bootstrap");
  });

  it("finishes a move stopped after the switch: the old shard's rows are deleted once in the target", async () => {
    const { agentId, source, target } = await seededAgent();
    await copyAgentRows(source.db, target.db, agentId, { mode: "replace", pageSize: PAGE });
    await recordAgentShard(env, agentId, target);
    // Written to the target after the switch: the old shard's copy must not overwrite it.
    await target.db.prepare("UPDATE alerts SET acknowledged_by = 'admin:key_after' WHERE agent_id = ?").bind(agentId).run();

    const report = await moveAgent(env, agentId, target.name, { pageSize: PAGE });
    expect(report).toMatchObject({ from: target.name, to: target.name, alreadyThere: true, complete: true, moved: everyTable(0) });
    expect(await rowCounts(target.db, agentId)).toEqual(SEEDED);
    expect(await rowCounts(source.db, agentId)).toEqual(everyTable(0));
    const alert = await target.db.prepare("SELECT acknowledged_by FROM alerts WHERE agent_id = ?").bind(agentId).first<{ acknowledged_by: string | null }>();
    expect(alert?.acknowledged_by).toBe("admin:key_after");
  });

  it("carries over, on the next run, rows a worker reading the old directory entry wrote to the old shard", async () => {
    const { agentId, source, target } = await seededAgent();
    await moveAgent(env, agentId, target.name, { pageSize: PAGE });
    // A worker elsewhere still sees the old entry for up to a minute: it writes to the old shard.
    await source.db.batch([
      insertInteraction(source.db, agentId, `late-${agentId}`, Date.now()),
      source.db.prepare("INSERT INTO pattern_versions (agent_id, version) VALUES (?, 1)").bind(agentId),
    ]);
    // Meanwhile the target raised the counter: the lower straggler must not lower it.
    await target.db.prepare("UPDATE pattern_versions SET version = 5 WHERE agent_id = ?").bind(agentId).run();

    const report = await moveAgent(env, agentId, target.name, { pageSize: PAGE });
    expect(report.moved).toEqual({ ...everyTable(0), interactions: 1 });
    expect(await rowCounts(target.db, agentId)).toEqual({ ...SEEDED, interactions: INTERACTIONS + 1 });
    expect(await rowCounts(source.db, agentId)).toEqual(everyTable(0));
    const version = await target.db.prepare("SELECT version FROM pattern_versions WHERE agent_id = ?").bind(agentId).first<{ version: number }>();
    expect(version?.version).toBe(5);
    expect((await moveAgent(env, agentId, target.name)).moved).toEqual(everyTable(0));
  });

  it("moves an agent too large for one run over several, each stopping at its budget and the next going on", async () => {
    const { agentId, source, target } = await seededAgent();
    const runs: MoveReport[] = [];
    do {
      runs.push(await moveAgent(env, agentId, target.name, { pageSize: PAGE, maxCalls: 1 }));
      if (runs.length === 1) {
        // Stopped mid-copy: the directory still names the source, and the copy knows where it was.
        expect(runs[0]).toMatchObject({ alreadyThere: false, complete: false });
        expect(await env.CACHE.get(agentKey(agentId))).toBe(source.name);
        expect(await env.CACHE.get(moveProgressKey(agentId))).not.toBeNull();
      }
    } while (!runs.at(-1)!.complete && runs.length < 50);
    expect(runs.length).toBeGreaterThan(2);
    expect(runs.at(-1)!.complete).toBe(true);
    // Each row was copied once: the runs went on where the last stopped.
    const total = everyTable(0);
    for (const run of runs) for (const [table, n] of Object.entries(run.moved)) total[table as keyof typeof total] += n;
    expect(total).toEqual(SEEDED);
    expect(await rowCounts(target.db, agentId)).toEqual(SEEDED);
    expect(await rowCounts(source.db, agentId)).toEqual(everyTable(0));
    expect(await env.CACHE.get(agentKey(agentId))).toBe(target.name);
    expect(await env.CACHE.get(moveProgressKey(agentId))).toBeNull();
  });

  it("moves an agent back to the shard it came from", async () => {
    const { agentId, source, target } = await seededAgent();
    await moveAgent(env, agentId, target.name, { pageSize: PAGE });
    const back = await moveAgent(env, agentId, source.name, { pageSize: PAGE });
    expect(back).toEqual({ agentId, from: target.name, to: source.name, alreadyThere: false, complete: true, moved: SEEDED });
    expect(await rowCounts(source.db, agentId)).toEqual(SEEDED);
    expect(await rowCounts(target.db, agentId)).toEqual(everyTable(0));
  });

  it("refuses a shard D1_SHARDS does not list, naming the field and the shards, and changes nothing", async () => {
    const { agentId, source } = await seededAgent();
    const refusal = await moveAgent(env, agentId, "DB_9").catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ code: "invalid_request", details: { issues: [{ path: "shard" }] } });
    expect((refusal as AppError).message).toMatch(/^shard: "DB_9" is not one of this worker's D1 shards; the shards \(D1_SHARDS\) are DB, DB_2$/);
    expect(await rowCounts(source.db, agentId)).toEqual(SEEDED);
    expect(await env.CACHE.get(agentKey(agentId))).toBe(source.name);
  });

  it("refuses an agent no shard holds", async () => {
    const agentId = uniqueAgentId("nobody");
    const refusal = await moveAgent(env, agentId, "DB_2").catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: "not_found", message: `unknown agent "${agentId}"` });
    expect(await env.CACHE.get(agentKey(agentId))).toBeNull();
  });
});
