import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { AppError, ClaudeAgent, createForeman, signHttpRequest, silentLogger, type Foreman } from "../../src/lib";
import { ADMIN_TOKEN, uniqueAgentId } from "../support/agents";
import { scriptModel } from "../support/model";

const SECRET = "code-agent-http-secret";
/** The worker's bindings with the secret `wrangler secret put SHOP_HTTP_SECRET` would add. */
const workerEnv = { ...env, SHOP_HTTP_SECRET: SECRET } as Env;

const answerStep = (text: string) => ({
  type: "text" as const,
  text,
  usage: { input_tokens: 1000, output_tokens: 100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
});

function codeAgent(id = uniqueAgentId("code")) {
  return new ClaudeAgent({ id, systemPrompt: "You answer for Acme Bakery.", trust: { initial: 0.3 }, secretBindings: { http: "SHOP_HTTP_SECRET" } });
}

/** Calls a fetch handler as the runtime would, waiting for its background work. */
async function call(fetcher: { fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> }, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await fetcher.fetch(request, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function signed(url: string, message: Record<string, string>): Promise<Request> {
  const body = JSON.stringify(message);
  const ts = Math.floor(Date.now() / 1000);
  return new Request(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-foreman-timestamp": String(ts), "x-foreman-signature": await signHttpRequest(SECRET, ts, body) },
    body,
  });
}

const adminRequest = (url: string, init: RequestInit = {}) =>
  new Request(url, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...init.headers } });

describe("createForeman: the worker's handlers", () => {
  it("answers a signed HTTP message for an agent declared in code, with no admin PUT", async () => {
    const agent = codeAgent();
    const foreman = createForeman({ agents: [agent], logger: silentLogger });
    await scriptModel(agent.id, [answerStep("We open at nine.")]);
    const res = await call(foreman, await signed(`https://shop.test/webhooks/${agent.id}/http`, { id: "m1", conversation: "c1", from: "u1", text: "When do you open?" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ text: "We open at nine.", tier: "intelligent", costUsd: 0.003, trustLevel: 0.3 });
  });

  it("refuses a message signed with another secret than the worker's", async () => {
    const agent = codeAgent();
    const foreman = createForeman({ agents: [agent], logger: silentLogger });
    const request = await signed(`https://shop.test/webhooks/${agent.id}/http`, { id: "m1", conversation: "c1", from: "u1", text: "hi" });
    const ctx = createExecutionContext();
    const res = await foreman.fetch(request, { ...env, SHOP_HTTP_SECRET: "another-secret" } as Env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(401);
  });

  it("exposes handlers a worker can export as its default", () => {
    const foreman: ExportedHandler<Env> = createForeman({ agents: [] });
    expect(typeof foreman.fetch).toBe("function");
    expect(typeof foreman.queue).toBe("function");
    expect(typeof foreman.scheduled).toBe("function");
    expect(typeof foreman.email).toBe("function");
  });
});

describe("createForeman: mounted in a Hono app of one's own", () => {
  function userApp(foreman: Foreman) {
    const app = new Hono<{ Bindings: Env }>();
    app.get("/", (c) => c.text("my own home page"));
    app.route("/foreman", foreman.app);
    return app;
  }

  it("answers webhooks under the prefix and leaves the app's own routes alone", async () => {
    const agent = codeAgent();
    const app = userApp(createForeman({ agents: [agent], logger: silentLogger }));
    await scriptModel(agent.id, [answerStep("Nine o'clock.")]);
    const res = await call(app, await signed(`https://shop.test/foreman/webhooks/${agent.id}/http`, { id: "m1", conversation: "c1", from: "u1", text: "When?" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ text: "Nine o'clock.", tier: "intelligent" });
    expect(await (await call(app, new Request("https://shop.test/"))).text()).toBe("my own home page");
    // Foreman's routes are not at the root of the user's app.
    expect((await call(app, await signed(`https://shop.test/webhooks/${agent.id}/http`, { id: "m2", conversation: "c1", from: "u1", text: "x" }))).status).toBe(404);
  });

  it("serves the admin API under the prefix, with its auth, access rules and error envelope", async () => {
    const agent = codeAgent();
    const app = userApp(createForeman({ agents: [agent], logger: silentLogger }));
    const got = await call(app, adminRequest(`https://shop.test/foreman/v1/agents/${agent.id}`));
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ agentId: agent.id, version: 1, managedBy: "code" });

    const unauthenticated = await call(app, new Request(`https://shop.test/foreman/v1/agents/${agent.id}`));
    expect(unauthenticated.status).toBe(401);
    expect(((await unauthenticated.json()) as { error: { code: string } }).error.code).toBe("unauthorized");

    // An operator key limited to the agent reaches it under the prefix, and no other agent.
    const created = await call(app, adminRequest("https://shop.test/foreman/v1/keys", { method: "POST", body: JSON.stringify({ name: "ops", role: "operator", agents: [agent.id] }) }));
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const asOperator = (path: string) => call(app, new Request(`https://shop.test/foreman${path}`, { headers: { authorization: `Bearer ${key}` } }));
    expect((await asOperator(`/v1/agents/${agent.id}`)).status).toBe(200);
    const other = await asOperator("/v1/agents/someone-else");
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { message: string } }).error.message).toBe('this key is not allowed to reach agent "someone-else"');
  });
});

