/**
 * Tools from remote MCP servers (Streamable HTTP), offered to Claude as ordinary
 * `ToolDefinition`s named `mcp__<server>__<tool>`.
 *
 * A connection holds live clients bound to the request (or queue message) that opened it:
 * Workers forbid I/O objects created in one request from being used in another, so connect
 * per answer, never at module scope, and `close()` when the answer is done.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult, ContentBlock, Tool } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { SecretRef } from "../config/credentials";
import { urlRisk } from "../config/urls";
import type { SecretLookup } from "../core/agent";
import type { ToolDefinition, ToolResult } from "./tools";

export const MCP_TOOL_PREFIX = "mcp__";

/** The Messages API rejects a whole request when any tool name breaks this rule. */
const API_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** The Messages API's limit on a tool description. */
const MAX_DESCRIPTION_CHARS = 1024;
/** Same bound as the built-in Read: one tool result must not flood the context window. */
const MAX_RESULT_CHARS = 100_000;
const DEFAULT_TIMEOUT_MS = 10_000;
/** A server that keeps handing out cursors is broken or hostile; the deadline alone could allow thousands. */
const MAX_LIST_PAGES = 20;
const CLIENT_VERSION = "0.1.0";

export interface McpServerConfig {
  url: string;
  /** Header values are secrets of the agent; a plain string is what configs stored before references hold. */
  headers?: Record<string, SecretRef | string>;
}

/** How a connection reaches servers: where header secrets come from and which URLs it may call. */
export interface McpConnectOptions {
  timeoutMs?: number;
  clientName?: string;
  /** Reads a secret a header names; without it, a server with secret headers is reported unavailable. */
  secret?: SecretLookup;
  /** Local development and tests: allow private hosts and plain http (see src/config/urls.ts). */
  allowPrivateUrls?: boolean;
  fetch?: typeof fetch;
}

export interface McpConnection {
  /** One per usable tool of every server that connected, in server then listing order. */
  tools: ToolDefinition[];
  /** Servers that could not be reached or listed; their tools are simply absent. */
  errors: Array<{ server: string; message: string }>;
  /** Tools a server listed that cannot be offered to the model (see `mcpToolName`). */
  skipped: Array<{ server: string; tool: string; reason: string }>;
  /** Closes every client; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * The name Claude sees for a server's tool. Config forbids `__` in server names, so the
 * first `__` after the prefix always ends the server part.
 *
 * @example
 * mcpToolName("github", "create_issue"); // "mcp__github__create_issue"
 */
export function mcpToolName(server: string, tool: string): string {
  return `${MCP_TOOL_PREFIX}${server}__${tool}`;
}

/**
 * Connects to every configured MCP server at once and lists its tools. One server failing
 * (unreachable, 401, timeout, bad listing) lands in `errors` and never hides the others' tools.
 *
 * @example
 * const mcp = await connectMcpServers(config.tools.mcpServers);
 * try {
 *   await runToolLoop({ ...input, tools: [...builtins, ...mcp.tools] });
 * } finally {
 *   await mcp.close();
 * }
 */
export async function connectMcpServers(servers: Record<string, McpServerConfig>, opts: McpConnectOptions = {}): Promise<McpConnection> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const clientName = opts.clientName ?? "foreman";
  const clients: Client[] = [];
  const connection: McpConnection = {
    tools: [],
    errors: [],
    skipped: [],
    async close() {
      await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    },
  };

  type Listed = { server: string; client: Client; tools: Tool[] } | { server: string; error: string };
  const listed = await Promise.all(
    Object.entries(servers).map(async ([server, config]): Promise<Listed> => {
      try {
        return { server, ...(await connectOne(config, clientName, timeoutMs, opts)) };
      } catch (err) {
        return { server, error: messageOf(err) };
      }
    }),
  );

  for (const entry of listed) {
    if ("error" in entry) {
      connection.errors.push({ server: entry.server, message: entry.error });
      continue;
    }
    clients.push(entry.client);
    const seen = new Set<string>();
    for (const tool of entry.tools) {
      const name = mcpToolName(entry.server, tool.name);
      const reason = !API_TOOL_NAME.test(name)
        ? "name must be letters, digits, '_' or '-', and at most 64 characters with its mcp__<server>__ prefix"
        : seen.has(name)
          ? "listed twice"
          : undefined;
      if (reason) {
        connection.skipped.push({ server: entry.server, tool: tool.name, reason });
        continue;
      }
      seen.add(name);
      connection.tools.push(toToolDefinition(entry.client, name, tool));
    }
  }
  return connection;
}

/** The headers with every secret read; a secret that is not set makes the server unusable, never sent without it. */
async function resolveHeaders(headers: McpServerConfig["headers"], secret: SecretLookup | undefined): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value === "string") {
      resolved[name] = value;
      continue;
    }
    const found = secret ? await secret(value.secret) : undefined;
    if (found === undefined) throw new Error(`header "${name}" names the secret "${value.secret}", which is not set`);
    resolved[name] = found;
  }
  return resolved;
}

