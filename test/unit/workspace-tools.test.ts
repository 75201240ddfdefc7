import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  BUILTIN_TOOLS,
  MAX_READ_CHARS,
  MAX_WRITE_BYTES,
  readTool,
  type ToolContext,
  workspaceKey,
  writeTool,
} from "../../src/llm/tools";

/** A fresh agent per test, so no test sees another's files. */
function freshContext(): ToolContext {
  return { agentId: `agent-${crypto.randomUUID()}`, workspace: env.WORKSPACE };
}

/** Every key stored under the agent's workspace prefix. */
async function storedKeys(ctx: ToolContext): Promise<string[]> {
  const listed = await env.WORKSPACE.list({ prefix: `workspaces/${ctx.agentId}/` });
  return listed.objects.map((o) => o.key);
}

describe("Write then Read", () => {
  it("reads back exactly what was written", async () => {
    const ctx = freshContext();
    const content = "# FAQ\n\nWe open at nine.\n";
    expect(await writeTool.run({ path: "notes/faq.md", content }, ctx)).toEqual({
      content: `wrote ${content.length} bytes to notes/faq.md`,
      isError: false,
    });
    expect(await readTool.run({ path: "notes/faq.md" }, ctx)).toEqual({ content, isError: false });
  });

  it("reports the size of a unicode write in bytes and reads it back intact", async () => {
    const ctx = freshContext();
    const content = "Grüße 東京 👋";
    const bytes = new TextEncoder().encode(content).byteLength;
    expect(bytes).toBeGreaterThan(content.length);
    expect(await writeTool.run({ path: "greeting.txt", content }, ctx)).toEqual({ content: `wrote ${bytes} bytes to greeting.txt`, isError: false });
    expect(await readTool.run({ path: "greeting.txt" }, ctx)).toEqual({ content, isError: false });
  });

  it("replaces a file on a second write", async () => {
    const ctx = freshContext();
    await writeTool.run({ path: "draft.md", content: "first" }, ctx);
    await writeTool.run({ path: "draft.md", content: "second" }, ctx);
    expect(await readTool.run({ path: "draft.md" }, ctx)).toEqual({ content: "second", isError: false });
  });

  it("writes an empty file", async () => {
    const ctx = freshContext();
    expect((await writeTool.run({ path: "empty.txt", content: "" }, ctx)).isError).toBe(false);
    expect(await readTool.run({ path: "empty.txt" }, ctx)).toEqual({ content: "", isError: false });
  });

  it("stores the file under the agent's workspace key as UTF-8 text", async () => {
    const ctx = freshContext();
    await writeTool.run({ path: "a/b.txt", content: "hello" }, ctx);
    expect(workspaceKey(ctx.agentId, "a/b.txt")).toBe(`workspaces/${ctx.agentId}/a/b.txt`);
    const object = await env.WORKSPACE.get(`workspaces/${ctx.agentId}/a/b.txt`);
    expect(await object?.text()).toBe("hello");
    expect(object?.httpMetadata?.contentType).toBe("text/plain; charset=utf-8");
  });
});

describe("Read", () => {
  it("returns an error result for a file that does not exist", async () => {
    const ctx = freshContext();
    expect(await readTool.run({ path: "missing.md" }, ctx)).toEqual({ content: "file not found: missing.md", isError: true });
  });

  it("cuts a file longer than MAX_READ_CHARS and says how long it was", async () => {
    const ctx = freshContext();
    const content = "a".repeat(MAX_READ_CHARS) + "TAIL".repeat(250);
    await writeTool.run({ path: "big.txt", content }, ctx);
    const result = await readTool.run({ path: "big.txt" }, ctx);
    expect(result.isError).toBe(false);
    expect(result.content).toBe(`${"a".repeat(MAX_READ_CHARS)}\n[truncated: file has ${MAX_READ_CHARS + 1000} characters]`);
    expect(result.content).not.toContain("TAIL");
  });

  it("returns a file of exactly MAX_READ_CHARS whole", async () => {
    const ctx = freshContext();
    const content = "b".repeat(MAX_READ_CHARS);
    await writeTool.run({ path: "edge.txt", content }, ctx);
    expect(await readTool.run({ path: "edge.txt" }, ctx)).toEqual({ content, isError: false });
  });

  it("rejects input without a string path", async () => {
    const ctx = freshContext();
    for (const input of [{}, { path: 3 }, null, "notes.md"]) {
      const result = await readTool.run(input, ctx);
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(result.content).toMatch(/^invalid input: /);
    }
  });
});

