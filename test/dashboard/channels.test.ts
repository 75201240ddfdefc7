/**
 * The channels page, the conversation listing and a transcript: the same figures as the JSON API
 * for the same span, the same access rules, and no unmasked personal data.
 */
import { describe, expect, it } from "vitest";
import type { ChannelReport } from "../../src/admin/channels";
import type { ConversationPage, Transcript } from "../../src/admin/conversations";
import { admin, clockedApp, createAgent, sendHttp, settled, type Target } from "../support/agents";
import { scriptModel } from "../support/model";
import { createKey, figuresOf, page, signIn } from "./support";
import { shardDb } from "../support/shards";

const DAY = 86_400_000;

async function insertInteractions(agentId: string, rows: Array<{ channel: string; tier: string; outcome: string; urgency: string; cost: number; latency: number; at: number }>): Promise<void> {
  const db = await shardDb(agentId);
  await db.batch(
    rows.map((r) =>
      db.prepare(
        `INSERT INTO interactions (id, agent_id, channel, delivery_id, conversation_hash, tier, model, input_tokens, output_tokens,
         cache_write_tokens, cache_read_tokens, cost_micros, steps, tool_calls, denied_tools, outcome, created_at, latency_ms, urgency)
         VALUES (?, ?, ?, ?, ?, ?, NULL, 0, 0, 0, 0, ?, 1, 0, '[]', ?, ?, ?, ?)`,
      ).bind(crypto.randomUUID(), agentId, r.channel, crypto.randomUUID(), crypto.randomUUID().replace(/-/g, ""), r.tier, r.cost, r.outcome, r.at, r.latency, r.urgency),
    ),
  );
}

