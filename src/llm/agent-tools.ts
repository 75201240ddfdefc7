import type { AgentRecord } from "../core/agent";
import { type Logger, silentLogger } from "../core/logger";
import type { SecretLookup } from "../core/agent";
import { connectMcpServers } from "./mcp";
import { BUILTIN_TOOLS, type ToolDefinition } from "./tools";

export interface AgentTools {
  tools: ToolDefinition[];
  /** MCP servers that could not be used for this answer. */
  errors: Array<{ server: string; message: string }>;
  close(): Promise<void>;
}

/**
 * Every tool an agent has: its built-ins and its MCP servers' tools. MCP clients live for one
 * request (Workers do not share I/O across requests), so close them when the answer is done.
 */
export async function openAgentTools(
  record: AgentRecord,
  logger: Logger = silentLogger,
  /** How MCP servers reach the agent's secrets; without it, a server whose headers name a secret is unavailable and private addresses are refused. */
  access: { secret?: SecretLookup; allowPrivateUrls?: boolean } = {},
): Promise<AgentTools> {
  const builtins = record.config.tools.builtin.map((name) => BUILTIN_TOOLS[name]);
  const servers = record.config.tools.mcpServers;
  if (Object.keys(servers).length === 0) return { tools: builtins, errors: [], close: async () => {} };
  const mcp = await connectMcpServers(servers, {
    clientName: `foreman-${record.agentId}`,
    ...(access.secret ? { secret: access.secret } : {}),
    allowPrivateUrls: access.allowPrivateUrls ?? false,
  });
  if (mcp.errors.length > 0) {
    logger.warn("mcp_servers_unavailable", { agentId: record.agentId, servers: mcp.errors.map((e) => `${e.server}: ${e.message}`) });
  }
  return { tools: [...builtins, ...mcp.tools], errors: mcp.errors, close: () => mcp.close() };
}
