import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { defineAgent } from "../../src/config";
import { admin, type Target, uniqueAgentId } from "../support/agents";
import { shardDb } from "../support/shards";

interface ErrorReply {
  error: { code: string; message: string; details?: { issues?: Array<{ path: string; message: string }> } };
}

/** The worker as deployed: no ALLOW_PRIVATE_URLS (the test bindings set it for the local fakes). */
const production: Target = (() => {
  const app = createApp();
  const bindings = { ...env, ALLOW_PRIVATE_URLS: undefined };
  return {
    async fetch(request: Request) {
      const ctx = createExecutionContext();
      const response = await app.fetch(request, bindings, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
    now: () => Date.now(),
  };
})();

const put = (agentId: string, body: unknown, target?: Target) =>
  admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify(body), ...(target ? { target } : {}) });

async function issues(res: Response): Promise<Array<{ path: string; message: string }>> {
  expect(res.status).toBe(400);
  const body = (await res.json()) as ErrorReply;
  expect(body.error.code).toBe("invalid_config");
  return body.error.details?.issues ?? [];
}

const github = (headers: Record<string, unknown>, url = "https://mcp.example.com/mcp") => ({ tools: { mcpServers: { github: { url, headers } } } });

describe("URLs an agent's config makes the worker call", () => {
  it("refuses an MCP server on a metadata address in production and writes nothing", async () => {
    const agentId = uniqueAgentId();
    const res = await put(agentId, { config: { tools: { mcpServers: { meta: { url: "http://169.254.169.254/latest" } } } } }, production);
    expect(await issues(res)).toEqual([
      { path: "tools.mcpServers.meta.url", message: expect.stringContaining('"169.254.169.254" is a private or reserved address') as string },
    ]);
    expect((await admin(`/v1/agents/${agentId}`)).status).toBe(404);
  });

  it("refuses a plain-http MCP server in production, and accepts a loopback one where ALLOW_PRIVATE_URLS is set", async () => {
    const config = { tools: { mcpServers: { local: { url: "http://127.0.0.1:9100/mcp" } } } };
    expect((await issues(await put(uniqueAgentId(), { config }, production)))[0]?.path).toBe("tools.mcpServers.local.url");
    expect((await put(uniqueAgentId(), { config })).status).toBe(201);
  });

  it("refuses a Slack alert webhook secret that points at a private address", async () => {
    const res = await put(
      uniqueAgentId(),
      { config: { audit: { alertChannel: { slackWebhook: { secret: "alert_webhook" } } } }, secrets: { alert_webhook: "https://10.0.0.8/hook" } },
      production,
    );
    expect(await issues(res)).toEqual([
      { path: "audit.alertChannel.slackWebhook", message: expect.stringMatching(/^names the secret "alert_webhook", whose URL must name a public host: "10\.0\.0\.8"/) as string },
    ]);
  });
});

describe("credentials kept out of the config", () => {
  it("refuses an MCP header written into the config, saying how to move it to secrets", async () => {
    expect(await issues(await put(uniqueAgentId(), { config: github({ authorization: "Bearer s3cret-token" }) }))).toEqual([
      {
        path: "tools.mcpServers.github.headers.authorization",
        message: 'is a credential and is not kept in the config: set the value as a secret with PUT /v1/agents/:id ({ "secrets": { "mcp_token": "<value>" } }) and write { "secret": "mcp_token" } here',
      },
    ]);
  });

  it("refuses a Slack webhook URL written into the config, saying how to move it to secrets", async () => {
    const found = await issues(await put(uniqueAgentId(), { config: { audit: { alertChannel: { slackWebhook: "https://hooks.slack.com/services/T/B/x" } } } }));
    expect(found).toEqual([{ path: "audit.alertChannel.slackWebhook", message: expect.stringContaining('write { "slackWebhook": { "secret": "alert_webhook" } }') as string }]);
  });

  it("refuses a reference to a secret that is not set, naming the fix, and writes nothing", async () => {
    const agentId = uniqueAgentId();
    expect(await issues(await put(agentId, { config: github({ authorization: { secret: "mcp_token" } }) }))).toEqual([
      { path: "tools.mcpServers.github.headers.authorization", message: 'names the secret "mcp_token", which is not set; set secrets.mcp_token with PUT /v1/agents/:id' },
    ]);
    expect((await admin(`/v1/agents/${agentId}`)).status).toBe(404);
  });

  it("keeps the value in secrets: PUT and GET show the reference and the secret's name, never its value", async () => {
    const agentId = uniqueAgentId();
    const res = await put(agentId, { config: github({ authorization: { secret: "mcp_token" } }), secrets: { mcp_token: "Bearer s3cret-token" } });
    expect(res.status).toBe(201);
    const created = await res.text();
    const got = await (await admin(`/v1/agents/${agentId}`)).text();
    for (const text of [created, got]) {
      expect(text).not.toContain("s3cret-token");
      const body = JSON.parse(text) as { config: ReturnType<typeof defineAgent>; secrets: string[] };
      expect(body.config.tools.mcpServers.github?.headers).toEqual({ authorization: { secret: "mcp_token" } });
      expect(body.secrets).toContain("mcp_token");
    }
    const row = await (await shardDb(agentId)).prepare("SELECT config FROM agents WHERE id = ?").bind(agentId).first<{ config: string }>();
    expect(row?.config).not.toContain("s3cret-token");
  });

  it("refuses removing a secret the config still names", async () => {
    const agentId = uniqueAgentId();
    const config = github({ authorization: { secret: "mcp_token" } });
    expect((await put(agentId, { config, secrets: { mcp_token: "Bearer x" } })).status).toBe(201);
    expect((await issues(await put(agentId, { config, secrets: { mcp_token: null } })))[0]?.message).toContain('"mcp_token", which is not set');
    expect((await put(agentId, { config })).status).toBe(200);
  });

  it("hides credentials that a config stored before secret references still holds", async () => {
    const agentId = uniqueAgentId();
    const legacy = defineAgent({});
    (legacy.tools.mcpServers as Record<string, unknown>).github = { url: "https://mcp.example.com/mcp", headers: { authorization: "Bearer old-token" } };
    (legacy.audit as Record<string, unknown>).alertChannel = { slackWebhook: "https://hooks.slack.com/services/T/B/old" };
    await env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)).configure({
      agentId,
      config: legacy,
      systemPrompt: "Be brief.",
      model: legacy.model,
      now: Date.now(),
      actor: "test",
    });
    const text = await (await admin(`/v1/agents/${agentId}`)).text();
    expect(text).not.toContain("old-token");
    expect(text).not.toContain("services/T/B/old");
    const body = JSON.parse(text) as { config: { tools: { mcpServers: Record<string, { headers: unknown }> }; audit: { alertChannel: unknown } } };
    expect(body.config.tools.mcpServers.github?.headers).toEqual({ authorization: "[hidden: move it to secrets]" });
    expect(body.config.audit.alertChannel).toEqual({ slackWebhook: "[hidden: move it to secrets]" });
  });
});
