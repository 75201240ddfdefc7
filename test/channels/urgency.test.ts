import { describe, expect, it } from "vitest";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { createAgent, type HttpReply, sendHttp, settled } from "../support/agents";
import { flushedSql } from "../support/audit";
import { modelRequests, scriptModel } from "../support/model";

let n = 0;
async function ask(agentId: string, text: string, conversation = `u-${++n}`): Promise<HttpReply> {
  n += 1;
  const res = await sendHttp(agentId, { id: `urg-${n}`, conversation, from: "customer", text }, { target: settled });
  expect(res.status).toBe(200);
  return (await res.json()) as HttpReply;
}

const systemText = (request: { body: unknown } | undefined) =>
  JSON.stringify((request?.body as { system?: unknown }).system ?? "");

const STOLEN = "My card was stolen, block it now!";

describe("urgency", () => {
  it("answers a critical message fresh, tells the model, and alerts once per conversation per hour", async () => {
    const agentId = await createAgent({ optimization: SEED_EXAMPLE_CONFIG.optimization });
    await ask(agentId, STOLEN, "conv-a");
    await ask(agentId, STOLEN, "conv-b");
    await ask(agentId, "Someone stole my card this morning!", "conv-a");
    const requests = await modelRequests(agentId);
    // Never from the cache, though the second is the same text in a new conversation.
    expect(requests).toHaveLength(3);
    expect(systemText(requests[0])).toContain("reads as critical");
    expect(systemText(requests[0])).toContain("a person has been alerted");

    const alerts = await flushedSql(agentId, "SELECT type, details FROM alerts WHERE agent_id = ? ORDER BY at", [], 2);
    expect(alerts.map((a) => a.type)).toEqual(["urgent_message", "urgent_message"]);
    expect(JSON.parse(alerts[0]!.details as string)).toMatchObject({ channel: "http", urgency: "critical", cues: expect.arrayContaining(["safety:stolen"]) });
    const audited = await flushedSql(agentId, "SELECT action FROM audit_events WHERE agent_id = ? AND action = 'message.urgent'", [], 3);
    expect(audited).toHaveLength(3);
  });

  it("raises at most ten urgent alerts an hour however many threads sound urgent, and audits every one", async () => {
    const agentId = await createAgent({ optimization: SEED_EXAMPLE_CONFIG.optimization });
    for (let i = 0; i < 13; i++) {
      const res = await sendHttp(agentId, { id: `flood-${i}`, conversation: `thread-${i}`, from: `sender-${i}`, text: STOLEN }, { target: settled });
      expect(res.status).toBe(200);
    }
    const audited = await flushedSql(agentId, "SELECT action FROM audit_events WHERE agent_id = ? AND action = 'message.urgent'", [], 13);
    expect(audited).toHaveLength(13);
    const alerts = await flushedSql<{ message: string }>(agentId, "SELECT message FROM alerts WHERE agent_id = ? AND type = 'urgent_message' ORDER BY at", [], 10);
    expect(alerts).toHaveLength(10);
    expect(alerts[9]!.message).toContain("further urgent messages this hour are only in the audit trail");
  });

  it("leaves an ordinary question alone: no hint, no alert, cached as usual", async () => {
    const agentId = await createAgent({ optimization: SEED_EXAMPLE_CONFIG.optimization });
    await scriptModel(agentId, [{ type: "text", text: "Cards arrive in 5 days." }]);
    await ask(agentId, "How long does a new card take to arrive?");
    expect((await ask(agentId, "How long does a new card take to arrive?")).tier).toBe("cache");
    const [request] = await modelRequests(agentId);
    expect(systemText(request)).not.toContain("reads as");
    expect(await flushedSql(agentId, "SELECT type FROM alerts WHERE agent_id = ?", [], 0)).toEqual([]);
  });

  it("marks a high message for the model without alerting at the default urgencyAlert", async () => {
    const agentId = await createAgent({});
    await ask(agentId, "URGENT: I need my statement today, please hurry!!");
    expect(systemText((await modelRequests(agentId))[0])).toContain("reads as urgent");
    expect(await flushedSql(agentId, "SELECT type FROM alerts WHERE agent_id = ?", [], 0)).toEqual([]);
  });

  it("does nothing with detectUrgency off, and only audits with urgencyAlert off", async () => {
    const off = await createAgent({ messageHandling: { detectUrgency: false } });
    await ask(off, STOLEN);
    expect(systemText((await modelRequests(off))[0])).not.toContain("critical");
    expect(await flushedSql(off, "SELECT action FROM audit_events WHERE agent_id = ? AND action = 'message.urgent'", [], 0)).toEqual([]);

    const quiet = await createAgent({ messageHandling: { urgencyAlert: "off" } });
    await ask(quiet, STOLEN);
    const hint = systemText((await modelRequests(quiet))[0]);
    expect(hint).toContain("reads as critical");
    expect(hint).not.toContain("a person has been alerted");
    expect(await flushedSql(quiet, "SELECT type FROM alerts WHERE agent_id = ?", [], 0)).toEqual([]);
    expect(await flushedSql(quiet, "SELECT action FROM audit_events WHERE agent_id = ? AND action = 'message.urgent'")).toHaveLength(1);
  });
});
