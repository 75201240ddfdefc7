import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shards } from "../../src/db/shards";
import { AGENTS_PER_PAGE, firstPage } from "../../src/jobs/messages";
import { CRONS, runScheduled } from "../../src/jobs/scheduled";
import { silentLogger } from "../../src/core/logger";
import { createAgent } from "../support/agents";
import { flushedSql } from "../support/audit";
import { cronJobs, runJobs } from "../support/jobs";

const HOUR = 3_600_000;
const hourEnd = Math.floor(Date.now() / HOUR) * HOUR;

/** `n` agents' index rows written straight to the shard each one is placed in, as a PUT would. */
async function manyAgents(n: number, prefix: string): Promise<Map<string, string[]>> {
  const byShard = new Map<string, string[]>();
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, "0")}`);
  for (const id of ids) {
    const shard = shards(env).place(id);
    byShard.set(shard.name, [...(byShard.get(shard.name) ?? []), id]);
  }
  for (const [name, group] of byShard) {
    const db = shards(env).byName(name)!.db;
    const insert = db.prepare("INSERT INTO agents (id, version, name, model, config, created_at, updated_at) VALUES (?, 1, NULL, 'claude-sonnet-4-5', '{}', 0, 0)");
    for (let i = 0; i < group.length; i += 500) await db.batch(group.slice(i, i + 500).map((id) => insert.bind(id)));
  }
  return byShard;
}

async function agentCount(db: D1Database): Promise<number> {
  return (await db.prepare("SELECT COUNT(*) AS n FROM agents").first<{ n: number }>())!.n;
}

/** `count` interactions of an agent spread over the hour starting at `hour`. */
async function interactions(db: D1Database, agentId: string, hour: number, count: number): Promise<void> {
  const insert = db.prepare(
    `INSERT INTO interactions (id, agent_id, channel, delivery_id, conversation_hash, tier, model, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens,
       cost_micros, steps, tool_calls, denied_tools, outcome, created_at, latency_ms, urgency) VALUES (?, ?, 'http', ?, 'c', 'intelligent', 'm', 1, 1, 0, 0, 500, 1, 0, '[]', 'success', ?, 120, 'normal')`,
  );
  await db.batch(Array.from({ length: count }, (_, i) => insert.bind(crypto.randomUUID(), agentId, `d-${hour}-${i}`, hour + Math.floor((i * HOUR) / count))));
}

describe("periodic jobs fan out through the jobs queue", () => {
  it("a cron run with thousands of agents enqueues a message per job and shard, and no invocation touches more than one page of agents", async () => {
    const placed = await manyAgents(2_500, "fan");
    const all = shards(env).all;
    // The cron itself reads nothing and sends jobs × shards (+1) messages, whatever the agents.
    const sent: unknown[] = [];
    const capture = { ...env, JOBS_QUEUE: { sendBatch: async (b: Array<{ body: unknown }>) => void sent.push(...b.map((m) => m.body)) } as unknown as Queue };
    await runScheduled(CRONS.hourly, capture, hourEnd + 5 * 60_000, silentLogger);
    expect(sent).toHaveLength(all.length * 4 + 1);
    expect(sent).toEqual(cronJobs(CRONS.hourly, hourEnd + 5 * 60_000));

    const runs = await runJobs(cronJobs(CRONS.hourly, hourEnd + 5 * 60_000));
    expect(runs.every((r) => r.outcome === "ack")).toBe(true);
    const hourly = runs.filter((r) => r.message.job === "hourly");
    expect(Math.max(...hourly.map((r) => r.done.agents ?? 0))).toBe(AGENTS_PER_PAGE);
    for (const shard of all) {
      const pages = hourly.filter((r) => r.message.shard === shard.name);
      const agents = await agentCount(shard.db);
      // Every agent of the shard exactly once, a page at a time, and only the shard's own agents.
      expect(pages.reduce((n, r) => n + (r.done.agents ?? 0), 0)).toBe(agents);
      expect(pages).toHaveLength(Math.floor(agents / AGENTS_PER_PAGE) + 1);
      expect(agents).toBeGreaterThanOrEqual(placed.get(shard.name)?.length ?? 0);
      expect(pages.every((r) => (r.done.agents ?? 0) <= AGENTS_PER_PAGE)).toBe(true);
    }
  });

  it("a redelivered page does nothing again, and a page done again after a stop does not double-count", async () => {
    const agentId = await createAgent({});
    const shard = shards(env).all.find((s) => s.name === (shards(env).place(agentId).name))!;
    // Quiet hours, then 200 answers in the hour that just ended: one unusual_activity alert. (Each
    // test runs at an hour of its own: done pages are remembered per job, hour and page.)
    const end = hourEnd - 48 * HOUR;
    for (let h = 2; h <= 30; h++) await interactions(shard.db, agentId, end - h * HOUR, 2);
    await interactions(shard.db, agentId, end - HOUR, 200);
    const at = end + 5 * 60_000;
    const page = firstPage("hourly", shard.name, at);
    const sums = () =>
      shard.db.prepare("SELECT SUM(requests) AS requests, SUM(cost_micros) AS cost FROM agent_hours WHERE agent_id = ?").bind(agentId).first<{ requests: number; cost: number }>();

    const [first] = await runJobs([page], { now: at, follow: false });
    expect(first!.done.rolledUp).toBeGreaterThanOrEqual(1);
    expect(first!.done.raised).toBe(1);
    expect(await sums()).toEqual({ requests: 29 * 2 + 200, cost: (29 * 2 + 200) * 500 });

    // The same message again (the queue redelivers it): acknowledged, nothing done.
    const [again] = await runJobs([page], { now: at, attempts: 2, follow: false });
    expect(again).toMatchObject({ outcome: "ack", done: {}, follow: [] });

    // The consumer stopped after the work and before remembering the page: the page runs again.
    await shard.db.prepare("DELETE FROM job_pages WHERE job = 'hourly' AND page = ''").run();
    const [redone] = await runJobs([page], { now: at, attempts: 3, follow: false });
    expect(redone!.outcome).toBe("ack");
    expect(redone!.done.raised).toBe(0);
    expect(await sums()).toEqual({ requests: 29 * 2 + 200, cost: (29 * 2 + 200) * 500 });
    expect(await flushedSql(agentId, "SELECT id FROM alerts WHERE agent_id = ? AND type = 'unusual_activity'")).toHaveLength(1);
  });

  it("picks up where it stopped: the next page starts after the last agent of the one before", async () => {
    await manyAgents(250, "resume");
    const shard = shards(env).all[0]!;
    const at = hourEnd + 5 * 60_000 + 3 * HOUR;
    const [head] = await runJobs([firstPage("hourly", shard.name, at)], { now: at, follow: false });
    const next = head!.follow.find((m) => m.job === "hourly")!;
    const { results } = await shard.db.prepare("SELECT id FROM agents ORDER BY id LIMIT ?").bind(AGENTS_PER_PAGE).all<{ id: string }>();
    expect(next.page).toBe(results.at(-1)!.id);
    const rest = await runJobs([next], { now: at });
    expect(rest.filter((r) => r.message.job === "hourly").reduce((n, r) => n + (r.done.agents ?? 0), 0)).toBe((await agentCount(shard.db)) - AGENTS_PER_PAGE);
  });

  it("a page whose every agent learned something enqueues its 100 detections and the next page in batches the queue takes", async () => {
    const shard = shards(env).all[0]!;
    // Ids that sort first and are placed on this shard: the first page is exactly these agents.
    const ids: string[] = [];
    for (let i = 0; ids.length < AGENTS_PER_PAGE; i++) if (shards(env).place(`aaa-${i}`).name === shard.name) ids.push(`aaa-${i}`);
    const insert = shard.db.prepare("INSERT INTO agents (id, version, name, model, config, created_at, updated_at) VALUES (?, 1, NULL, 'claude-sonnet-4-5', '{}', 0, 0)");
    await shard.db.batch(ids.map((id) => insert.bind(id)));
    const at = hourEnd + 5 * 60_000 - 7 * HOUR;
    const learned = shard.db.prepare(
      `INSERT INTO interactions (id, agent_id, channel, delivery_id, conversation_hash, tier, model, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens,
         cost_micros, steps, tool_calls, denied_tools, outcome, created_at, latency_ms, urgency, learnable) VALUES (?, ?, 'http', ?, 'c', 'intelligent', 'm', 1, 1, 0, 0, 500, 1, 0, '[]', 'success', ?, 120, 'normal', 1)`,
    );
    await shard.db.batch(ids.map((id) => learned.bind(crypto.randomUUID(), id, `d-${id}`, at - 30 * 60_000)));
    const [page] = await runJobs([firstPage("hourly", shard.name, at)], { now: at, follow: false });
    expect(page!.outcome).toBe("ack");
    expect(page!.follow.filter((m) => m.job === "detect").map((m) => m.page).sort()).toEqual([...ids].sort());
    expect(page!.follow.filter((m) => m.job === "hourly")).toHaveLength(1);
    expect(page!.batches.every((n) => n <= 100)).toBe(true);
  });

  it("acknowledges a malformed message or an unknown shard without doing anything", async () => {
    const runs = await runJobs([{ ...firstPage("hourly", "NOT_A_SHARD", hourEnd), page: "" }], { follow: false });
    expect(runs[0]).toMatchObject({ outcome: "ack", done: {}, follow: [] });
  });
});
