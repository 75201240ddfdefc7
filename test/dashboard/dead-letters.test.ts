/**
 * The dashboard's dead letters page: the same (masked) listing as
 * `GET /v1/agents/:agentId/dead-letters`; replaying one or all through the admin routes' own code
 * (audited with the key's id), the result shown after the redirect; a viewer refused.
 */
import { createMessageBatch } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger";
import type { WorkMessage } from "../../src/core/messages";
import { consumeDeadLetters } from "../../src/queues/consumer";
import { admin, createAgent } from "../support/agents";
import { flushedSql } from "../support/audit";
import { scriptModel } from "../support/model";
import { waitForSlackCalls } from "../support/slack";
import { createKey, csrfOf, figuresOf, page, signIn } from "./support";
import { shardDb } from "../support/shards";

const SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";
const PHONE = "+1 415 555 0199";

/** Answers go to the fake Slack API under this agent's bot token. */
const botTokens = new Map<string, string>();

async function slackAgent(): Promise<string> {
  const botToken = `xoxb-${crypto.randomUUID()}`;
  const agentId = await createAgent({ channels: [{ type: "slack", features: ["threading"] }] }, { secrets: { http: "unused", slack: { signingSecret: SIGNING, botToken } } });
  botTokens.set(agentId, botToken);
  await scriptModel(agentId, [
    { type: "text", text: "We open at nine." },
    { type: "text", text: "We close at six." },
  ]);
  return agentId;
}

function slackWork(agentId: string, text = `When do you open? Call me on ${PHONE}`): WorkMessage {
  return {
    type: "channel_message",
    message: { agentId, channel: "slack", deliveryId: `Ev${crypto.randomUUID()}`, conversationKey: "C123ABC456:1700.0200", sender: "U061F7AUR", text, receivedAt: Date.now() },
    reply: { kind: "slack", channelId: "C123ABC456", ts: "1700.0200", threadTs: "1700.0200" },
  };
}

/** The message ran out of retries: the dead-letter consumer keeps it. Its row id. */
async function deadLetter(work: WorkMessage): Promise<string> {
  const id = `dlq-${crypto.randomUUID()}`;
  await consumeDeadLetters(createMessageBatch("foreman-dlq", [{ id, timestamp: new Date(), attempts: 6, body: work }]), env, silentLogger);
  return id;
}

interface Listed {
  deadLetters: Array<{ id: string; replayable: boolean; replayedAt: string | null; message: unknown }>;
  nextCursor: string | null;
}

const listed = async (agentId: string) => (await (await admin(`/v1/agents/${agentId}/dead-letters`)).json()) as Listed;
const rowsOf = (html: string) =>
  [...html.matchAll(/data-dead-letter="([^"]+)" data-replayable="([^"]+)" data-replayed-at="([^"]*)"/g)].map((m) => ({ id: m[1], replayable: m[2] === "true", replayedAt: m[3] || null }));
const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
/** Waits until the work queue has answered `count` replayed messages (the replay really went back to the queue). */
const answered = async (agentId: string, count: number) => (await waitForSlackCalls(botTokens.get(agentId)!, count)).filter((c) => c.method === "chat.postMessage");
const replayEvents = (agentId: string, atLeast = 1) => flushedSql<{ actor: string; resource: string }>(agentId, "SELECT actor, resource FROM audit_events WHERE agent_id = ? AND action = 'dead_letter.replayed'", [], atLeast);

