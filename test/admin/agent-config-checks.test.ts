import { describe, expect, it } from "vitest";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { admin, HTTP_SECRET, uniqueAgentId } from "../support/agents";

interface Issue {
  path: string;
  message: string;
}
interface ErrorReply {
  error: { code: string; message: string; details?: { issues?: Issue[] } };
}

const put = (agentId: string, body: unknown) => admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify(body) });

async function refused(res: Response, code = "invalid_config"): Promise<Issue[]> {
  expect(res.status).toBe(400);
  const body = (await res.json()) as ErrorReply;
  expect(body.error.code).toBe(code);
  return body.error.details?.issues ?? [];
}

describe("settings that cannot work are refused at PUT", () => {
  it("refuses a perRequest that cannot pay for the smallest model call, and writes nothing", async () => {
    const agentId = uniqueAgentId();
    const issues = await refused(await put(agentId, { config: { optimization: { budget: { perRequest: 0.0001 } } }, secrets: { http: HTTP_SECRET } }));
    expect(issues).toEqual([
      { path: "optimization.budget.perRequest", message: expect.stringMatching(/^must pay for one call of claude-sonnet-5-5: at least \$0\.\d+ .*raise perRequest or choose a cheaper model$/) as string },
    ]);
    expect((await admin(`/v1/agents/${agentId}`)).status).toBe(404);
  });

  it("counts the system prompt the PUT sets in that call's cost", async () => {
    const config = { optimization: { budget: { perRequest: 0.01 } } };
    expect((await put(uniqueAgentId(), { config, secrets: { http: HTTP_SECRET } })).status).toBe(201);
    const issues = await refused(await put(uniqueAgentId(), { config, systemPrompt: "x".repeat(100_000), secrets: { http: HTTP_SECRET } }));
    expect(issues[0]?.path).toBe("optimization.budget.perRequest");
  });

  it("accepts a perRequest below a full maxTokens call, with a warning that answers are cut short", async () => {
    const res = await put(uniqueAgentId(), { config: { maxTokens: 4000, optimization: { budget: { perRequest: 0.02 } } }, secrets: { http: HTTP_SECRET } });
    expect(res.status).toBe(201);
    const { warnings } = (await res.json()) as { warnings: Issue[] };
    expect(warnings).toEqual([{ path: "optimization.budget.perRequest", message: expect.stringContaining("cannot pay for a call at maxTokens (4000)") as string }]);
  });

  it("refuses a model without a known price, naming the MODEL_PRICES fix", async () => {
    const issues = await refused(await put(uniqueAgentId(), { config: { model: "claude-imaginary-9" }, secrets: { http: HTTP_SECRET } }));
    expect(issues).toEqual([{ path: "model", message: expect.stringMatching(/^has no known price \("claude-imaginary-9"\).*MODEL_PRICES var$/) as string }]);
    const viaBody = await refused(await put(uniqueAgentId(), { config: {}, model: "gpt-4o" }));
    expect(viaBody[0]).toMatchObject({ path: "model" });
    const routed = await refused(await put(uniqueAgentId(), { config: { optimization: { routing: { simpleModel: "tiny-model" } } } }));
    expect(routed[0]).toMatchObject({ path: "optimization.routing.simpleModel" });
  });

  it("accepts dated ids of a priced family", async () => {
    expect((await put(uniqueAgentId(), { config: { model: "claude-sonnet-4-5-20250929" }, secrets: { http: HTTP_SECRET } })).status).toBe(201);
  });

  it("refuses a daily budget below perRequest, saying what to change", async () => {
    const issues = await refused(await put(uniqueAgentId(), { config: { optimization: { budget: { daily: 1, perRequest: 2 } } } }));
    expect(issues).toEqual([{ path: "optimization.budget.perRequest", message: "must not exceed daily (1): one answer could spend more than the whole day; lower perRequest or raise daily" }]);
  });
});

describe("the PUT body", () => {
  it("tells a bare config to wrap itself as { config: … }", async () => {
    const issues = await refused(await put(uniqueAgentId(), { trust: { initial: 0.5 }, channels: [] }), "invalid_request");
    expect(issues).toEqual([{ path: "(root)", message: expect.stringContaining('wrap the config as { "config": { … } }') as string }]);
  });

  it("words unknown body fields like config fields, with the nearest known name", async () => {
    const issues = await refused(await put(uniqueAgentId(), { config: {}, secret: { http: "x" } }), "invalid_request");
    expect(issues).toEqual([{ path: "(root)", message: 'unknown field "secret": did you mean "secrets"?' }]);
    const inConfig = await refused(await put(uniqueAgentId(), { config: { optimisation: {} } }));
    expect(inConfig).toEqual([{ path: "(root)", message: 'unknown field "optimisation": did you mean "optimization"?' }]);
  });
});

describe("warnings returned with the PUT", () => {
  it("names settings that do nothing and channels that lack their secrets, and stores the agent", async () => {
    const agentId = uniqueAgentId();
    const res = await put(agentId, { config: SEED_EXAMPLE_CONFIG, secrets: { http: HTTP_SECRET, slack: { signingSecret: "s" } } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { warnings: Issue[]; config: { channels: Array<{ webhook?: string }> } };
    expect(body.warnings.map((w) => w.path)).toEqual(["channels.0.webhook", "channels.0", "channels.2", "audit.retention.storage"]);
    expect(body.warnings[1]?.message).toBe(
      "cannot take messages yet: set secrets.slack ({ signingSecret, botToken }) with PUT /v1/agents/:id (missing slack.botToken)",
    );
    // The unused webhook is Slack's token: never echoed.
    expect(body.config.channels[0]?.webhook).toBe("[hidden: move it to secrets]");
  });

  it("warns an agent that nobody can reach", async () => {
    const res = await put(uniqueAgentId(), { config: {} });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { warnings: Issue[] }).warnings).toEqual([
      { path: "secrets.http", message: "is not set and no channel is configured, so the agent cannot take a message: set secrets.http with PUT /v1/agents/:id, or add a channel" },
    ]);
  });
});
