import { describe, expect, it } from "vitest";
import { defineAgent } from "../../src/config";
import { type AgentRecord, type AgentSecrets, applySecretsPatch, nextRecord, secretNames } from "../../src/core/agent";

describe("applySecretsPatch", () => {
  const current: AgentSecrets = { http: "h-secret", slack: { botToken: "xoxb-1", signingSecret: "s-1" }, twilio: { authToken: "t-1" } };

  it("removes a secret set to null", () => {
    expect(applySecretsPatch(current, { http: null })).toEqual({
      slack: { botToken: "xoxb-1", signingSecret: "s-1" },
      twilio: { authToken: "t-1" },
    });
  });

  it("keeps the secrets the patch does not name", () => {
    const next = applySecretsPatch(current, { http: "h-new" });
    expect(next).toEqual({ http: "h-new", slack: { botToken: "xoxb-1", signingSecret: "s-1" }, twilio: { authToken: "t-1" } });
  });

  it("adds a secret that was not set", () => {
    expect(applySecretsPatch({}, { slack: { botToken: "xoxb-2" } })).toEqual({ slack: { botToken: "xoxb-2" } });
  });

  it("replaces a nested group whole rather than merging its fields", () => {
    expect(applySecretsPatch(current, { slack: { botToken: "xoxb-2" } }).slack).toEqual({ botToken: "xoxb-2" });
  });

  it("removes a whole nested group set to null", () => {
    expect(applySecretsPatch(current, { slack: null })).not.toHaveProperty("slack");
  });

  it("ignores null for a secret that is not set", () => {
    expect(applySecretsPatch({ http: "h" }, { slack: null })).toEqual({ http: "h" });
  });

  it("returns the current secrets unchanged when there is no patch", () => {
    expect(applySecretsPatch(current, undefined)).toBe(current);
    expect(applySecretsPatch(current, {})).toEqual(current);
  });

  it("does not modify the current secrets", () => {
    const before = structuredClone(current);
    applySecretsPatch(current, { http: null, slack: { botToken: "x" }, email: "e" });
    expect(current).toEqual(before);
  });
});

describe("secretNames", () => {
  it("names nested secrets as group.field and top-level ones by key, sorted", () => {
    expect(secretNames({ twilio: { authToken: "t" }, http: "h", slack: { signingSecret: "s", botToken: "b" } })).toEqual([
      "http",
      "slack.botToken",
      "slack.signingSecret",
      "twilio.authToken",
    ]);
  });

  it("never includes a secret's value", () => {
    const names = secretNames({ http: "value-h", slack: { botToken: "value-b" } });
    expect(names.join(" ")).not.toContain("value-");
  });

  it("names nothing for no secrets or an empty group", () => {
    expect(secretNames({})).toEqual([]);
    expect(secretNames({ slack: {} })).toEqual([]);
  });
});

describe("nextRecord", () => {
  const config = defineAgent({});
  const input = { agentId: "bakery", config, systemPrompt: "You answer for Acme Bakery.", model: "claude-sonnet-4-5" };

  it("starts a new agent at version 1, created and updated now", () => {
    expect(nextRecord(undefined, input, 1_000)).toEqual({ ...input, version: 1, createdAt: 1_000, updatedAt: 1_000 });
  });

  it("moves a replaced agent to the next version and keeps its creation time", () => {
    const first = nextRecord(undefined, input, 1_000);
    const second = nextRecord(first, { ...input, systemPrompt: "Be brief." }, 5_000);
    expect(second).toEqual({ ...input, systemPrompt: "Be brief.", version: 2, createdAt: 1_000, updatedAt: 5_000 });
    expect(nextRecord(second, input, 9_000)).toMatchObject({ version: 3, createdAt: 1_000, updatedAt: 9_000 });
  });

  it("takes config, prompt and model from the new input, not the previous record", () => {
    const previous: AgentRecord = { ...input, model: "claude-opus-4", systemPrompt: "old", version: 7, createdAt: 1, updatedAt: 2 };
    expect(nextRecord(previous, input, 3)).toEqual({ ...input, version: 8, createdAt: 1, updatedAt: 3 });
  });
});