describe("dashboard dead letters page", () => {
  it("lists the same dead letters as the JSON API, masked as it masks them, never another agent's", async () => {
    const agentId = await slackAgent();
    const other = await slackAgent();
    const ids = [await deadLetter(slackWork(agentId)), await deadLetter(slackWork(agentId, "Second question?"))];
    const theirs = await deadLetter(slackWork(other));
    expect((await admin(`/v1/agents/${agentId}/dead-letters/${ids[1]}/replay`, { method: "POST" })).status).toBe(202);

    const json = await listed(agentId);
    const { key } = await createKey({ role: "viewer" });
    const { cookie } = await signIn(key);
    const res = await page(`/dashboard/agents/${agentId}/dead-letters`, { cookie });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(rowsOf(html)).toEqual(json.deadLetters.map((d) => ({ id: d.id, replayable: d.replayable, replayedAt: d.replayedAt })));
    expect(rowsOf(html).map((r) => r.id)).toEqual(ids);
    expect(html).not.toContain(theirs);
    const figures = figuresOf(html);
    expect(Number(figures["dead-letters"])).toBe(json.deadLetters.length);
    expect(Number(figures.replayable)).toBe(json.deadLetters.filter((d) => d.replayable).length);

    // Each message exactly as the JSON route shows it: masked, the number nowhere.
    const shown = [...html.matchAll(/<pre class="json">([^<]*)<\/pre>/g)].map((m) => JSON.parse(unescape(m[1]!)) as unknown);
    expect(shown).toEqual(json.deadLetters.map((d) => d.message));
    expect(html).not.toContain("555 0199");
    expect(html).not.toContain("555&#39;");

    expect((await page(`/dashboard/agents/${agentId}/dead-letters?cursor=not-a-row`, { cookie })).status).toBe(400);
    await answered(agentId, 1);
  });

  it("replays one letter through the page as an admin key, audited with its id, and shows the result", async () => {
    const agentId = await slackAgent();
    const id = await deadLetter(slackWork(agentId));
    const { key, id: keyId } = await createKey({ role: "admin" });
    const { cookie } = await signIn(key);
    const html = await (await page(`/dashboard/agents/${agentId}/dead-letters`, { cookie })).text();
    expect(html).toContain(`action="/dashboard/agents/${agentId}/dead-letters/${id}/replay"`);
    expect(html).not.toMatch(/data-testid="replay-form"[^]*?disabled/);

    const path = `/dashboard/agents/${agentId}/dead-letters/${id}/replay`;
    const res = await page(path, { cookie, form: { _csrf: csrfOf(html) } });
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(location).toBe(`/dashboard/agents/${agentId}/dead-letters?replayed=1&refused=0`);
    const [row] = (await listed(agentId)).deadLetters;
    expect(row).toMatchObject({ id, replayable: false });
    expect(row!.replayedAt).not.toBeNull();
    const [event] = await replayEvents(agentId);
    expect(event).toEqual({ actor: `admin:${keyId}`, resource: `dead-letter:${id}` });

    const after = await (await page(location, { cookie })).text();
    expect(after).toMatch(/data-testid="replay-result" data-replayed="1" data-refused="0"/);
    expect(rowsOf(after)).toEqual([{ id, replayable: false, replayedAt: row!.replayedAt }]);

    // Once only: a second replay is refused and says so; an unknown letter is 404.
    const again = await page(path, { cookie, form: { _csrf: csrfOf(html) } });
    expect(again.headers.get("location")).toBe(`/dashboard/agents/${agentId}/dead-letters?replayed=0&refused=1`);
    expect(await replayEvents(agentId)).toHaveLength(1);
    expect((await page(`/dashboard/agents/${agentId}/dead-letters/dlq-unknown/replay`, { cookie, form: { _csrf: csrfOf(html) } })).status).toBe(404);
    expect((await answered(agentId, 1)).map((c) => c.body.text)).toEqual(["We open at nine."]);
  });

  it("replays all through the page as an operator, counting the letters it refused", async () => {
    const agentId = await slackAgent();
    const [first, gone] = [await deadLetter(slackWork(agentId)), await deadLetter(slackWork(agentId, "Are you open?"))];
    // Retention dropped the second one's unsealed payload: listed, no longer replayable.
    await (await shardDb(agentId)).prepare("UPDATE dead_letters SET payload = NULL WHERE id = ?").bind(gone).run();
    const { key, id: keyId } = await createKey({ role: "operator", agents: [agentId] });
    const { cookie } = await signIn(key);
    const html = await (await page(`/dashboard/agents/${agentId}/dead-letters`, { cookie })).text();
    expect(figuresOf(html).replayable).toBe("1");

    const res = await page(`/dashboard/agents/${agentId}/dead-letters/replay`, { cookie, form: { _csrf: csrfOf(html) } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/agents/${agentId}/dead-letters?replayed=1&refused=1`);
    const rows = (await listed(agentId)).deadLetters;
    expect(rows.find((d) => d.id === first)!.replayedAt).not.toBeNull();
    expect(rows.find((d) => d.id === gone)!.replayedAt).toBeNull();
    expect(await replayEvents(agentId)).toEqual([{ actor: `admin:${keyId}`, resource: `dead-letter:${first}` }]);
    const after = await (await page(res.headers.get("location")!, { cookie })).text();
    expect(after).toContain("1 replayed, 1 refused");
    expect((await answered(agentId, 1)).map((c) => c.body.text)).toEqual(["We open at nine."]);
  });

  it("shows a viewer the forms disabled and refuses its replays, with and without the CSRF token", async () => {
    const agentId = await slackAgent();
    const id = await deadLetter(slackWork(agentId));
    const { key } = await createKey({ role: "viewer" });
    const { cookie } = await signIn(key);
    const html = await (await page(`/dashboard/agents/${agentId}/dead-letters`, { cookie })).text();
    expect(html).toMatch(/<button type="submit" disabled="">\s*Replay all/);
    expect(html).toMatch(/<button type="submit" disabled="">\s*Replay\s*</);
    expect(html).toContain("This key is read-only.");

    for (const path of [`/dashboard/agents/${agentId}/dead-letters/${id}/replay`, `/dashboard/agents/${agentId}/dead-letters/replay`]) {
      const withToken = await page(path, { cookie, form: { _csrf: csrfOf(html) } });
      expect(withToken.status, path).toBe(403);
      expect(await withToken.text()).toContain("viewer keys are read-only");
      expect((await page(path, { cookie, form: {} })).status, path).toBe(403);
    }
    expect((await listed(agentId)).deadLetters[0]).toMatchObject({ id, replayable: true, replayedAt: null });

    const { key: otherKey } = await createKey({ role: "operator", agents: ["someone-else"] });
    expect((await page(`/dashboard/agents/${agentId}/dead-letters`, { cookie: (await signIn(otherKey)).cookie })).status).toBe(403);
  });
});
