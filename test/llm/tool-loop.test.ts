import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { NO_TEXT_REPLY } from "../../src/pipeline/intelligent";
import { admin, createAgent, type HttpReply, sendHttp } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";

interface ApiBody {
  tools?: Array<{ name: string }>;
  messages: Array<{ role: string; content: unknown }>;
}

async function ask(agentId: string, id: string, text = "Please note our hours."): Promise<HttpReply> {
  const res = await sendHttp(agentId, { id, conversation: "c1", from: "owner", text });
  expect(res.status).toBe(200);
  return (await res.json()) as HttpReply;
}

function state(agentId: string) {
  return env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
}

describe("tool loop", () => {
  it("runs a Write then a Read over the agent's R2 workspace and feeds the results back to the model", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "notes/hours.md", content: "Mon-Fri 9-5" } }] },
      { type: "tool_use", calls: [{ name: "Read", input: { path: "notes/hours.md" } }] },
      { type: "text", text: "Saved. Hours: {{tool_result}}" },
    ]);
    const reply = await ask(agentId, "rw-1");
    expect(reply.text).toBe("Saved. Hours: Mon-Fri 9-5");
    const object = await env.WORKSPACE.get(`workspaces/${agentId}/notes/hours.md`);
    expect(await object?.text()).toBe("Mon-Fri 9-5");

    const requests = await modelRequests(agentId);
    expect(requests).toHaveLength(3);
    const second = requests[1]?.body as ApiBody;
    expect(second.messages.at(-1)).toMatchObject({
      role: "user",
      content: [{ type: "tool_result", content: "wrote 11 bytes to notes/hours.md", is_error: false }],
    });
    expect(second.messages.at(-2)).toMatchObject({ role: "assistant", content: [{ type: "tool_use", name: "Write" }] });
  });

  it("denies Write at trust 0.3 (Read and Slack only): the tool does not run and the model is told why", async () => {
    const agentId = await createAgent({ trust: { initial: 0.3 } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "x.txt", content: "should not exist" } }] },
      { type: "text", text: "Tool said: {{tool_result}} (error={{tool_result_is_error}})" },
    ]);
    const reply = await ask(agentId, "deny-1");
    expect(reply.text).toBe('Tool said: permission denied: tool "Write" is not allowed at trust level 0.3 (error=true)');
    expect(await env.WORKSPACE.head(`workspaces/${agentId}/x.txt`)).toBeNull();

    const [first] = await modelRequests(agentId);
    expect((first?.body as ApiBody).tools?.map((t) => t.name)).toEqual(["Read"]);
    const summary = await state(agentId).outcomeSummary();
    expect(summary.counts).toEqual({ denied: 1 });
    expect(summary.recentDenials[0]).toMatchObject({ interactionId: reply.id, tool: "Write", level: 0.3 });
  });

  it("allows the same Write at trust 0.5, where the seed's permissions grant it", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "x.txt", content: "allowed now" } }] },
      { type: "text", text: "Tool said: {{tool_result}} (error={{tool_result_is_error}})" },
    ]);
    const reply = await ask(agentId, "allow-1");
    expect(reply.text).toBe("Tool said: wrote 11 bytes to x.txt (error=false)");
    expect(await (await env.WORKSPACE.get(`workspaces/${agentId}/x.txt`))?.text()).toBe("allowed now");
    expect((await state(agentId).outcomeSummary()).counts).toEqual({ success: 1 });
  });

  it("denies a tool on the deny list even at a level that allows '*'", async () => {
    const agentId = await createAgent({ trust: { initial: 0.95, deny: ["Write"] } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "x.txt", content: "no" } }] },
      { type: "text", text: "{{tool_result}}" },
    ]);
    expect((await ask(agentId, "deny-list-1")).text).toBe('permission denied: tool "Write" is denied for this agent');
    expect(await env.WORKSPACE.head(`workspaces/${agentId}/x.txt`)).toBeNull();
  });

  it("answers an allowed but unknown tool with an error result instead of running anything", async () => {
    const agentId = await createAgent({ trust: { initial: 0.95 } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Bash", input: { command: "rm -rf /" } }] },
      { type: "text", text: "{{tool_result}}" },
    ]);
    expect((await ask(agentId, "unknown-1")).text).toBe('unknown tool "Bash"');
  });

  it("stops after maxSteps model calls and records the interaction as an error", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 }, tools: { maxSteps: 2 } });
    const loop = { type: "tool_use" as const, calls: [{ name: "Read", input: { path: "missing.txt" } }] };
    await scriptModel(agentId, [loop, loop, loop]);
    const reply = await ask(agentId, "steps-1");
    expect(reply.text).toBe(NO_TEXT_REPLY);
    expect(await modelRequests(agentId)).toHaveLength(2);
    expect((await state(agentId).outcomeSummary()).counts).toEqual({ error: 1 });
  });

  it("adds up the cost of every model call in the loop, cache writes and reads at their own rates", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 } }, { model: "claude-sonnet-4-5" });
    const zero = { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
    await scriptModel(agentId, [
      {
        type: "tool_use",
        calls: [{ name: "Read", input: { path: "a.txt" } }],
        usage: { input_tokens: 100, output_tokens: 50, cache_creation_input_tokens: 2000, cache_read_input_tokens: 0, cache_creation: { ...zero, ephemeral_5m_input_tokens: 2000 } },
      },
      {
        type: "text",
        text: "done",
        usage: { input_tokens: 200, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 2000, cache_creation: zero },
      },
    ]);
    // Sonnet 4.5: input $3, output $15, 5m write $3.75, read $0.30 per MTok.
    // Call 1: 100×3 + 50×15 + 2000×3.75 = 8550; call 2: 200×3 + 20×15 + 2000×0.3 = 1500.
    expect((await ask(agentId, "cost-1")).costUsd).toBe(0.01005);
  });
});

describe("tool loop under a changing trust level", () => {
  it("checks each tool call against the level as it is at the call, not at the start of the answer", async () => {
    const agentId = await createAgent({ trust: { initial: 0.5 } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "late.txt", content: "x" } }], delayMs: 400 },
      { type: "text", text: "{{tool_result}}" },
    ]);
    const pending = sendHttp(agentId, { id: "mid-loop", conversation: "c", from: "owner", text: "save it" });
    await new Promise((r) => setTimeout(r, 100));
    await admin(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level: 0.3, reason: "incident" }) });
    const reply = (await (await pending).json()) as HttpReply;
    expect(reply.text).toBe('permission denied: tool "Write" is not allowed at trust level 0.3');
    expect(await env.WORKSPACE.head(`workspaces/${agentId}/late.txt`)).toBeNull();
  });

  it("still records the denials of a loop that then failed", async () => {
    const agentId = await createAgent({ trust: { initial: 0.3 } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "Write", input: { path: "x.txt", content: "x" } }] },
      { type: "error", status: 400, message: "broken" },
    ]);
    const res = await sendHttp(agentId, { id: "deny-then-fail", conversation: "c", from: "owner", text: "save it" });
    expect(res.status).toBe(502);
    const summary = await state(agentId).outcomeSummary();
    expect(summary.counts).toEqual({ error: 1 });
    expect(summary.recentDenials.map((d) => d.tool)).toEqual(["Write"]);
  });
});
