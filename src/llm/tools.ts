import { z } from "zod";
import { sha256Hex } from "../core/crypto";

/** What a tool may touch: the agent's own workspace, and the files of the conversation it answers. */
export interface ToolContext {
  agentId: string;
  workspace: R2Bucket;
  /** The conversation being answered: `attachments/…` paths open its own attachments and no one else's. Without it there are none. */
  conversation?: { channel: string; key: string };
}

export interface ToolResult {
  content: string;
  isError: boolean;
}

/** A tool Claude may call, described to the model by name, description and JSON schema. */
export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: Record<string, unknown> & { type: "object" };
  /** Whether running it changes something outside the conversation (caches must not reuse such answers). */
  sideEffect: boolean;
  run(input: unknown, ctx: ToolContext): Promise<ToolResult>;
}

/** Files the model reads are cut here so one Read cannot flood the context window. */
export const MAX_READ_CHARS = 100_000;
/** R2 allows far more; a workspace file is a note or a draft, not a dataset. */
export const MAX_WRITE_BYTES = 1_000_000;

const pathSchema = z
  .string()
  .min(1, "path must not be empty")
  .max(512, "path is longer than 512 characters")
  .refine((p) => !p.startsWith("/") && !p.split("/").some((s) => s === ".." || s === "." || s === ""), {
    message: "path must be relative, without empty, '.' or '..' segments",
  })
  .refine((p) => !/[\u0000-\u001f\\]/.test(p), { message: "path must not contain control characters or backslashes" });

/** Every object of an agent lives under its own prefix: no path can reach another agent's files. */
export function workspaceKey(agentId: string, path: string): string {
  return `workspaces/${agentId}/${path}`;
}

/** Paths under this folder name files customers sent in the current conversation, not workspace files. */
export const ATTACHMENTS_DIR = "attachments/";

/**
 * Where a conversation's attachments are kept: outside `workspaces/`, under a hash of the
 * channel and conversation key, so a tool answering one customer cannot open another's files.
 *
 * @example
 * await attachmentsPrefix("bakery", { channel: "email", key: "3f…" }) // "attachments/bakery/<32 hex>/"
 */
export async function attachmentsPrefix(agentId: string, conversation: { channel: string; key: string }): Promise<string> {
  return `attachments/${agentId}/${(await sha256Hex(`${conversation.channel}\u0000${conversation.key}`)).slice(0, 32)}/`;
}

/** The R2 key a tool path names: an attachment of the current conversation, or a workspace file; null for an attachment path with no conversation. */
async function objectKey(path: string, ctx: ToolContext): Promise<string | null> {
  if (!path.startsWith(ATTACHMENTS_DIR)) return workspaceKey(ctx.agentId, path);
  if (!ctx.conversation) return null;
  return `${await attachmentsPrefix(ctx.agentId, ctx.conversation)}${path.slice(ATTACHMENTS_DIR.length)}`;
}

function invalid(error: z.ZodError): ToolResult {
  return { content: `invalid input: ${error.issues.map((i) => i.message).join("; ")}`, isError: true };
}

const readInput = z.object({ path: pathSchema });

export const readTool: ToolDefinition = {
  name: "Read",
  description: "Read a text file from this agent's workspace, or a file the customer sent (its 'attachments/…' path). Paths are relative, e.g. 'notes/faq.md'.",
  inputSchema: { type: "object", properties: { path: { type: "string", description: "Relative file path" } }, required: ["path"] },
  sideEffect: false,
  async run(input, ctx) {
    const parsed = readInput.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    const key = await objectKey(parsed.data.path, ctx);
    const object = key ? await ctx.workspace.get(key) : null;
    if (!object) return { content: `file not found: ${parsed.data.path}`, isError: true };
    const text = await object.text();
    return text.length > MAX_READ_CHARS
      ? { content: `${text.slice(0, MAX_READ_CHARS)}\n[truncated: file has ${text.length} characters]`, isError: false }
      : { content: text, isError: false };
  },
};

const writeInput = z.object({ path: pathSchema, content: z.string() });

export const writeTool: ToolDefinition = {
  name: "Write",
  description: "Create or replace a text file in this agent's workspace.",
  inputSchema: {
    type: "object",
    properties: { path: { type: "string", description: "Relative file path" }, content: { type: "string", description: "Full file content" } },
    required: ["path", "content"],
  },
  sideEffect: true,
  async run(input, ctx) {
    const parsed = writeInput.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    if (parsed.data.path.startsWith(ATTACHMENTS_DIR)) {
      return { content: `${ATTACHMENTS_DIR} holds the files customers send and cannot be written; choose another folder`, isError: true };
    }
    const bytes = new TextEncoder().encode(parsed.data.content);
    if (bytes.byteLength > MAX_WRITE_BYTES) {
      return { content: `content is ${bytes.byteLength} bytes; the limit is ${MAX_WRITE_BYTES}`, isError: true };
    }
    await ctx.workspace.put(workspaceKey(ctx.agentId, parsed.data.path), bytes, {
      httpMetadata: { contentType: "text/plain; charset=utf-8" },
    });
    return { content: `wrote ${bytes.byteLength} bytes to ${parsed.data.path}`, isError: false };
  },
};

/** The built-in tools by name. */
export const BUILTIN_TOOLS: Readonly<Record<"Read" | "Write", ToolDefinition>> = { Read: readTool, Write: writeTool };