/** Each `<tr data-channel=…>` of the channels table, by channel: its data attributes and tier/outcome cells. */
function channelRows(html: string): Record<string, Record<string, string>> {
  const rows: Record<string, Record<string, string>> = {};
  for (const [row] of html.matchAll(/<tr[^>]*data-channel="[^"]+"[^>]*>[\s\S]*?<\/tr>/g)) {
    const attrs = Object.fromEntries([...row.slice(0, row.indexOf(">")).matchAll(/data-([a-z0-9-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    for (const m of row.matchAll(/data-(tier|outcome|urgent)="([^"]+)">([^<]*)</g)) attrs[`${m[1]}:${m[2]}`] = m[3]!;
    rows[attrs.channel!] = attrs;
  }
  return rows;
}

async function json<T>(path: string, target?: Target): Promise<T> {
  const res = await admin(path, target ? { target } : {});
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe("dashboard channels page", () => {
  it("shows the JSON API's figures per channel, for the default span and for a span asked for", async () => {
    const now = Date.UTC(2026, 10, 30, 15);
    const { target } = clockedApp(now);
    const agentId = await createAgent({}, {}, target);
    await insertInteractions(agentId, [
      { channel: "http", tier: "intelligent", outcome: "success", urgency: "normal", cost: 4000, latency: 900, at: now - 2 * DAY },
      { channel: "http", tier: "cache", outcome: "success", urgency: "high", cost: 0, latency: 40, at: now - 2 * DAY },
      { channel: "http", tier: "rule", outcome: "error", urgency: "normal", cost: 0, latency: 30, at: now - DAY },
      { channel: "sms", tier: "intelligent", outcome: "escalated", urgency: "critical", cost: 7000, latency: 1500, at: now - DAY },
      { channel: "email", tier: "pattern", outcome: "success", urgency: "normal", cost: 0, latency: 20_000, at: now - 10 * DAY },
      // Outside the default 30 days.
      { channel: "slack", tier: "intelligent", outcome: "success", urgency: "normal", cost: 9000, latency: 700, at: now - 40 * DAY },
    ]);
    const { key } = await createKey({ role: "viewer", agents: [agentId] });
    const { cookie } = await signIn(key, target);

    for (const query of ["", `from=${new Date(now - 45 * DAY).toISOString()}&to=${new Date(now - DAY).toISOString()}`]) {
      const report = await json<ChannelReport>(`/v1/agents/${agentId}/channels/analytics?${query}`, target);
      const res = await page(`/dashboard/agents/${agentId}/channels?${query}`, { cookie, target });
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).not.toMatch(/\sstyle=/);
      const figures = figuresOf(html);
      expect(Number(figures.requests)).toBe(report.totals.requests);
      expect(figures["p50-ms"]).toBe(String(report.totals.latencyMs.p50));
      expect(figures["p95-ms"]).toBe(String(report.totals.latencyMs.p95));
      expect(Number(figures["cost-usd"])).toBe(report.totals.costUsd);
      const rows = channelRows(html);
      for (const [name, stats] of [...Object.entries(report.channels), ["all", report.totals] as const]) {
        const row = rows[name]!;
        expect(row, name).toBeDefined();
        expect(Number(row.requests)).toBe(stats.requests);
        expect(row.p50).toBe(String(stats.latencyMs.p50));
        expect(row.p95).toBe(String(stats.latencyMs.p95));
        expect(Number(row["cost-usd"])).toBe(stats.costUsd);
        for (const [tier, n] of Object.entries(stats.tiers)) expect(Number(row[`tier:${tier}`]), `${name} ${tier}`).toBe(n);
        for (const [outcome, n] of Object.entries(stats.outcomes)) expect(Number(row[`outcome:${outcome}`]), `${name} ${outcome}`).toBe(n);
        expect(Number(row["urgent:high"])).toBe(stats.urgent.high);
        expect(Number(row["urgent:critical"])).toBe(stats.urgent.critical);
      }
      // Each day's bar is the sum of the channels' days.
      const bars = Object.fromEntries([...html.matchAll(/<g data-day="([^"]+)" data-requests="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])]));
      const perDay: Record<string, number> = {};
      for (const ch of Object.values(report.channels)) for (const d of ch.days) perDay[d.day] = (perDay[d.day] ?? 0) + d.requests;
      for (const [day, n] of Object.entries(perDay)) expect(bars[day], day).toBe(n);
      expect(Object.values(bars).reduce((a, b) => a + b, 0)).toBe(report.totals.requests);
    }
    const defaults = await json<ChannelReport>(`/v1/agents/${agentId}/channels/analytics`, target);
    expect(defaults.totals.requests).toBe(5);
  });

  it("is linked from the overview, refuses a key of other agents, and sends a visitor without a session to sign in", async () => {
    const agentId = await createAgent();
    const { cookie } = await signIn();
    const overview = await (await page(`/dashboard/agents/${agentId}`, { cookie })).text();
    expect(overview).toContain(`href="/dashboard/agents/${agentId}/channels"`);
    const { key } = await createKey({ role: "viewer", agents: ["someone-else"] });
    const other = await signIn(key);
    for (const path of ["channels", "conversations", `conversations/${"0".repeat(32)}`]) {
      expect((await page(`/dashboard/agents/${agentId}/${path}`, { cookie: other.cookie })).status).toBe(403);
      const anonymous = await page(`/dashboard/agents/${agentId}/${path}`);
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get("location")).toBe("/dashboard/sign-in");
    }
  });

  it("shows a clear error for a bad span", async () => {
    const agentId = await createAgent();
    const { cookie } = await signIn();
    const res = await page(`/dashboard/agents/${agentId}/channels?from=yesterday`, { cookie });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("from must be an ISO 8601 time or epoch milliseconds");
  });
});

const PII = "Reach me at jane.doe@example.com or +1 415 555 0132; card 4242 4242 4242 4242.";

