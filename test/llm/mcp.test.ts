import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { connectMcpServers, type McpConnection, mcpToolName } from "../../src/llm/mcp";
import type { ToolContext, ToolDefinition } from "../../src/llm/tools";
import { mcpCalls, mcpServerUrl } from "../support/mcp";

const ctx: ToolContext = { agentId: "mcp-test", workspace: env.WORKSPACE };

/** Every test reads back only the calls sent with its own key. */
const newKey = () => `mcp-${crypto.randomUUID()}`;

const open: McpConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** The test server runs on 127.0.0.1 over http, which only ALLOW_PRIVATE_URLS permits. */
async function connect(...[servers, opts]: Parameters<typeof connectMcpServers>): Promise<McpConnection> {
  const connection = await connectMcpServers(servers, { allowPrivateUrls: true, ...opts });
  open.push(connection);
  return connection;
}

async function github(key = newKey()) {
  const connection = await connect({ github: { url: mcpServerUrl(), headers: { "x-test-key": key } } });
  const tool = (name: string): ToolDefinition => {
    const found = connection.tools.find((t) => t.name === mcpToolName("github", name));
    if (!found) throw new Error(`no tool ${name}`);
    return found;
  };
  return { connection, tool, key };
}

async function paged() {
  const connection = await connect({ paged: { url: mcpServerUrl("/mcp/paged") } });
  const run = (name: string) => {
    const tool = connection.tools.find((t) => t.name === mcpToolName("paged", name));
    if (!tool) throw new Error(`no tool ${name}`);
    return tool.run({}, ctx);
  };
  return { connection, run };
}

