import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { digestTurns, MAX_DIGEST_CHARS } from "../../src/state/conversation";
import { createAgent, type HttpReply, sendHttp, settled } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";

type Sent = { system?: Array<{ text: string; cache_control?: unknown }>; messages: Array<{ role: string; content: unknown }> };
const bodyOf = (r: { body: unknown }) => r.body as Sent;
const textOf = (content: unknown) => (typeof content === "string" ? content : JSON.stringify(content));

let n = 0;
async function say(agentId: string, conversation: string, text: string): Promise<HttpReply> {
  n += 1;
  const res = await sendHttp(agentId, { id: `ctx-${n}`, conversation, from: "customer", text }, { target: settled });
  expect(res.status).toBe(200);
  return (await res.json()) as HttpReply;
}

describe("conversation context", () => {
  it("continues a conversation: the follow-up is sent with the earlier turns", async () => {
    const agentId = await createAgent({});
    await scriptModel(agentId, [
      { type: "text", text: "Hi Ana, how can I help?" },
      { type: "text", text: "Your name is Ana." },
    ]);
    await say(agentId, "c-1", "Hi, my name is Ana.");
    expect((await say(agentId, "c-1", "What's my name?")).text).toBe("Your name is Ana.");
    const [, second] = await modelRequests(agentId);
    expect(bodyOf(second!).messages.map((m) => [m.role, textOf(m.content)])).toEqual([
      ["user", "Hi, my name is Ana."],
      ["assistant", "Hi Ana, how can I help?"],
      ["user", expect.stringContaining("What's my name?")],
    ]);
  });

  it("condenses turns older than contextTurns into a digest after the cached system prompt", async () => {
    const agentId = await createAgent({ messageHandling: { contextTurns: 2 } });
    await scriptModel(agentId, [
      { type: "text", text: "I have frozen card 4. A new one is on its way." },
      { type: "text", text: "It arrives in 3 days." },
      { type: "text", text: "Yes, the freeze also blocks online payments." },
    ]);
    await say(agentId, "c-2", "My card was stolen this morning. Please help!");
    await say(agentId, "c-2", "When does the new one arrive?");
    await say(agentId, "c-2", "Does the freeze block online payments too?");
    const third = bodyOf((await modelRequests(agentId))[2]!);
    expect(third.messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(textOf(third.messages[0]!.content)).toContain("When does the new one arrive?");
    expect(third.system).toHaveLength(2);
    expect(third.system![0]!.cache_control).toBeDefined();
    expect(third.system![1]).toEqual({
      type: "text",
      text: "Earlier in this conversation (condensed):\nCustomer: My card was stolen this morning.\nAgent: I have frozen card 4.",
    });
  });

  it("answers a message sent while the previous one is being answered after it, with its answer in context", async () => {
    const agentId = await createAgent({});
    await scriptModel(agentId, [
      { type: "text", text: "Your order #12 ships today.", delayMs: 1500 },
      { type: "text", text: "It goes by DHL." },
    ]);
    const first = say(agentId, "c-3", "Where is my order?");
    await new Promise((r) => setTimeout(r, 300));
    const second = say(agentId, "c-3", "Which carrier?");
    expect((await first).text).toBe("Your order #12 ships today.");
    expect((await second).text).toBe("It goes by DHL.");
    const requests = await modelRequests(agentId);
    expect(requests).toHaveLength(2);
    expect(bodyOf(requests[1]!).messages.map((m) => textOf(m.content)).join("\n")).toContain("Your order #12 ships today.");
  });

  it("does not hold other conversations back", async () => {
    const agentId = await createAgent({});
    await scriptModel(agentId, [
      { type: "text", text: "slow", delayMs: 1500 },
      { type: "text", text: "fast" },
    ]);
    const slow = say(agentId, "c-4a", "first question");
    await new Promise((r) => setTimeout(r, 300));
    const fast = await say(agentId, "c-4b", "second question");
    expect(fast.text).toBe("fast");
    expect((await slow).text).toBe("slow");
  });
});

describe("turn order in the Conversation object", () => {
  it("grants turns first come first served, gives up after the wait, and is re-entrant for the holder", async () => {
    const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(`turns-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (conversation) => {
      expect(await conversation.takeTurn("a", 1000)).toBe(true);
      expect(await conversation.takeTurn("a", 1000)).toBe(true);
      expect(await conversation.takeTurn("late", 20)).toBe(false);
      const order: string[] = [];
      const b = conversation.takeTurn("b", 5000).then((ok) => order.push(`b:${ok}`));
      const c = conversation.takeTurn("c", 5000).then((ok) => order.push(`c:${ok}`));
      conversation.endTurn("nobody");
      conversation.endTurn("a");
      await b;
      expect(order).toEqual(["b:true"]);
      conversation.endTurn("b");
      await c;
      expect(order).toEqual(["b:true", "c:true"]);
      conversation.endTurn("c");
      expect(await conversation.takeTurn("d", 10)).toBe(true);
    });
  });
});

describe("digestTurns", () => {
  it("keeps the opening message and the newest older turns within the bound", () => {
    const turns = Array.from({ length: 60 }, (_, i) => ({ role: i % 2 ? ("assistant" as const) : ("user" as const), text: `Turn ${i} ${"x".repeat(200)}. More.` }));
    const digest = digestTurns(turns);
    expect(digest.length).toBeLessThanOrEqual(MAX_DIGEST_CHARS);
    const lines = digest.split("\n");
    expect(lines[0]).toMatch(/^Customer: Turn 0 x+…$/);
    expect(lines[1]).toMatch(/^\(\d+ more turns\)$/);
    expect(lines.at(-1)).toMatch(/^Agent: Turn 59 /);
    expect(digestTurns([])).toBe("");
  });
});