/** Waits until the learning queue has stored `count` interactions of the agent. */
async function stored(agentId: string, count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const row = await (await shardDb(agentId)).prepare("SELECT COUNT(*) AS n FROM interactions WHERE agent_id = ?").bind(agentId).first<{ n: number }>();
    if ((row?.n ?? 0) >= count) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the learning queue never stored ${count} interactions of ${agentId}`);
}

describe("dashboard conversations", () => {
  it("lists the JSON API's conversations page by page, and shows a transcript with its personal data masked", async () => {
    const agentId = await createAgent();
    await scriptModel(agentId, [
      { type: "text", text: "Thanks, I will write to jane.doe@example.com." },
      { type: "text", text: "Opening hours are nine to five." },
    ]);
    for (const [conversation, text] of [["c1", PII], ["c2", "When do you open?"]]) {
      const res = await sendHttp(agentId, { id: crypto.randomUUID(), conversation, from: "u", text }, { target: settled });
      expect(res.status).toBe(200);
    }
    await stored(agentId, 2);
    const { key } = await createKey({ role: "viewer", agents: [agentId] });
    const { cookie } = await signIn(key);

    const all = await json<ConversationPage>(`/v1/agents/${agentId}/conversations`);
    const html = await (await page(`/dashboard/agents/${agentId}/conversations`, { cookie })).text();
    const rows = [...html.matchAll(/<tr data-conversation="([^"]+)" data-channel="([^"]+)" data-messages="(\d+)" data-cost-usd="([^"]+)"/g)].map((m) => ({
      id: m[1],
      channel: m[2],
      messages: Number(m[3]),
      costUsd: Number(m[4]),
    }));
    expect(rows).toEqual(all.conversations.map(({ id, channel, messages, costUsd }) => ({ id, channel, messages, costUsd })));
    expect(rows).toHaveLength(2);

    // One a page: the page's "older" link carries the JSON API's cursor.
    const first = await json<ConversationPage>(`/v1/agents/${agentId}/conversations?limit=1`);
    const firstHtml = await (await page(`/dashboard/agents/${agentId}/conversations?limit=1`, { cookie })).text();
    const cursor = /data-testid="older" data-cursor="([^"]+)"/.exec(firstHtml)?.[1];
    expect(cursor).toBe(first.nextCursor);
    const second = await json<ConversationPage>(`/v1/agents/${agentId}/conversations?limit=1&cursor=${encodeURIComponent(cursor!)}`);
    const secondHtml = await (await page(`/dashboard/agents/${agentId}/conversations?limit=1&cursor=${encodeURIComponent(cursor!)}`, { cookie })).text();
    expect(secondHtml).toContain(`data-conversation="${second.conversations[0]!.id}"`);
    expect(secondHtml).not.toContain('data-testid="older"');

    const c1 = all.conversations.at(-1)!.id;
    const transcript = await json<Transcript>(`/v1/agents/${agentId}/conversations/${c1}`);
    const res = await page(`/dashboard/agents/${agentId}/conversations/${c1}`, { cookie });
    expect(res.status).toBe(200);
    const view = await res.text();
    for (const raw of ["jane.doe@example.com", "555 0132", "4242 4242 4242 4242"]) expect(view).not.toContain(raw);
    const turns = [...view.matchAll(/data-role="(customer|agent)"/g)].map((m) => m[1]);
    expect(turns).toEqual(transcript.turns.map((t) => t.role));
    expect(view).toContain("Reach me at [EMAIL] or [PHONE]; card [CARD].");
    expect(view).toContain("Thanks, I will write to [EMAIL].");
    expect(view).toContain(`data-interaction="${transcript.turns[1]!.interactionId}"`);
    // Under the CSP: no inline style or script on any of the three pages.
    for (const body of [html, view]) {
      expect(body).not.toMatch(/\sstyle=/);
      expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    }
  });

  it("answers another agent's conversation, or an id that is none, with the JSON API's error", async () => {
    const mine = await createAgent();
    const theirs = await createAgent();
    await scriptModel(theirs, [{ type: "text", text: "Hello." }]);
    await sendHttp(theirs, { id: crypto.randomUUID(), conversation: "c1", from: "u", text: "Hi" }, { target: settled });
    await stored(theirs, 1);
    const [theirConversation] = (await json<ConversationPage>(`/v1/agents/${theirs}/conversations`)).conversations;
    const { cookie } = await signIn();
    const wrongTenant = await page(`/dashboard/agents/${mine}/conversations/${theirConversation!.id}`, { cookie });
    expect(wrongTenant.status).toBe(404);
    expect(await wrongTenant.text()).toContain(`has no conversation`);
    const garbage = await page(`/dashboard/agents/${mine}/conversations/not-an-id`, { cookie });
    expect(garbage.status).toBe(400);
    expect(await garbage.text()).toContain("conversationId must be");
  });
});
