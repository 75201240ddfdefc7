import { z } from "zod";

/** What a tool may touch: the agent's own workspace, nothing else. */
export interface ToolContext {
  agentId: string;
  workspace: R2Bucket;
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

function invalid(error: z.ZodError): ToolResult {
  return { content: `invalid input: ${error.issues.map((i) => i.message).join("; ")}`, isError: true };
}

const readInput = z.object({ path: pathSchema });

export const readTool: ToolDefinition = {
  name: "Read",
  description: "Read a text file from this agent's workspace. Paths are relative, e.g. 'notes/faq.md'.",
  inputSchema: { type: "object", properties: { path: { type: "string", description: "Relative file path" } }, required: ["path"] },
  sideEffect: false,
  async run(input, ctx) {
    const parsed = readInput.safeParse(input);
    if (!parsed.success) return invalid(parsed.error);
    const object = await ctx.workspace.get(workspaceKey(ctx.agentId, parsed.data.path));
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