describe("MCP tools", () => {
  it("offers every tool of a server as mcp__<server>__<tool> with the server's input schema", async () => {
    const { connection, tool } = await github();
    expect(connection.errors).toEqual([]);
    expect(connection.tools.map((t) => t.name)).toEqual([
      "mcp__github__create_issue",
      "mcp__github__search_issues",
      "mcp__github__post_message",
      "mcp__github__fail",
    ]);
    expect(tool("create_issue").description).toBe("Open an issue in the tracker.");
    expect(tool("create_issue").inputSchema).toMatchObject({
      type: "object",
      properties: { title: { type: "string" }, body: { type: "string" } },
      required: ["title"],
    });
    expect(tool("post_message").inputSchema).toMatchObject({ type: "object", required: ["channel", "text"] });
    expect(tool("fail").inputSchema).toMatchObject({ type: "object" });
  });

  it("counts every tool as side-effecting unless the server marks it readOnlyHint", async () => {
    const { connection } = await github();
    expect(Object.fromEntries(connection.tools.map((t) => [t.name, t.sideEffect]))).toEqual({
      mcp__github__create_issue: true,
      mcp__github__search_issues: false,
      mcp__github__post_message: true,
      mcp__github__fail: true,
    });
  });

  it("runs a tool on the server under its own name and returns the text it answered", async () => {
    const { tool, key } = await github();
    expect(await tool("create_issue").run({ title: "Printer on fire", body: "3rd floor" }, ctx)).toEqual({
      content: "created issue #1: Printer on fire",
      isError: false,
    });
    expect(await tool("search_issues").run({ query: "printer" }, ctx)).toEqual({
      content: 'no issues match "printer"',
      isError: false,
    });
    expect(await mcpCalls(key)).toEqual([
      { tool: "create_issue", arguments: { title: "Printer on fire", body: "3rd floor" } },
      { tool: "search_issues", arguments: { query: "printer" } },
    ]);
  });

  it("passes a tool's own isError result back as an error", async () => {
    const { tool } = await github();
    expect(await tool("fail").run({}, ctx)).toEqual({ content: "this tool always fails", isError: true });
  });

  it("returns the server's validation error when the model sends arguments the schema rejects", async () => {
    const { tool } = await github();
    const result = await tool("create_issue").run({ body: "no title" }, ctx);
    expect(result.isError).toBe(true);
    expect(result.content).toContain("title");
  });

  it("turns a call that throws into an error result instead of throwing", async () => {
    const { connection, tool } = await github();
    await connection.close();
    const result = await tool("post_message").run({ channel: "#ops", text: "hi" }, ctx);
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(/^MCP call failed: /);
  });

  it("sends each server's configured headers, so calls land under that server's key", async () => {
    const [a, b] = [newKey(), newKey()];
    const connection = await connect({
      one: { url: mcpServerUrl(), headers: { "x-test-key": a } },
      two: { url: mcpServerUrl(), headers: { "x-test-key": b } },
    });
    const byName = new Map(connection.tools.map((t) => [t.name, t]));
    await byName.get("mcp__one__post_message")?.run({ channel: "#a", text: "from one" }, ctx);
    await byName.get("mcp__two__post_message")?.run({ channel: "#b", text: "from two" }, ctx);
    expect(await mcpCalls(a)).toEqual([{ tool: "post_message", arguments: { channel: "#a", text: "from one" } }]);
    expect(await mcpCalls(b)).toEqual([{ tool: "post_message", arguments: { channel: "#b", text: "from two" } }]);
  });

  it("reports an unreachable server under errors and still offers the tools of a good one", async () => {
    const connection = await connect({
      down: { url: "http://127.0.0.1:1/mcp" },
      github: { url: mcpServerUrl(), headers: { "x-test-key": newKey() } },
    });
    expect(connection.errors).toEqual([{ server: "down", message: expect.any(String) }]);
    expect(connection.tools.map((t) => t.name)).toContain("mcp__github__create_issue");
    expect(connection.tools.some((t) => t.name.startsWith("mcp__down__"))).toBe(false);
  });

  it("reports a server that refuses the configured credentials (401) under errors", async () => {
    const connection = await connect({ locked: { url: mcpServerUrl(), headers: { authorization: "Bearer wrong" } } });
    expect(connection.tools).toEqual([]);
    expect(connection.errors).toEqual([{ server: "locked", message: expect.stringMatching(/^HTTP 401: /) }]);
  });

  it("gives up on a server that does not answer within the timeout", async () => {
    const started = Date.now();
    const connection = await connect({ slow: { url: mcpServerUrl("/mcp/hang") } }, { timeoutMs: 300 });
    expect(connection.errors).toEqual([{ server: "slow", message: expect.stringMatching(/timed out|timeout|abort/i) }]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("follows tools/list cursors and skips tool names the Messages API would reject", async () => {
    const connection = await connect({ paged: { url: mcpServerUrl("/mcp/paged") } });
    expect(connection.errors).toEqual([]);
    expect(connection.tools.map((t) => t.name)).toEqual([
      "mcp__paged__page_one",
      "mcp__paged__page_three",
      "mcp__paged__count",
      "mcp__paged__miscount",
    ]);
    expect(connection.skipped).toEqual([
      { server: "paged", tool: "dotted.name", reason: expect.any(String) },
      // Valid alone (56 characters), but the Messages API sees the prefixed name: 68 characters.
      { server: "paged", tool: "a_tool_name_that_fits_alone_but_not_with_the_mcp_prefix_", reason: expect.any(String) },
    ]);
  });

  it("cuts a description to the Messages API's 1024 characters", async () => {
    const connection = await connect({ paged: { url: mcpServerUrl("/mcp/paged") } });
    expect(connection.tools.find((t) => t.name === "mcp__paged__page_three")?.description).toHaveLength(1024);
  });

  it("returns structured output as JSON text, and fails a result that breaks the tool's output schema", async () => {
    const { run } = await paged();
    expect(await run("count")).toEqual({ content: '{"count":1}', isError: false });
    expect(await run("miscount")).toEqual({
      content: expect.stringMatching(/^MCP call failed: .*output schema/),
      isError: true,
    });
  });

  it("validates output schemas without generating code from strings, which Workers forbid", async () => {
    // The test pool allows `new Function`; production Workers throw. Warm up first so zod's
    // own (optional) generated parsers exist, then forbid code generation for the real run.
    const warm = await paged();
    await warm.run("count");
    await warm.run("miscount");
    const restore = forbidCodeGeneration();
    try {
      const { connection, run } = await paged();
      expect(connection.errors).toEqual([]);
      expect(await run("count")).toEqual({ content: '{"count":1}', isError: false });
      expect((await run("miscount")).content).toMatch(/output schema/);
    } finally {
      restore();
    }
  });

  it("sends header values read from the agent's secrets, and never a header whose secret is not set", async () => {
    const key = newKey();
    const secrets: Record<string, string> = { mcp_key: key };
    const connection = await connect(
      {
        github: { url: mcpServerUrl(), headers: { "x-test-key": { secret: "mcp_key" } } },
        other: { url: mcpServerUrl(), headers: { authorization: { secret: "missing" } } },
      },
      { secret: async (name) => secrets[name] },
    );
    await connection.tools.find((t) => t.name === mcpToolName("github", "search_issues"))?.run({ query: "x" }, ctx);
    expect(await mcpCalls(key)).toHaveLength(1);
    expect(connection.errors).toEqual([{ server: "other", message: 'header "authorization" names the secret "missing", which is not set' }]);
  });

  it("does not follow a server's redirect to a metadata address, and says where it pointed", async () => {
    const connection = await connect({ moved: { url: mcpServerUrl("/redirect") } }, { timeoutMs: 2_000 });
    expect(connection.tools).toEqual([]);
    expect(connection.errors).toEqual([
      { server: "moved", message: expect.stringContaining("redirecting to http://169.254.169.254/latest/meta-data/; redirects are not followed") as string },
    ]);
  });

  it("refuses a private or plain-http server at run time unless private URLs are allowed", async () => {
    const connection = await connect({ local: { url: mcpServerUrl() } }, { allowPrivateUrls: false });
    expect(connection.errors).toEqual([{ server: "local", message: expect.stringMatching(/^url must name a public host: "127\.0\.0\.1"/) as string }]);
  });

  it("connects to no server when none is configured", async () => {
    const connection = await connect({});
    expect(connection).toMatchObject({ tools: [], errors: [], skipped: [] });
  });
});

/** Makes `new Function(...)` throw as it does in production Workers, until the returned undo runs. */
function forbidCodeGeneration(): () => void {
  const original = globalThis.Function;
  const refuse = () => {
    throw new EvalError("Code generation from strings disallowed for this context");
  };
  globalThis.Function = new Proxy(original, { construct: refuse, apply: refuse });
  return () => {
    globalThis.Function = original;
  };
}
