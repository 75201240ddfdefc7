/**
 * `npm run send`: each send opens a conversation of its own, so a repeated question is answered
 * from the cache (only opening messages are); `--conversation ID` continues one. The command
 * line is read by `parseSendArgs`; the end-to-end cases run src/dev/send.ts against the dev
 * worker of the browser suite.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { parseSendArgs, SEND_USAGE } from "../../src/dev/send-args.ts";

const run = promisify(execFile);

describe("the command line of npm run send", () => {
  it("gives each send a fresh conversation by default", () => {
    const a = parseSendArgs(["Where", "is", "my", "card?"]);
    const b = parseSendArgs(["Where is my card?"]);
    expect(a).toMatchObject({ ok: true, text: "Where is my card?", continued: false });
    expect(b).toMatchObject({ ok: true, text: "Where is my card?", continued: false });
    if (!a.ok || !b.ok) throw new Error("unreachable");
    expect(a.conversation).toMatch(/^cli-[0-9a-f-]{36}$/);
    expect(a.conversation).not.toBe(b.conversation);
  });

  it("continues the conversation --conversation names, before or after the text, and in --conversation=ID form", () => {
    expect(parseSendArgs(["--conversation", "order-7", "Where is my order?"])).toEqual({ ok: true, text: "Where is my order?", conversation: "order-7", continued: true });
    expect(parseSendArgs(["Where is my order?", "--conversation=order-7"])).toEqual({ ok: true, text: "Where is my order?", conversation: "order-7", continued: true });
  });

  it("continues FOREMAN_CONVERSATION when set, unless --conversation names another", () => {
    expect(parseSendArgs(["Hi"], "shared")).toEqual({ ok: true, text: "Hi", conversation: "shared", continued: true });
    expect(parseSendArgs(["--conversation", "mine", "Hi"], "shared")).toMatchObject({ conversation: "mine" });
  });

  it("takes everything after -- as the message, dashes included", () => {
    expect(parseSendArgs(["--", "--conversation", "is a word"])).toMatchObject({ ok: true, text: "--conversation is a word", continued: false });
  });

  it("refuses a missing message, a missing or invalid id and an unknown option, saying how to fix it", () => {
    expect(parseSendArgs([])).toEqual({ ok: false, error: SEND_USAGE });
    expect(parseSendArgs(["--conversation"])).toMatchObject({ ok: false, error: expect.stringContaining("--conversation needs an id") });
    expect(parseSendArgs(["--conversation", "two words", "Hi"])).toMatchObject({ ok: false, error: expect.stringContaining("printable ASCII characters without spaces") });
    expect(parseSendArgs(["--conversation", "x".repeat(201), "Hi"])).toMatchObject({ ok: false, error: expect.stringContaining("1 to 200") });
    expect(parseSendArgs(["--conversaton", "x", "Hi"])).toMatchObject({ ok: false, error: expect.stringContaining("unknown option --conversaton") });
  });
});

describe("npm run send against the dev worker", () => {
  // A conversation set in the developer's environment would make every send continue it.
  const { FOREMAN_CONVERSATION: _, ...inherited } = process.env;
  const env = { ...inherited, FOREMAN_URL: inject("devUrl"), FOREMAN_AGENT: inject("devAgentId") };
  const send = async (...args: string[]) => {
    const { stdout, stderr } = await run(process.execPath, ["src/dev/send.ts", ...args], { env });
    return { reply: JSON.parse(stdout) as { tier: string; text: string }, stderr };
  };
  // A question of test/fixtures/labelled-queries: the fake model answers it with its intent's facts.
  const question = "Has my order shipped yet?";

  it("answers a repeated question from the cache, each send being a new conversation", async () => {
    const first = await send(question);
    expect(first.reply.tier).toBe("intelligent");
    expect(first.stderr).toMatch(/conversation cli-\S+ \(new; continue it with --conversation cli-\S+\)/);
    // The answer is cached once the first request has finished; a later opening message finds it.
    let tier = "";
    for (let i = 0; i < 10 && tier !== "cache"; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      tier = (await send(question)).reply.tier;
    }
    expect(tier).toBe("cache");
  });

  it("sends into the conversation --conversation names, where a repeat is a follow-up for the model", async () => {
    const id = `send-test-${crypto.randomUUID()}`;
    const text = "Which courier is bringing my order?";
    const first = await send("--conversation", id, text);
    const second = await send("--conversation", id, text);
    expect(first.stderr.trim()).toBe(`conversation ${id}`);
    expect(first.reply.tier).toBe("intelligent");
    expect(second.reply.tier).toBe("intelligent");
  });

  it("exits 2 with the fix for a bad id, sending nothing", async () => {
    const failed = await run(process.execPath, ["src/dev/send.ts", "--conversation", "two words", "Hi"], { env }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('conversation "two words" is not a valid id') });
  });
});