/**
 * `fetch` that never follows a redirect: the URL was checked, the target of a redirect was not,
 * and a server could send the worker (with the agent's headers) to a metadata service or a
 * private network. A server that moved is reported with its new address, to put in the config.
 */
export function withoutRedirects(fetcher: typeof fetch): typeof fetch {
  return async (input, init) => {
    const res = await fetcher(input, { ...init, redirect: "manual" });
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      const location = res.headers.get("location") ?? "(no location)";
      throw new Error(`the server answered ${res.status} redirecting to ${location}; redirects are not followed, configure the final URL`);
    }
    return res;
  };
}

async function connectOne(
  config: McpServerConfig,
  clientName: string,
  timeoutMs: number,
  opts: McpConnectOptions,
): Promise<{ client: Client; tools: Tool[] }> {
  // Config refuses these URLs; a config stored before that check must not reach them either.
  const risk = urlRisk(config.url, { allowPrivateUrls: opts.allowPrivateUrls ?? false });
  if (risk) throw new Error(`url ${risk}`);
  const headers = await resolveHeaders(config.headers, opts.secret);
  // The SDK's default validator is ajv, which compiles schemas with `new Function`: Workers forbid that.
  const client = new Client(
    { name: clientName, version: CLIENT_VERSION },
    { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  // `timeout` bounds each request; the shared signal bounds connect plus every listing page together.
  const deadline = { timeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) };
  try {
    const transport = new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers },
      fetch: withoutRedirects(opts.fetch ?? ((input, init) => fetch(input, init))),
    });
    await client.connect(transport, deadline);
    const tools: Tool[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      if (++pages > MAX_LIST_PAGES) throw new Error(`tools/list still had more pages after ${MAX_LIST_PAGES}`);
      const page = await client.listTools(cursor === undefined ? undefined : { cursor }, deadline);
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return { client, tools };
  } catch (err) {
    // Aborts any fetch still open (e.g. the GET event stream some servers offer after initialize).
    await client.close().catch(() => {});
    throw err;
  }
}

function toToolDefinition(client: Client, name: string, tool: Tool): ToolDefinition {
  return {
    name,
    description: (tool.description ?? tool.title ?? "").slice(0, MAX_DESCRIPTION_CHARS),
    // The SDK's listing schema already requires `type: "object"` (MCP spec, Tool.inputSchema).
    inputSchema: tool.inputSchema,
    // MCP's own default for an unannotated tool is "may change things": only an explicit hint lets caches reuse answers.
    sideEffect: tool.annotations?.readOnlyHint !== true,
    async run(input): Promise<ToolResult> {
      if (typeof input !== "object" || input === null || Array.isArray(input)) {
        return { content: "invalid input: expected a JSON object", isError: true };
      }
      try {
        // The SDK checks structured output against the tool's output schema, but keeps those
        // validators only for the last tools/list page; the model reads text either way.
        const result = (await client.callTool({ name: tool.name, arguments: input as Record<string, unknown> })) as CallToolResult;
        return { content: resultText(result), isError: result.isError === true };
      } catch (err) {
        return { content: `MCP call failed: ${messageOf(err)}`, isError: true };
      }
    },
  };
}

/** The model reads text; other blocks are named so it knows something came back. */
function resultText(result: CallToolResult): string {
  const parts = (result.content ?? []).map(blockText);
  // The spec asks servers that return structured content to mirror it as text, but not all do.
  if (parts.length === 0 && result.structuredContent) parts.push(JSON.stringify(result.structuredContent));
  const text = parts.join("\n");
  return text.length > MAX_RESULT_CHARS
    ? `${text.slice(0, MAX_RESULT_CHARS)}\n[truncated: result has ${text.length} characters]`
    : text;
}

function blockText(block: ContentBlock): string {
  switch (block.type) {
    case "text":
      return block.text;
    case "resource":
      return "text" in block.resource ? block.resource.text : `[resource: ${block.resource.uri}]`;
    case "resource_link":
      return `[resource: ${block.uri}]`;
    default:
      return `[${block.type}]`;
  }
}

/** Error bodies can be whole HTML pages; the operator needs the gist, the model even less. */
const MAX_ERROR_CHARS = 500;

function messageOf(err: unknown): string {
  // The SDK's message omits the status it keeps in `code`, and the status is what tells a 401 from a 404.
  const message =
    err instanceof StreamableHTTPError && err.code !== undefined
      ? `HTTP ${err.code}: ${err.message.replace(/^Streamable HTTP error: /, "")}`
      : err instanceof Error
        ? err.message
        : String(err);
  return message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS)}…` : message;
}
