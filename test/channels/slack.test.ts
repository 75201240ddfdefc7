import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PROGRESS_TEXT } from "../../src/queues/work";
import { createAgent, uniqueAgentId, putAgent } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";
import { appMention, sendSlack, slackCalls, waitForSlackCalls } from "../support/slack";
import { shardDb } from "../support/shards";

const SIGNING = "8f742231b10e8888abcd99yyyzzz85a5";

async function slackAgent(features: string[] = ["progress_tracking", "threading"]) {
  const botToken = `xoxb-${crypto.randomUUID()}`;
  const agentId = await createAgent(
    { channels: [{ type: "slack", features }] },
    { secrets: { http: "unused", slack: { signingSecret: SIGNING, botToken } } },
  );
  return { agentId, botToken };
}

describe("Slack channel: verification", () => {
  it("answers url_verification with the challenge", async () => {
    const { agentId } = await slackAgent();
    const challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P";
    const res = await sendSlack(agentId, { token: "Jhj5dZrVaK7ZwHHjRyZWjbDl", challenge, type: "url_verification" }, { signingSecret: SIGNING });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge });
  });

  it("refuses missing, stale, tampered and wrongly signed requests with 401", async () => {
    const { agentId } = await slackAgent();
    const body = appMention({ eventId: "Ev-verify", text: "<@U0BOTUSER> hi" });
    const now = Math.floor(Date.now() / 1000);
    const raw = JSON.stringify(body);
    const cases = [
      await sendSlack(agentId, body, { signingSecret: SIGNING, headers: { "x-slack-signature": "" } }),
      await sendSlack(agentId, body, { signingSecret: SIGNING, timestamp: now - 301 }),
      await sendSlack(agentId, raw, { signingSecret: SIGNING, sendBody: raw.replace("hi", "refund everything") }),
      await sendSlack(agentId, body, { signingSecret: "someone-elses-secret" }),
    ];
    expect(cases.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect(await modelRequests(agentId)).toHaveLength(0);
  });

  it("audits a refused Slack signature", async () => {
    const { agentId } = await slackAgent();
    expect((await sendSlack(agentId, appMention({ eventId: "Ev-forged", text: "hi" }), { signingSecret: "forged" })).status).toBe(401);
    const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
    let row: Record<string, unknown> | null = null;
    for (let i = 0; i < 50 && !row; i++) {
      await runDurableObjectAlarm(stub);
      row = await (await shardDb(agentId)).prepare("SELECT actor, details FROM audit_events WHERE agent_id = ? AND action = 'webhook.rejected'").bind(agentId).first();
      if (!row) await new Promise((r) => setTimeout(r, 20));
    }
    expect(row?.actor).toBe("unverified:slack");
    expect(JSON.parse(row!.details as string)).toMatchObject({ reason: "bad_signature" });
  });

  it("answers 400 for a signed body that is not an Events API payload, and 401 for an unknown agent", async () => {
    const { agentId } = await slackAgent();
    expect((await sendSlack(agentId, "{not json", { signingSecret: SIGNING })).status).toBe(400);
    expect((await sendSlack(agentId, { type: "event_callback" }, { signingSecret: SIGNING })).status).toBe(400);
    expect((await sendSlack(uniqueAgentId(), { type: "url_verification", challenge: "x" }, { signingSecret: SIGNING })).status).toBe(401);
  });
});

