import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTwilioForm } from "../../src/channels/sms/parse";
import { createAgent } from "../support/agents";
import { anyText, capturingApp, objectRows, postTwilio, PURE_RUNS, RUNS } from "./support";

const AUTH = "properties-twilio-auth-token";

const sid = fc.oneof(fc.stringMatching(/^(SM|MM)[0-9a-f]{32}$/), anyText);
const phone = fc.oneof(fc.stringMatching(/^\+1[0-9]{10}$/), anyText);
const known: Array<[string, fc.Arbitrary<string>]> = [
  ["MessageSid", sid],
  ["From", phone],
  ["To", phone],
  ["Body", fc.oneof(fc.constantFrom("When do you open?", "STOP", "start"), anyText)],
  ["MessageStatus", fc.constantFrom("delivered", "failed", "")],
  ["NumMedia", fc.oneof(fc.integer({ min: -2, max: 30 }).map(String), anyText)],
  ["MediaUrl0", fc.oneof(fc.webUrl(), anyText)],
  ["MediaContentType0", fc.oneof(fc.constant("image/jpeg"), anyText)],
  [" odd", anyText],
];
/** Twilio's form: any subset of its fields (in any order, some repeated), each plausible or odd. */
const form = fc
  .array(fc.integer({ min: 0, max: known.length - 1 }).chain((i) => known[i]![1].map((v): [string, string] => [known[i]![0], v])), { maxLength: 10 })
  .map((pairs) => pairs.map(([k, v]): [string, string] => [k, v.replaceAll("\u0000", "")]));

describe("Twilio forms, parsed", () => {
  it("never throw; a message has a Twilio SID, a sender and at most 10 https media", () => {
    fc.assert(
      fc.property(form, (params) => {
        const parsed = parseTwilioForm(params);
        if (parsed.kind === "unsupported") return;
        expect(parsed.sid).toMatch(/^(SM|MM)[0-9a-f]{32}$/);
        expect(parsed.from.length).toBeGreaterThan(0);
        if (parsed.kind === "message") {
          expect(parsed.media.length).toBeLessThanOrEqual(10);
          for (const m of parsed.media) expect(m.ref?.startsWith("https://")).toBe(true);
        }
      }),
      PURE_RUNS,
    );
  });
});

describe("the SMS route, with any signed form", () => {
  it("never answers 5xx, and a refused form records no receipt, claims nothing and queues nothing", async () => {
    const agentId = await createAgent(
      { channels: [{ type: "sms", provider: "twilio", features: [] }] },
      { secrets: { http: "unused", twilio: { accountSid: `AC${"0".repeat(32)}`, authToken: AUTH } } },
    );
    const { target, queued } = capturingApp();
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(form, async (params) => {
        const before = await objectRows(agentId);
        const queuedBefore = queued.length;
        const res = await postTwilio(target, agentId, params, AUTH);
        expect(res.status, JSON.stringify(params)).toBeLessThan(500);
        if (res.status < 400) {
          accepted += 1;
          return;
        }
        refused += 1;
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
