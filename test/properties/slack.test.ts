import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseSlackEvent } from "../../src/channels/slack/parse";
import { createAgent } from "../support/agents";
import { anyJson, anyText, capturingApp, nearly, objectRows, postSlack, PURE_RUNS, RUNS } from "./support";

const SIGNING = "properties-slack-signing-secret";

const slackId = (prefix: string) => fc.oneof(fc.stringMatching(new RegExp(`^${prefix}[A-Z0-9]{4,10}$`)), anyText);
const ts = fc.oneof(fc.stringMatching(/^1[0-9]{9}\.[0-9]{6}$/), anyText);
const event = nearly({
  type: fc.constantFrom("app_mention", "message", "reaction_added", "team_join"),
  user: slackId("U"),
  text: fc.oneof(fc.constantFrom("<@U0BOT> when do you open?", "hello"), anyText),
  channel: slackId("C"),
  channel_type: fc.constantFrom("im", "channel"),
  ts,
  thread_ts: ts,
  subtype: fc.constantFrom("file_share", "message_changed", "bot_message"),
  bot_id: slackId("B"),
  reaction: fc.constantFrom("+1", "-1", "thumbsup::skin-tone-2", "tada"),
  item: nearly({ type: fc.constant("message"), channel: slackId("C"), ts }),
  item_user: slackId("U"),
  files: fc.array(nearly({ name: anyText, mimetype: fc.constantFrom("image/png", "text/plain"), size: fc.integer(), url_private: fc.webUrl() }), { maxLength: 3 }),
});
const envelope = nearly({
  type: fc.constantFrom("event_callback", "url_verification", "app_rate_limited"),
  team_id: slackId("T"),
  event_id: slackId("Ev"),
  challenge: anyText,
  event,
  authorizations: fc.array(nearly({ user_id: slackId("U"), is_bot: fc.boolean() }), { maxLength: 2 }),
});
const body = fc.oneof({ weight: 5, arbitrary: envelope.map((e) => JSON.stringify(e)) }, { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? "") }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) });

describe("Slack events, parsed", () => {
  it("never throw, and a message carries its channel, user, timestamp and at most 20 files", () => {
    fc.assert(
      fc.property(envelope, (json) => {
        const parsed = parseSlackEvent(json);
        expect(["challenge", "message", "reaction", "ignored", "unsupported"]).toContain(parsed.kind);
        if (parsed.kind !== "message") return;
        expect(parsed.channelId.length * parsed.user.length * parsed.ts.length).toBeGreaterThan(0);
        expect(parsed.files.length).toBeLessThanOrEqual(20);
        for (const f of parsed.files) if (f.ref !== undefined) expect(f.ref.startsWith("https://")).toBe(true);
      }),
      PURE_RUNS,
    );
  });
});

describe("the Slack route, with any signed body", () => {
  it("never answers 5xx, and a refused body records no receipt, claims nothing and queues nothing", async () => {
    const agentId = await createAgent(
      { channels: [{ type: "slack", features: ["threading"] }] },
      { secrets: { http: "unused", slack: { signingSecret: SIGNING, botToken: "xoxb-properties" } } },
    );
    const { target, queued } = capturingApp();
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const before = await objectRows(agentId);
        const queuedBefore = queued.length;
        const res = await postSlack(target, agentId, raw, SIGNING);
        expect(res.status, raw).toBeLessThan(500);
        if (res.status < 400) {
          accepted += 1;
          return;
        }
        refused += 1;
        expect(((await res.json()) as { error?: { code?: string } }).error?.code).toBeTypeOf("string");
        expect(await objectRows(agentId)).toEqual(before);
        expect(queued.length).toBe(queuedBefore);
      }),
      RUNS,
    );
    // Both sides of the property were exercised.
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
  });
});
