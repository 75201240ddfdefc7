import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { agentDb } from "../../src/db/shards";
import { CRONS } from "../../src/jobs/scheduled";
import { createAgent } from "../support/agents";
import { flushedSql } from "../support/audit";
import { cronJobs, runJobs } from "../support/jobs";

const HOUR = 3_600_000;

/** `perHour` interactions in each of the 168 hours before the last one, and `lastHour` in it. */
async function traffic(agentId: string, hourEnd: number, perHour: number, lastHour: number) {
  const rows: Array<[number, number]> = [];
  for (let h = 1; h <= 168; h++) for (let i = 0; i < perHour; i++) rows.push([hourEnd - (h + 1) * HOUR + i * 1000, 300]);
  for (let i = 0; i < lastHour; i++) rows.push([hourEnd - HOUR + i * 10, 300]);
  const db = await agentDb(env, agentId);
  const insert = db.prepare(
    `INSERT INTO interactions (id, agent_id, channel, delivery_id, conversation_hash, tier, model, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens,
       cost_micros, steps, tool_calls, denied_tools, outcome, created_at, latency_ms, urgency) VALUES (?, ?, 'http', ?, 'c', 'intelligent', 'm', 1, 1, 0, 0, ?, 1, 0, '[]', 'success', ?, 100, 'normal')`,
  );
  for (let i = 0; i < rows.length; i += 200) {
    await db.batch(rows.slice(i, i + 200).map(([at, cost], j) => insert.bind(crypto.randomUUID(), agentId, `d-${i + j}`, cost, at)));
  }
}

const unusualAlerts = (agentId: string) =>
  flushedSql<{ type: string; message: string }>(agentId, "SELECT type, message FROM alerts WHERE agent_id = ? AND type = 'unusual_activity'", [], 0);

/** The hourly cron's jobs, run to the end through the jobs consumer. */
const hourlyRun = (at: number) => runJobs(cronJobs(CRONS.hourly, at), { now: at });

describe("unusual_activity alerts from the hourly jobs", () => {
  it("alerts once for an agent whose last hour is far above its own week, and not for a steady one", async () => {
    const hourEnd = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
    const spiking = await createAgent({});
    const steady = await createAgent({});
    await traffic(spiking, hourEnd, 2, 150);
    await traffic(steady, hourEnd, 2, 2);
    const raised = (await hourlyRun(hourEnd + 60_000)).reduce((n, i) => n + (i.done.raised ?? 0), 0);
    expect(raised).toBeGreaterThanOrEqual(1);
    // Another cron firing in the same hour does nothing again.
    const again = await hourlyRun(hourEnd + 120_000);
    expect(again.every((i) => i.follow.length === 0 && Object.keys(i.done).length === 0)).toBe(true);
    const alerts = await unusualAlerts(spiking);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message).toMatch(/volume|requests/i);
    expect(await unusualAlerts(steady)).toEqual([]);
  });

  it("raises nothing for an agent that does not list unusual_activity in audit.analytics.alerts", async () => {
    const hourEnd = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
    const quiet = await createAgent({ audit: { analytics: { alerts: ["permission_escalation"] } } });
    await traffic(quiet, hourEnd, 2, 150);
    await hourlyRun(hourEnd + 60_000);
    expect(await unusualAlerts(quiet)).toEqual([]);
  });
});