describe("workspace path rules", () => {
  const badPaths: Array<[string, string]> = [
    ["an absolute path", "/etc/passwd"],
    ["a .. segment", "../other-agent/notes.md"],
    ["a .. segment in the middle", "notes/../../x"],
    ["a leading ./", "./x"],
    ["a . segment in the middle", "a/./b"],
    ["an empty segment", "a//b"],
    ["a trailing slash", "notes/"],
    ["an empty path", ""],
    ["a backslash", "notes\\faq.md"],
    ["a NUL character", "notes\u0000.md"],
    ["a newline", "notes\n.md"],
    ["a tab", "notes\t.md"],
    ["more than 512 characters", "x".repeat(513)],
  ];

  for (const [what, path] of badPaths) {
    it(`refuses to write a path with ${what} and stores nothing`, async () => {
      const ctx = freshContext();
      const result = await writeTool.run({ path, content: "nope" }, ctx);
      expect(result.isError).toBe(true);
      expect(result.content).toMatch(/^invalid input: /);
      expect(await storedKeys(ctx)).toEqual([]);
    });

    it(`refuses to read a path with ${what}`, async () => {
      const result = await readTool.run({ path }, freshContext());
      expect(result.isError).toBe(true);
      expect(result.content).toMatch(/^invalid input: /);
    });
  }

  it("says why a path is refused", async () => {
    const ctx = freshContext();
    expect((await writeTool.run({ path: "", content: "x" }, ctx)).content).toContain("path must not be empty");
    expect((await writeTool.run({ path: "../x", content: "x" }, ctx)).content).toContain("path must be relative");
    expect((await writeTool.run({ path: "a\\b", content: "x" }, ctx)).content).toContain("backslashes");
  });

  it("accepts nested relative paths, dots inside names and a path of 512 characters", async () => {
    const ctx = freshContext();
    for (const path of ["notes/2026/faq.md", ".hidden", "a..b/c.d", "x".repeat(512)]) {
      expect((await writeTool.run({ path, content: path }, ctx)).isError, path).toBe(false);
      expect(await readTool.run({ path }, ctx), path).toEqual({ content: path, isError: false });
    }
  });
});

describe("Write limits", () => {
  it("refuses content over MAX_WRITE_BYTES and stores nothing", async () => {
    const ctx = freshContext();
    const result = await writeTool.run({ path: "huge.txt", content: "x".repeat(MAX_WRITE_BYTES + 1) }, ctx);
    expect(result).toEqual({ content: `content is ${MAX_WRITE_BYTES + 1} bytes; the limit is ${MAX_WRITE_BYTES}`, isError: true });
    expect(await storedKeys(ctx)).toEqual([]);
  });

  it("measures the limit in UTF-8 bytes, not characters", async () => {
    const ctx = freshContext();
    const content = "é".repeat(MAX_WRITE_BYTES / 2 + 1); // 2 bytes each: one character fits, the bytes do not
    expect(content.length).toBeLessThan(MAX_WRITE_BYTES);
    const result = await writeTool.run({ path: "accents.txt", content }, ctx);
    expect(result.isError).toBe(true);
    expect(await storedKeys(ctx)).toEqual([]);
  });

  it("accepts content of exactly MAX_WRITE_BYTES", async () => {
    const ctx = freshContext();
    const result = await writeTool.run({ path: "max.txt", content: "x".repeat(MAX_WRITE_BYTES) }, ctx);
    expect(result).toEqual({ content: `wrote ${MAX_WRITE_BYTES} bytes to max.txt`, isError: false });
  });

  it("rejects input without string content and stores nothing", async () => {
    const ctx = freshContext();
    for (const input of [{ path: "x.txt" }, { path: "x.txt", content: 42 }, { path: "x.txt", content: null }]) {
      const result = await writeTool.run(input, ctx);
      expect(result.isError, JSON.stringify(input)).toBe(true);
    }
    expect(await storedKeys(ctx)).toEqual([]);
  });
});

describe("workspace isolation", () => {
  it("never lets one agent read a file another agent wrote at the same path", async () => {
    const alice = freshContext();
    const bob = freshContext();
    await writeTool.run({ path: "notes.md", content: "alice's notes" }, alice);
    expect(await readTool.run({ path: "notes.md" }, bob)).toEqual({ content: "file not found: notes.md", isError: true });
    await writeTool.run({ path: "notes.md", content: "bob's notes" }, bob);
    expect(await readTool.run({ path: "notes.md" }, alice)).toEqual({ content: "alice's notes", isError: false });
    expect(await readTool.run({ path: "notes.md" }, bob)).toEqual({ content: "bob's notes", isError: false });
  });

  it("keeps each agent's files under its own prefix", async () => {
    const alice = freshContext();
    const bob = freshContext();
    await writeTool.run({ path: "notes.md", content: "a" }, alice);
    await writeTool.run({ path: "notes.md", content: "b" }, bob);
    expect(await storedKeys(alice)).toEqual([`workspaces/${alice.agentId}/notes.md`]);
    expect(await storedKeys(bob)).toEqual([`workspaces/${bob.agentId}/notes.md`]);
  });
});

describe("tool definitions", () => {
  it("marks Write as having a side effect and Read as not", () => {
    expect(writeTool.sideEffect).toBe(true);
    expect(readTool.sideEffect).toBe(false);
  });

  it("lists both built-in tools under the names the model calls them by", () => {
    expect(BUILTIN_TOOLS.Read).toBe(readTool);
    expect(BUILTIN_TOOLS.Write).toBe(writeTool);
    expect(readTool.name).toBe("Read");
    expect(writeTool.name).toBe("Write");
  });

  it("describes the inputs each tool requires", () => {
    expect(readTool.inputSchema).toMatchObject({ type: "object", required: ["path"] });
    expect(writeTool.inputSchema).toMatchObject({ type: "object", required: ["path", "content"] });
  });
});