describe("Slack channel: answers", () => {
  it("acknowledges at once, shows progress in the thread, then replaces it with the answer", async () => {
    const { agentId, botToken } = await slackAgent();
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Read", input: { path: "hours.md" } }] },
      { type: "text", text: "We open at **9am** on weekdays. See [our site](https://example.com)." },
    ]);
    const res = await sendSlack(agentId, appMention({ eventId: "Ev-answer", text: "<@U0BOTUSER> when do you open?", ts: "1700.0001" }), {
      signingSecret: SIGNING,
    });
    expect(res.status).toBe(200);

    const calls = await waitForSlackCalls(botToken, 3);
    expect(calls[0]).toMatchObject({ method: "chat.postMessage", body: { channel: "C123ABC456", text: PROGRESS_TEXT, thread_ts: "1700.0001" } });
    expect(calls[1]).toMatchObject({ method: "chat.update", body: { text: `${PROGRESS_TEXT} (step 1: Read)` } });
    expect(calls.at(-1)).toMatchObject({
      method: "chat.update",
      body: { channel: "C123ABC456", text: "We open at *9am* on weekdays. See <https://example.com|our site>." },
    });
    // The model saw the message without the bot mention.
    const [first] = await modelRequests(agentId);
    expect((first?.body as { messages: unknown[] }).messages).toEqual([{ role: "user", content: "when do you open?" }]);
  });

  it("answers a Slack retry of the same event once", async () => {
    const { agentId, botToken } = await slackAgent([]);
    await scriptModel(agentId, [{ type: "text", text: "Only once." }]);
    const event = appMention({ eventId: "Ev-retry", text: "<@U0BOTUSER> hello?" });
    await sendSlack(agentId, event, { signingSecret: SIGNING });
    const retry = await sendSlack(agentId, event, { signingSecret: SIGNING, headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } });
    expect(retry.status).toBe(200);
    await waitForSlackCalls(botToken, 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await slackCalls(botToken)).filter((c) => c.method === "chat.postMessage")).toHaveLength(1);
    expect(await modelRequests(agentId)).toHaveLength(1);
  });

  it("ignores messages from bots, its own included, so it never answers itself", async () => {
    const { agentId, botToken } = await slackAgent();
    const own = appMention({ eventId: "Ev-own", text: "my own reply", user: "U0BOTUSER" });
    const otherBot = { ...appMention({ eventId: "Ev-bot", text: "beep" }), event: { ...appMention({ eventId: "x", text: "beep" }).event, bot_id: "B999" } };
    expect((await sendSlack(agentId, own, { signingSecret: SIGNING })).status).toBe(200);
    expect((await sendSlack(agentId, otherBot, { signingSecret: SIGNING })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await slackCalls(botToken)).toEqual([]);
    expect(await modelRequests(agentId)).toHaveLength(0);
  });

  it("splits a long answer into messages within Slack's section limit, in the thread", async () => {
    const { agentId, botToken } = await slackAgent(["threading"]);
    const long = Array.from({ length: 80 }, (_, i) => `Sentence number ${i} explains one more detail of the policy.`).join(" ");
    await scriptModel(agentId, [{ type: "text", text: long }]);
    await sendSlack(agentId, appMention({ eventId: "Ev-long", text: "<@U0BOTUSER> policy?", ts: "1700.0002" }), { signingSecret: SIGNING });
    const calls = await waitForSlackCalls(botToken, 2);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const c of calls) {
      expect((c.body.text as string).length).toBeLessThanOrEqual(3000);
      expect(c.body.thread_ts).toBe("1700.0002");
    }
    expect(calls.map((c) => c.body.text).join(" ")).toBe(long);
  });

  it("keeps the Slack signing secret and bot token out of every API response", async () => {
    const { agentId, botToken } = await slackAgent();
    const view = await putAgent(agentId, { config: { channels: [{ type: "slack", features: [] }] } });
    expect(JSON.stringify(view)).not.toContain(SIGNING);
    expect(JSON.stringify(view)).not.toContain(botToken);
    expect(view.secrets).toEqual(["http", "slack.botToken", "slack.signingSecret"]);
    expect(env.SLACK_API_URL).toContain("/api");
  });
});

describe("Slack channel: files", () => {
  it("answers a direct message that shares a file, telling the model what the file is and where", async () => {
    const { agentId, botToken } = await slackAgent(["threading"]);
    await scriptModel(agentId, [{ type: "text", text: "Thanks, I can see the receipt." }]);
    const body = {
      ...appMention({ eventId: `Ev-file-${crypto.randomUUID()}`, text: "here is my receipt" }),
    };
    body.event = {
      ...body.event,
      type: "message",
      subtype: "file_share",
      channel_type: "im",
      files: [
        {
          id: "F0S43PZDF",
          name: "receipt.pdf",
          title: "receipt.pdf",
          mimetype: "application/pdf",
          filetype: "pdf",
          size: 1024,
          url_private: "https://files.slack.com/files-pri/T123ABC456-F0S43PZDF/receipt.pdf",
        },
      ],
    } as typeof body.event;
    expect((await sendSlack(agentId, body, { signingSecret: SIGNING })).status).toBe(200);
    await waitForSlackCalls(botToken, 1);
    const [request] = await modelRequests(agentId);
    expect(JSON.stringify((request?.body as { messages: unknown }).messages)).toContain(
      "here is my receipt\\n\\n[Attachment: receipt.pdf (application/pdf, 1024 bytes), at https://files.slack.com/files-pri/T123ABC456-F0S43PZDF/receipt.pdf]",
    );
  });
});

describe("Slack channel: reactions", () => {
  it("turns a 👎 on the agent's answer into error feedback on that interaction", async () => {
    const { agentId, botToken } = await slackAgent([]);
    await scriptModel(agentId, [{ type: "text", text: "Wrong answer." }]);
    await sendSlack(agentId, appMention({ eventId: "Ev-q", text: "<@U0BOTUSER> price?" }), { signingSecret: SIGNING });
    const [posted] = await waitForSlackCalls(botToken, 1);
    expect(posted?.method).toBe("chat.postMessage");
    const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
    expect((await stub.outcomeSummary()).counts).toEqual({ success: 1 });

    const answerTs = posted!.ts;
    const reaction = {
      type: "event_callback",
      team_id: "T123ABC456",
      event_id: "Ev-reaction",
      event_time: 1700000001,
      authorizations: [{ user_id: "U0BOTUSER", is_bot: true }],
      event: { type: "reaction_added", user: "U061F7AUR", reaction: "-1", item_user: "U0BOTUSER", item: { type: "message", channel: "C123ABC456", ts: answerTs }, event_ts: "1700000001.000100" },
    };
    expect((await sendSlack(agentId, reaction, { signingSecret: SIGNING })).status).toBe(200);
    expect((await stub.outcomeSummary()).counts).toEqual({ error: 1 });
    // A retry of the same reaction event changes nothing more; a reaction to someone else's message is ignored.
    await sendSlack(agentId, reaction, { signingSecret: SIGNING, headers: { "x-slack-retry-num": "1" } });
    await sendSlack(agentId, { ...reaction, event_id: "Ev-other", event: { ...reaction.event, reaction: "+1", item_user: "U061F7AUR" } }, { signingSecret: SIGNING });
    expect((await stub.outcomeSummary()).counts).toEqual({ error: 1 });
  });
});
