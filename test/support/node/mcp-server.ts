/**
 * A real MCP server (the official SDK, Streamable HTTP, stateless) for tests of the MCP client.
 *
 * Routes:
 *   POST /mcp            the MCP endpoint: create_issue, search_issues (read-only), post_message, fail
 *   POST /mcp/paged      a low-level server with awkward tools: listed one per page, output schemas, bad names
 *   POST /mcp/hang       never answers, for timeouts
 *   GET|DELETE /calls?key=<k>   every tools/call received with `x-test-key: <k>`, oldest first
 *   * /redirect?to=<url>  answers 307 to <url> (a cloud metadata address by default)
 *   POST /hooks/<k>      an incoming-webhook stand-in (Slack alert webhooks): records the JSON body
 *   GET /hooks/<k>       what was posted to /hooks/<k>; POST /hooks/<k>/fail answers 500
 *
 * Calls are keyed by the `x-test-key` header so parallel tests, each with its own key in the
 * server's `headers` config, never see each other's calls. `authorization: Bearer wrong` gets a 401.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, type CallToolResult, ListToolsRequestSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

export interface RecordedCall {
  tool: string;
  arguments: unknown;
}

export interface TestMcpServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:43121/mcp`; `/calls` lives on the same origin. */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

const text = (t: string, isError = false): CallToolResult => ({ content: [{ type: "text", text: t }], isError });

/** One server per request, as the SDK's stateless example does: nothing survives between requests. */
function issueTracker(nextIssue: () => number): McpServer {
  const server = new McpServer({ name: "test-issues", version: "1.0.0" });
  server.registerTool(
    "create_issue",
    { description: "Open an issue in the tracker.", inputSchema: { title: z.string(), body: z.string().optional() } },
    async ({ title }) => text(`created issue #${nextIssue()}: ${title}`),
  );
  server.registerTool(
    "search_issues",
    {
      description: "Search issues by text.",
      inputSchema: { query: z.string() },
      annotations: { readOnlyHint: true },
    },
    async ({ query }) => text(`no issues match "${query}"`),
  );
  server.registerTool(
    "post_message",
    { description: "Post a message to a chat channel.", inputSchema: { channel: z.string(), text: z.string() } },
    async ({ channel }) => text(`posted to ${channel}`),
  );
  server.registerTool("fail", { description: "Always fails." }, async () => text("this tool always fails", true));
  return server;
}

/** A valid tool name on its own (56 characters) that passes 64 once prefixed with `mcp__paged__`. */
const LONG_TOOL_NAME = "a_tool_name_that_fits_alone_but_not_with_the_mcp_prefix_";
const COUNT_SCHEMA: Tool["outputSchema"] = { type: "object", properties: { count: { type: "integer" } }, required: ["count"] };

/**
 * Listed one tool per page (cursor = next index). Two names are valid MCP but not valid
 * Messages API names; page_three's description is past the API's limit; count and miscount
 * declare an output schema, which makes the client compile a JSON-schema validator. The SDK
 * keeps validators only for the last page it listed, so miscount, which breaks its schema, is last.
 */
const PAGED_TOOLS: Tool[] = [
  { name: "page_one", description: "Does nothing.", inputSchema: { type: "object" } },
  { name: "dotted.name", description: "Valid in MCP.", inputSchema: { type: "object" } },
  { name: LONG_TOOL_NAME, description: "Long.", inputSchema: { type: "object" } },
  { name: "page_three", description: "long ".repeat(400), inputSchema: { type: "object" } },
  { name: "count", description: "Counts, as structured output only.", inputSchema: { type: "object" }, outputSchema: COUNT_SCHEMA },
  { name: "miscount", description: "Breaks its own output schema.", inputSchema: { type: "object" }, outputSchema: COUNT_SCHEMA },
];

function pagedServer(): Server {
  const server = new Server({ name: "test-paged", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const index = Number(request.params?.cursor ?? 0);
    const tool = PAGED_TOOLS[index];
    return { tools: tool ? [tool] : [], ...(index + 1 < PAGED_TOOLS.length ? { nextCursor: String(index + 1) } : {}) };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    if (request.params.name === "count") return { content: [], structuredContent: { count: 1 } };
    if (request.params.name === "miscount") return { ...text("many"), structuredContent: { count: "many" } };
    return text(`ran ${request.params.name}`);
  });
  return server;
}

export async function startMcpServer(opts: { port?: number } = {}): Promise<TestMcpServer> {
  const calls = new Map<string, RecordedCall[]>();
  const hooks = new Map<string, unknown[]>();
  const issueCounts = new Map<string, number>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://mcp.test");
    const key = header(req, "x-test-key") ?? "";

    if (url.pathname === "/calls") {
      const k = url.searchParams.get("key") ?? "";
      if (req.method === "GET") return sendJson(res, 200, { calls: calls.get(k) ?? [] });
      if (req.method === "DELETE") {
        calls.delete(k);
        return sendJson(res, 204);
      }
      return sendJson(res, 405, { error: "GET or DELETE" });
    }
    const hook = /^\/hooks\/([^/]+)(\/fail)?$/.exec(url.pathname);
    if (hook) {
      const k = decodeURIComponent(hook[1] ?? "");
      if (req.method === "GET") return sendJson(res, 200, { posts: hooks.get(k) ?? [] });
      if (hook[2]) return sendJson(res, 500, { error: "webhook down" });
      const raw = await readBody(req);
      hooks.set(k, [...(hooks.get(k) ?? []), raw === null ? null : JSON.parse(raw)]);
      return sendJson(res, 200, { ok: true });
    }
    // Sends every request on to the address in `?to=` (a cloud metadata address, say), as a hostile server would.
    if (url.pathname === "/redirect") {
      res.writeHead(307, { location: url.searchParams.get("to") ?? "http://169.254.169.254/latest/meta-data/" });
      res.end();
      return;
    }
    // Accepts the request and never answers, until the client gives up and closes the connection.
    if (url.pathname === "/mcp/hang") return;
    if (url.pathname !== "/mcp" && url.pathname !== "/mcp/paged") return sendJson(res, 404, { error: "not found" });
    if (header(req, "authorization") === "Bearer wrong") return sendJson(res, 401, { error: "invalid token" });
    // Stateless: no session to stream to (GET) or end (DELETE); the spec allows 405 for both.
    if (req.method !== "POST") return sendJson(res, 405, rpcError(-32000, "Method not allowed."));

    const raw = await readBody(req);
    if (raw === null) return sendJson(res, 413, rpcError(-32600, "Body too large"));
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendJson(res, 400, rpcError(-32700, "Parse error"));
    }
    record(key, body);

    const server =
      url.pathname === "/mcp"
        ? issueTracker(() => {
            const n = (issueCounts.get(key) ?? 0) + 1;
            issueCounts.set(key, n);
            return n;
          })
        : pagedServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  /** Recorded as sent, before the server validates anything, so tests see exactly what the client called. */
  function record(key: string, body: unknown): void {
    for (const message of Array.isArray(body) ? body : [body]) {
      if (!isObj(message) || message.method !== "tools/call" || !isObj(message.params)) continue;
      const list = calls.get(key) ?? [];
      list.push({ tool: String(message.params.name), arguments: message.params.arguments ?? {} });
      calls.set(key, list);
    }
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, rpcError(-32603, err instanceof Error ? err.message : String(err)));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(opts.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // workerd keeps connections alive; without this, close() waits for them to time out.
        http.closeAllConnections();
        http.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function rpcError(code: number, message: string) {
  return { jsonrpc: "2.0", error: { code, message }, id: null };
}

function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** The body as text, or null past the size limit. */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
