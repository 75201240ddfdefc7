/**
 * Two agents on different D1 shards (`D1_SHARDS` is "DB,DB_2" under test), with real traffic:
 * messages through the HTTP channel (interactions through the learning queue, audit events
 * through the agent's outbox), an alert from a trust change and a dead letter from the queue.
 * Each agent's rows are in its own shard only, and every admin read sees its own agent's rows
 * and never the other's.
 */
import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ConversationPage } from "../../src/admin/conversations";
import type { WorkMessage } from "../../src/core/messages";
import { silentLogger } from "../../src/core/logger";
import { shards } from "../../src/db/shards";
import { consumeDeadLetters } from "../../src/queues/consumer";
import { admin, HTTP_SECRET, putAgent, sendHttp, settled } from "../support/agents";
import { flushedRows } from "../support/audit";
import { scriptModel } from "../support/model";
import { agentIdOn } from "../support/shards";

/** The tables with an agent's rows, and the column naming the agent. */
const TABLES = { agents: "id", interactions: "agent_id", audit_events: "agent_id", alerts: "agent_id", dead_letters: "agent_id" } as const;
type Table = keyof typeof TABLES;

const dbNamed = (name: string) => shards(env).byName(name)!.db;

async function idsIn(shardName: string, table: Table, agentId: string): Promise<string[]> {
  const { results } = await dbNamed(shardName).prepare(`SELECT id FROM ${table} WHERE ${TABLES[table]} = ? ORDER BY id`).bind(agentId).all<{ id: string }>();
  return results.map((r) => r.id);
}

async function json<T>(path: string, token?: string): Promise<T> {
  const res = await admin(path, token === undefined ? {} : { token });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

interface Traffic {
  agentId: string;
  shard: string;
  conversations: number;
  deadLetterId: string;
}

/**
 * An agent created through the admin API on the named shard, answering `conversations` customers
 * (one message each) through the HTTP channel, raised to trust 0.9 (a `permission_escalation`
 * alert), and with one Slack message dead-lettered by the queue; waits until its shard holds it all.
 */
async function agentWithTraffic(shard: string, conversations: number): Promise<Traffic> {
  const agentId = agentIdOn(shard, "iso");
  await putAgent(agentId, { config: {}, secrets: { http: HTTP_SECRET } });
  await scriptModel(agentId, Array.from({ length: conversations }, (_, i) => ({ type: "text" as const, text: `Answer ${i} of ${agentId}.` })));
  for (let i = 0; i < conversations; i++) {
    const res = await sendHttp(agentId, { id: `m-${i}`, conversation: `c-${i}`, from: `customer-${i}`, text: "When do you open?" }, { target: settled });
    expect(res.status).toBe(200);
  }
  const trust = await admin(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level: 0.9, reason: "pilot" }) });
  expect(trust.status).toBe(200);

  const deadLetterId = `dlq-${crypto.randomUUID()}`;
  const work: WorkMessage = {
    type: "channel_message",
    message: { agentId, channel: "slack", deliveryId: `Ev${crypto.randomUUID()}`, conversationKey: "C123ABC456:1700.0200", sender: "U061F7AUR", text: "Are you open?", receivedAt: Date.now() },
    reply: { kind: "slack", channelId: "C123ABC456", ts: "1700.0200", threadTs: "1700.0200" },
  };
  await consumeDeadLetters(createMessageBatch("foreman-dlq", [{ id: deadLetterId, timestamp: new Date(), attempts: 6, body: work }]), env, silentLogger);

  // Interactions arrive through the learning queue, events and alerts with the agent's alarm.
  await flushedRows(agentId, async () => ((await idsIn(shard, "interactions", agentId)).length >= conversations ? [1] : []), 1, 400);
  await flushedRows(agentId, () => idsIn(shard, "alerts", agentId));
  return { agentId, shard, conversations, deadLetterId };
}

