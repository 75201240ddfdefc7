import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { httpMessageSchema, MAX_HTTP_BODY_BYTES } from "../../src/channels/http/parse";
import { AppError } from "../../src/core/errors";
import { parseBody, parseJson } from "../../src/http/body";
import { createAgent, HTTP_SECRET } from "../support/agents";
import { anyJson, anyText, capturingApp, nearly, objectRows, postHttp, PURE_RUNS, RUNS } from "./support";

const id = fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,20}$/), anyText);
const message = nearly({ id, conversation: id, from: fc.oneof(fc.constant("customer"), anyText), text: fc.oneof(fc.constantFrom("When do you open?", "Do you ship abroad?"), anyText) });
const body = fc.oneof(
  { weight: 4, arbitrary: message.map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? "") },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);

describe("the HTTP channel's body, parsed", () => {
  it("is accepted or refused with a 400 naming the field, never anything else", () => {
    fc.assert(
      fc.property(body, (raw) => {
        try {
          const parsed = parseBody(httpMessageSchema, parseJson(raw));
          expect(parsed.text.trim()).toBe(parsed.text);
          expect(parsed.text.length).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(AppError);
          expect((err as AppError).code).toBe("invalid_request");
        }
      }),
      PURE_RUNS,
    );
  });
});

describe("the HTTP channel's route, with any signed body", () => {
  it("never answers 5xx, and a refused body claims nothing, counts nothing and queues nothing", async () => {
    const agentId = await createAgent();
    const { target, queued } = capturingApp();
    let refused = 0;
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const before = await objectRows(agentId);
        const queuedBefore = queued.length;
        const res = await postHttp(target, agentId, raw.slice(0, MAX_HTTP_BODY_BYTES), HTTP_SECRET);
        expect(res.status, raw).toBeLessThan(500);
        const json = (await res.json()) as { error?: { code: string; message: string } };
        if (res.status === 200) {
          answered += 1;
          return;
        }
        refused += 1;
        expect(json.error?.code).toBeTypeOf("string");
        expect(await objectRows(agentId)).toEqual(before);
        expect(queued.length).toBe(queuedBefore);
      }),
      RUNS,
    );
    // Both sides of the property were exercised.
    expect(refused).toBeGreaterThan(0);
    expect(answered).toBeGreaterThan(0);
  });
});