describe("handle(): a channel of the caller's own", () => {
  it("answers through the same pipeline as the HTTP channel: text, tier, cost", async () => {
    const agent = codeAgent();
    const foreman = createForeman({ agents: [agent], logger: silentLogger });
    await scriptModel(agent.id, [answerStep("We open at nine.")]);
    const ctx = createExecutionContext();
    // An id left undefined is a new delivery, as one left out.
    const answer = await foreman.handle(workerEnv, ctx, agent.id, { text: "When do you open?", conversation: "web-1", from: "visitor", id: undefined });
    await waitOnExecutionContext(ctx);
    expect(answer).toMatchObject({ text: "We open at nine.", tier: "intelligent", costUsd: 0.003, trustLevel: 0.3 });
    expect(answer.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("replays the stored answer for a message handled again with the same id", async () => {
    const agent = codeAgent();
    const foreman = createForeman({ agents: [agent], logger: silentLogger });
    await scriptModel(agent.id, [answerStep("First answer."), answerStep("Second answer.")]);
    const message = { id: "delivery-1", text: "When do you open?", conversation: "web-1", from: "visitor" };
    const ctx = createExecutionContext();
    const first = await foreman.handle(workerEnv, ctx, agent.id, message);
    const again = await foreman.handle(workerEnv, ctx, agent.id, message);
    await waitOnExecutionContext(ctx);
    expect(again.text).toBe(first.text);
    expect(again.id).toBe(first.id);
  });

  it("agent.handle applies the agent and answers, without createForeman", async () => {
    const agent = codeAgent();
    await scriptModel(agent.id, [answerStep("Hello from the agent.")]);
    const ctx = createExecutionContext();
    const answer = await agent.handle(workerEnv, ctx, { text: "Hi", conversation: "c", from: "u" }, { logger: silentLogger });
    await waitOnExecutionContext(ctx);
    expect(answer).toMatchObject({ text: "Hello from the agent.", tier: "intelligent" });
  });

  it("says why an agent declared in code cannot answer when it could not be applied", async () => {
    const agent = new ClaudeAgent({ id: uniqueAgentId("code"), secretBindings: { http: "NEVER_SET_SECRET" } });
    const foreman = createForeman({ agents: [agent], logger: silentLogger });
    const ctx = createExecutionContext();
    const message = { text: "hi", conversation: "c", from: "u" };
    const expected = {
      code: "invalid_config",
      message: `agent "${agent.id}" is declared in code but could not be applied: secretBindings.http: the worker has no secret NEVER_SET_SECRET: set it with \`wrangler secret put NEVER_SET_SECRET\` (or in .dev.vars locally)`,
    };
    await expect(foreman.handle(workerEnv, ctx, agent.id, message)).rejects.toMatchObject(expected);
    await expect(agent.handle(workerEnv, ctx, message, { logger: silentLogger })).rejects.toMatchObject(expected);
    await waitOnExecutionContext(ctx);
  });

  it("refuses a bad message naming the field, and an unknown agent, before anything is written", async () => {
    const foreman = createForeman({ agents: [], logger: silentLogger });
    const ctx = createExecutionContext();
    const bad = foreman.handle(workerEnv, ctx, "anyone", { text: "  ", conversation: "c", from: "u" });
    await expect(bad).rejects.toBeInstanceOf(AppError);
    await expect(bad).rejects.toMatchObject({ code: "invalid_request", message: "text: must not be empty" });
    const extra = foreman.handle(workerEnv, ctx, "anyone", { text: "hi", conversation: "c", from: "u", channel: "web" } as never);
    await expect(extra).rejects.toMatchObject({ code: "invalid_request" });
    const unknown = foreman.handle(workerEnv, ctx, uniqueAgentId("nobody"), { text: "hi", conversation: "c", from: "u" });
    await expect(unknown).rejects.toMatchObject({ code: "not_found" });
    await waitOnExecutionContext(ctx);
  });
});