describe("agents on different shards", () => {
  it("keeps each agent's rows in its own shard, and each admin read shows its own agent's data only", async () => {
    const a = await agentWithTraffic("DB", 2);
    const b = await agentWithTraffic("DB_2", 3);

    for (const [mine, theirs] of [
      [a, b],
      [b, a],
    ] as const) {
      const label = `${mine.agentId} on ${mine.shard}`;
      const other = theirs.shard;
      expect(await idsIn(mine.shard, "agents", mine.agentId), label).toEqual([mine.agentId]);
      expect(await idsIn(mine.shard, "interactions", mine.agentId), label).toHaveLength(mine.conversations);
      expect((await idsIn(mine.shard, "audit_events", mine.agentId)).length, label).toBeGreaterThan(0);
      expect(await idsIn(mine.shard, "dead_letters", mine.agentId), label).toEqual([mine.deadLetterId]);
      for (const table of Object.keys(TABLES) as Table[]) expect(await idsIn(other, table, mine.agentId), `${label}: ${table} in ${other}`).toEqual([]);

      // Analytics: the agent's own requests.
      const analytics = await json<{ agentId: string; requests: number }>(`/v1/agents/${mine.agentId}/analytics`);
      expect(analytics).toMatchObject({ agentId: mine.agentId, requests: mine.conversations });

      // Audit search: exactly the agent's events in its shard.
      const events: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { events: Array<{ id: string }>; nextCursor: string | null } = await json(`/v1/agents/${mine.agentId}/audit?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        events.push(...page.events.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(events.sort(), label).toEqual(await idsIn(mine.shard, "audit_events", mine.agentId));

      // Conversations: its own, and the other agent's conversation is not found under it.
      const conversations = await json<ConversationPage>(`/v1/agents/${mine.agentId}/conversations`);
      expect(conversations.conversations, label).toHaveLength(mine.conversations);
      const theirConversations = await json<ConversationPage>(`/v1/agents/${theirs.agentId}/conversations`);
      const theirConversation = theirConversations.conversations[0]!.id;
      expect((await admin(`/v1/agents/${mine.agentId}/conversations/${theirConversation}`)).status, label).toBe(404);

      // Alerts: its own; the other agent's alert is unknown under it.
      const alerts = await json<{ alerts: Array<{ id: string; type: string }> }>(`/v1/agents/${mine.agentId}/alerts`);
      expect(alerts.alerts.map((x) => x.id).sort(), label).toEqual(await idsIn(mine.shard, "alerts", mine.agentId));
      expect(alerts.alerts.map((x) => x.type)).toContain("permission_escalation");
      const [theirAlert] = await idsIn(other, "alerts", theirs.agentId);
      expect((await admin(`/v1/agents/${mine.agentId}/alerts/${theirAlert}/acknowledge`, { method: "POST" })).status, label).toBe(404);

      // Dead letters: its own; the other agent's is unknown under it.
      const deadLetters = await json<{ deadLetters: Array<{ id: string }> }>(`/v1/agents/${mine.agentId}/dead-letters`);
      expect(deadLetters.deadLetters.map((d) => d.id), label).toEqual([mine.deadLetterId]);
      expect((await admin(`/v1/agents/${mine.agentId}/dead-letters?cursor=${theirs.deadLetterId}`)).status, label).toBe(400);
    }
  });

  it("lists agents of every shard in one order of ids, paging across shards, and a key's agents only", async () => {
    const prefix = `list-${crypto.randomUUID().slice(0, 8)}`;
    const ids = [agentIdOn("DB", prefix), agentIdOn("DB_2", prefix), agentIdOn("DB", prefix), agentIdOn("DB_2", prefix), agentIdOn("DB_2", prefix)];
    for (const id of ids) await putAgent(id, { config: { name: id } });
    const sorted = [...ids].sort();

    for (const limit of [1, 2, 3]) {
      const seen: string[] = [];
      let cursor: string | null = `${prefix}-`;
      let pages = 0;
      while (cursor !== null && pages < 20) {
        const page: { agents: Array<{ agentId: string; name: string }>; nextCursor: string | null } = await json(`/v1/agents?limit=${limit}&cursor=${cursor}`);
        pages += 1;
        expect(page.agents.length).toBeLessThanOrEqual(limit);
        const ours = page.agents.filter((x) => x.agentId.startsWith(`${prefix}-`));
        for (const x of ours) expect(x.name).toBe(x.agentId);
        seen.push(...ours.map((x) => x.agentId));
        // Past the prefix, no more of these agents follow.
        cursor = ours.length < page.agents.length ? null : page.nextCursor;
      }
      expect(seen, `limit ${limit}`).toEqual(sorted);
    }

    const created = await admin("/v1/keys", { method: "POST", body: JSON.stringify({ role: "viewer", agents: [ids[1]!, ids[2]!] }) });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const scoped = await json<{ agents: Array<{ agentId: string }>; nextCursor: string | null }>("/v1/agents?limit=1", key);
    const second = await json<{ agents: Array<{ agentId: string }>; nextCursor: string | null }>(`/v1/agents?limit=1&cursor=${scoped.nextCursor}`, key);
    expect([...scoped.agents, ...second.agents].map((x) => x.agentId)).toEqual([ids[1]!, ids[2]!].sort());
    expect(second.nextCursor).toBeNull();
  });
});
