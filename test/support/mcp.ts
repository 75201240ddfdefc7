import { inject } from "vitest";

/** A tools/call the test MCP server received, as the client sent it. */
export interface McpCall {
  tool: string;
  arguments: unknown;
}

/** The test MCP server's endpoint; `/mcp/paged` beside it lists its tools one per page. */
export const mcpServerUrl = (path = "/mcp"): string => new URL(path, inject("mcpServerUrl")).href;

/** Every tools/call the test MCP server received with `x-test-key: <key>`, oldest first. */
export async function mcpCalls(key: string): Promise<McpCall[]> {
  const res = await fetch(mcpServerUrl(`/calls?key=${encodeURIComponent(key)}`));
  if (!res.ok) throw new Error(`reading MCP calls failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { calls: McpCall[] }).calls;
}

/** Forgets the calls recorded under a key. */
export async function clearMcpCalls(key: string): Promise<void> {
  const res = await fetch(mcpServerUrl(`/calls?key=${encodeURIComponent(key)}`), { method: "DELETE" });
  if (res.status !== 204) throw new Error(`clearing MCP calls failed: ${res.status}`);
}

/** What was posted to the test server's webhook stand-in `/hooks/<key>`. */
export async function hookPosts(key: string): Promise<unknown[]> {
  const res = await fetch(mcpServerUrl(`/hooks/${encodeURIComponent(key)}`));
  return ((await res.json()) as { posts: unknown[] }).posts;
}
