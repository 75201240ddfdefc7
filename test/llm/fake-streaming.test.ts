import Anthropic from "@anthropic-ai/sdk";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { scriptModel } from "../support/model";

const client = () => new Anthropic({ baseURL: env.ANTHROPIC_BASE_URL, apiKey: "test-key", maxRetries: 0 });
const key = () => `stream-${crypto.randomUUID().slice(0, 8)}`;
const ask = (user: string, text = "Write the note, please.") => ({
  model: "claude-sonnet-4-5",
  max_tokens: 512,
  metadata: { user_id: user },
  messages: [{ role: "user" as const, content: text }],
});

describe("the fake Messages API, streamed", () => {
  it("streams text in the real event sequence, which the SDK assembles into the same message", async () => {
    const user = key();
    const text = "Your order left the warehouse this morning and should reach you by Thursday afternoon.";
    await scriptModel(user, [{ type: "text", text }]);
    const events: string[] = [];
    const stream = client().messages.stream(ask(user));
    stream.on("streamEvent", (e) => events.push(e.type));
    const message = await stream.finalMessage();
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text })]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBeGreaterThan(1);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    // message_start, one text block in several deltas, message_delta, message_stop (the SDK passes no ping on).
    expect(events.slice(0, 2)).toEqual(["message_start", "content_block_start"]);
    expect(events.filter((e) => e === "content_block_delta").length).toBeGreaterThan(2);
    expect(events.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
  });

  it("streams a tool call's input as partial JSON that adds up to the input", async () => {
    const user = key();
    const input = { path: "notes/order-4411.md", content: "Customer asked about delivery; promised Thursday." };
    await scriptModel(user, [{ type: "tool_use", text: "I'll write that down.", calls: [{ name: "Write", input, id: "toolu_fake_1" }] }]);
    const partials: string[] = [];
    for await (const event of await client().messages.create({ ...ask(user), stream: true })) {
      if (event.type === "content_block_delta" && event.delta.type === "input_json_delta") partials.push(event.delta.partial_json);
    }
    expect(partials[0]).toBe("");
    expect(partials.length).toBeGreaterThan(2);
    expect(JSON.parse(partials.join(""))).toEqual(input);

    await scriptModel(user, [{ type: "tool_use", calls: [{ name: "Write", input, id: "toolu_fake_2" }] }]);
    const message = await client().messages.stream(ask(user)).finalMessage();
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([expect.objectContaining({ type: "tool_use", id: "toolu_fake_2", name: "Write", input })]);
  });

  it("answers a scripted error with its status before any event, and refuses a stream flag that is not a boolean", async () => {
    const user = key();
    await scriptModel(user, [{ type: "error", status: 529 }]);
    await expect(client().messages.stream(ask(user)).finalMessage()).rejects.toMatchObject({ status: 529 });
    const res = await fetch(`${env.ANTHROPIC_BASE_URL}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ ...ask(user), stream: "yes" }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^stream:/);
  });

  it("sends each event with its name matching its data's type, as text/event-stream", async () => {
    const user = key();
    await scriptModel(user, [{ type: "text", text: "Open nine to five." }]);
    const res = await fetch(`${env.ANTHROPIC_BASE_URL}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ ...ask(user), stream: true }),
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const frames = (await res.text()).trim().split("\n\n");
    expect(frames.slice(0, 2).map((f) => f.split("\n")[0])).toEqual(["event: message_start", "event: ping"]);
    for (const frame of frames) {
      const [name, data] = frame.split("\n");
      expect(name).toMatch(/^event: /);
      expect(JSON.parse(data!.replace(/^data: /, "")).type).toBe(name!.slice("event: ".length));
    }
  });
});
