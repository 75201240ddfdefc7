import { describe, expect, it } from "vitest";
import { defaultConfig, errorsByField, formValues, jsonErrorOffset, putBody, readValues } from "../../src/dashboard/pages/agent-form";

const blank = () => formValues(defaultConfig(), { id: "shop", version: "" });

describe("agent form", () => {
  it("finds where JSON breaks, and nothing in valid JSON", () => {
    for (const valid of ['{"a": [1, -2.5e3, true, null, "x\\u00e9\\n"]}', "  []  ", '"s"', "0"]) {
      expect(() => JSON.parse(valid)).not.toThrow();
      expect(jsonErrorOffset(valid), valid).toBeNull();
    }
    const cases: Array<[string, number]> = [
      ["{", 1],
      ['{"a": }', 6],
      ["[1,]", 3],
      ['{"a": 1 "b": 2}', 8],
      ["{'a': 1}", 1],
      ['{"a": 01}', 7],
      ['"tab\there"', 4],
      ["[1] x", 4],
      ["", 0],
    ];
    for (const [text, offset] of cases) {
      expect(() => JSON.parse(text)).toThrow();
      expect(jsonErrorOffset(text), text).toBe(offset);
    }
  });

  it("turns the form into a PUT body, leaving empty fields to the defaults", () => {
    const values = { ...blank(), name: "  Acme  ", maxTokens: "2048", systemPrompt: "Hi", sections: { ...blank().sections, trust: "", channels: '[{"type":"http"}]' } };
    const built = putBody(values, "");
    expect(built).toEqual({
      ok: true,
      body: { config: expect.objectContaining({ name: "Acme", maxTokens: 2048, systemPrompt: "Hi", channels: [{ type: "http" }] }) },
    });
    expect(built.ok && "trust" in (built.body.config as object)).toBe(false);
    expect(putBody({ ...values, secretName: "http" }, "s3cret")).toMatchObject({ ok: true, body: { secrets: { http: "s3cret" } } });
    expect(putBody({ ...values, maxTokens: "many" }, "")).toMatchObject({ ok: true, body: { config: { maxTokens: "many" } } });
  });

  it("reports every section that is not JSON, with its line and column", () => {
    const values = { ...blank(), sections: { ...blank().sections, trust: '{\n  "initial": 0.3,\n  "x": }', audit: "nope" } };
    const built = putBody(values, "");
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(Object.keys(built.errors)).toEqual(["trust", "audit"]);
    expect(built.errors.trust![0]).toMatch(/^trust: not valid JSON at line 3, column 8: /);
    expect(built.errors.audit![0]).toMatch(/^audit: not valid JSON at line 1, column 1: /);
  });

  it("keeps the prompt's line breaks as LF, whatever the browser sends", () => {
    const form = new URLSearchParams({ systemPrompt: "a\r\nb\rc\nd", id: " shop " });
    expect(readValues(form)).toMatchObject({ systemPrompt: "a\nb\nc\nd", id: "shop" });
  });

  it("places each issue beside the field its path starts with", () => {
    expect(
      errorsByField([
        { path: "trust.rules.2.amount", message: "must be at most 1" },
        { path: 'trust.permissions["1.5"]', message: "must be a trust level between 0 and 1" },
        { path: "secrets.http", message: "must not be empty" },
        { path: "id", message: "taken" },
        { path: "(root)", message: "looks wrong" },
        { path: "elsewhere.x", message: "odd" },
      ]),
    ).toEqual({
      trust: ["trust.rules.2.amount: must be at most 1", 'trust.permissions["1.5"]: must be a trust level between 0 and 1'],
      secrets: ["secrets.http: must not be empty"],
      id: ["id: taken"],
      form: ["looks wrong", "elsewhere.x: odd"],
    });
  });
});
