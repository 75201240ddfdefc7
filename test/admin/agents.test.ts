import { describe, expect, it } from "vitest";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { admin, putAgent, uniqueAgentId } from "../support/agents";
import { shardDb } from "../support/shards";

interface ErrorReply {
  error: { code: string; message: string; requestId: string; details?: { issues?: Array<{ path: string; message: string }> } };
}

describe("admin API authentication", () => {
  it("refuses a request without a bearer token with 401 and the error envelope", async () => {
    const res = await admin("/v1/agents", { token: null });
    expect(res.status).toBe(401);
    const body = (await res.json()) as ErrorReply;
    expect(body.error.code).toBe("unauthorized");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("refuses a wrong token, a token with a matching prefix, and a non-bearer scheme", async () => {
    for (const headers of [
      { authorization: "Bearer wrong" },
      { authorization: "Bearer test-admin-toke" },
      { authorization: "Bearer test-admin-token-and-more" },
      { authorization: "Basic dGVzdDp0ZXN0" },
    ]) {
      const res = await admin("/v1/agents", { token: null, headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
    }
  });
});

describe("PUT /v1/agents/:agentId", () => {
  it("creates an agent from the seed's example config with 201, then replaces it with 200 and a new version", async () => {
    const agentId = uniqueAgentId();
    const created = await admin(`/v1/agents/${agentId}`, {
      method: "PUT",
      body: JSON.stringify({ config: SEED_EXAMPLE_CONFIG, systemPrompt: "Be brief.", secrets: { http: "s3cret" } }),
    });
    expect(created.status).toBe(201);
    const first = (await created.json()) as Record<string, unknown>;
    expect(first).toMatchObject({ agentId, version: 1, systemPrompt: "Be brief.", trustLevel: 0.3, secrets: ["http"] });
    expect((first.config as { trust: { rules: unknown[] } }).trust.rules).toHaveLength(2);

    const replaced = await admin(`/v1/agents/${agentId}`, {
      method: "PUT",
      body: JSON.stringify({ config: { trust: { initial: 0.6 } }, model: "claude-haiku-4-5" }),
    });
    expect(replaced.status).toBe(200);
    const second = (await replaced.json()) as Record<string, unknown>;
    expect(second).toMatchObject({ version: 2, model: "claude-haiku-4-5", secrets: ["http"] });
    // The trust level is the agent's measured state: a new config does not reset it.
    expect(second.trustLevel).toBe(0.3);
    expect(second.createdAt).toBe(first.createdAt);
  });

  it("never echoes secret values, only their names", async () => {
    const agentId = uniqueAgentId();
    const body = await putAgent(agentId, {
      config: {},
      secrets: { http: "very-secret-value", slack: { signingSecret: "slack-signing-value", botToken: "xoxb-value" } },
    });
    const fetched = await (await admin(`/v1/agents/${agentId}`)).text();
    for (const text of [JSON.stringify(body), fetched]) {
      expect(text).not.toContain("very-secret-value");
      expect(text).not.toContain("slack-signing-value");
      expect(text).not.toContain("xoxb-value");
    }
    expect(JSON.parse(fetched).secrets).toEqual(["http", "slack.botToken", "slack.signingSecret"]);
  });

  it("keeps secrets not named in a replacement and removes a secret set to null", async () => {
    const agentId = uniqueAgentId();
    await putAgent(agentId, { config: {}, secrets: { http: "a", other: "b" } });
    const body = await putAgent(agentId, { config: {}, secrets: { other: null } });
    expect(body.secrets).toEqual(["http"]);
  });

  it("answers 400 naming trust.initial when it is out of range, and stores nothing", async () => {
    const agentId = uniqueAgentId();
    const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify({ config: { trust: { initial: 2 } } }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorReply;
    expect(body.error.code).toBe("invalid_config");
    expect(body.error.message).toContain("trust.initial: must be between 0 and 1");
    expect(body.error.details?.issues).toContainEqual({ path: "trust.initial", message: "must be between 0 and 1" });
    expect((await admin(`/v1/agents/${agentId}`)).status).toBe(404);
  });

  it("answers 400 for garbage, a missing config, unknown body fields and bad secrets", async () => {
    const agentId = uniqueAgentId();
    const cases: Array<[string, string]> = [
      ["not json {", "body is not valid JSON"],
      ["[]", "expected object"],
      [JSON.stringify({}), "config"],
      [JSON.stringify({ config: {}, extra: 1 }), "extra"],
      [JSON.stringify({ config: {}, secrets: { http: "" } }), "secrets.http"],
      [JSON.stringify({ config: {}, secrets: { "bad name": "x" } }), "secrets"],
      [JSON.stringify({ config: {}, systemPrompt: 42 }), "systemPrompt"],
    ];
    for (const [body, mention] of cases) {
      const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body });
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as ErrorReply).error.message, body).toContain(mention);
    }
    expect((await admin(`/v1/agents/${agentId}`)).status).toBe(404);
  });

  it("answers 413 for a body over 256 KiB", async () => {
    const res = await admin(`/v1/agents/${uniqueAgentId()}`, {
      method: "PUT",
      body: JSON.stringify({ config: {}, systemPrompt: "x".repeat(300 * 1024) }),
    });
    expect(res.status).toBe(413);
  });

  it("answers 400 for an agent id that cannot be a storage key", async () => {
    for (const id of ["-leading-dash", "a".repeat(65), "has%20space", "dots.in.id"]) {
      const res = await admin(`/v1/agents/${id}`, { method: "PUT", body: JSON.stringify({ config: {} }) });
      expect(res.status, id).toBe(400);
    }
  });
});

describe("GET /v1/agents", () => {
  it("answers 404 for an unknown agent", async () => {
    const res = await admin(`/v1/agents/${uniqueAgentId()}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorReply).error.code).toBe("not_found");
  });

  it("lists agents from the D1 index with cursor pagination", async () => {
    const prefix = `list${crypto.randomUUID().slice(0, 6)}`;
    const ids = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
    for (const id of ids) await putAgent(id, { config: { name: id } });
    const seen: string[] = [];
    let cursor = `${prefix}-`;
    for (let page = 0; page < 3; page++) {
      const res = await admin(`/v1/agents?limit=2&cursor=${cursor}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { agents: Array<{ agentId: string; name: string; version: number }>; nextCursor: string | null };
      seen.push(...body.agents.map((a) => a.agentId).filter((id) => id.startsWith(prefix)));
      if (!body.nextCursor) break;
      cursor = body.nextCursor;
    }
    expect(seen).toEqual(ids);
    const row = await (await shardDb(ids[0]!)).prepare("SELECT version, name FROM agents WHERE id = ?").bind(ids[0]).first();
    expect(row).toEqual({ version: 1, name: ids[0] });
  });
});
