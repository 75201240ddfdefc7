import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, createAgent, HTTP_SECRET, type HttpReply, sendHttp } from "../support/agents";
import { mcpCalls, mcpServerUrl } from "../support/mcp";
import { modelRequests, scriptModel } from "../support/model";
import { shardDb } from "../support/shards";

async function agentWithGithub(initial: number): Promise<{ agentId: string; key: string }> {
  const key = crypto.randomUUID();
  const agentId = await createAgent({
    trust: { initial },
    tools: { mcpServers: { github: { url: mcpServerUrl(), headers: { "x-test-key": { secret: "mcp_key" } } } } },
  }, { secrets: { http: HTTP_SECRET, mcp_key: key } });
  return { agentId, key };
}

async function askForIssue(agentId: string, id: string): Promise<HttpReply> {
  await scriptModel(agentId, [
    { type: "tool_use", calls: [{ name: "mcp__github__create_issue", input: { title: "Printer broken", body: "Store 3" } }] },
    { type: "text", text: "Result: {{tool_result}} (error={{tool_result_is_error}})" },
  ]);
  const res = await sendHttp(agentId, { id, conversation: "c", from: "staff", text: "Open an issue for the printer" });
  expect(res.status).toBe(200);
  return (await res.json()) as HttpReply;
}

describe("MCP tools under trust permissions", () => {
  it("denies mcp__github__create_issue at 0.3, audits it, and never sends it to the MCP server", async () => {
    const { agentId, key } = await agentWithGithub(0.3);
    const reply = await askForIssue(agentId, "gh-low");
    expect(reply.text).toBe('Result: permission denied: tool "mcp__github__create_issue" is not allowed at trust level 0.3 (error=true)');
    expect(await mcpCalls(key)).toEqual([]);
    // At 0.3 only Read and mcp__slack__* are allowed: no GitHub tool is offered.
    const [first] = await modelRequests(agentId);
    expect((first?.body as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toEqual(["Read"]);

    await runDurableObjectAlarm(env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId)));
    const audit = await (await shardDb(agentId)).prepare("SELECT action, resource, decision, details FROM audit_events WHERE agent_id = ? AND action = 'tool.denied'").bind(agentId).first<{
      action: string;
      resource: string;
      decision: string;
      details: string;
    }>();
    expect(audit).toMatchObject({ action: "tool.denied", resource: "mcp__github__create_issue", decision: "denied" });
    expect(JSON.parse(audit!.details)).toMatchObject({ interactionId: reply.id, level: 0.3 });
  });

  it("at 0.9 sends the call to the MCP server and gives its result back to Claude", async () => {
    const { agentId, key } = await agentWithGithub(0.9);
    const reply = await askForIssue(agentId, "gh-high");
    expect(reply.text).toMatch(/^Result: created issue #\d+: Printer broken \(error=false\)$/);
    expect(await mcpCalls(key)).toEqual([{ tool: "create_issue", arguments: { title: "Printer broken", body: "Store 3" } }]);
    const [first] = await modelRequests(agentId);
    const offered = (first?.body as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
    expect(offered).toEqual(expect.arrayContaining(["Read", "Write", "mcp__github__create_issue", "mcp__github__search_issues"]));
  });

  it("matches mcp__* at 0.5 for every server's tools and mcp__slack__* at 0.3 only for Slack's", async () => {
    const key = crypto.randomUUID();
    const servers = {
      slack: { url: mcpServerUrl(), headers: { "x-test-key": { secret: "mcp_key" } } },
      github: { url: mcpServerUrl(), headers: { "x-test-key": { secret: "mcp_key" } } },
    };
    const agentId = await createAgent({ trust: { initial: 0.3 }, tools: { mcpServers: servers } }, { secrets: { http: HTTP_SECRET, mcp_key: key } });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "mcp__slack__post_message", input: { channel: "#ops", text: "hi" } }] },
      { type: "tool_use", calls: [{ name: "mcp__github__search_issues", input: { query: "printer" } }] },
      { type: "text", text: "{{tool_result}}" },
    ]);
    const res = await sendHttp(agentId, { id: "mix", conversation: "c", from: "u", text: "go" });
    expect(((await res.json()) as HttpReply).text).toBe('permission denied: tool "mcp__github__search_issues" is not allowed at trust level 0.3');
    expect(await mcpCalls(key)).toEqual([{ tool: "post_message", arguments: { channel: "#ops", text: "hi" } }]);

    await admin(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level: 0.5, reason: "test" }) });
    await scriptModel(agentId, [
      { type: "tool_use", calls: [{ name: "mcp__github__search_issues", input: { query: "printer" } }] },
      { type: "text", text: "{{tool_result}}" },
    ]);
    const again = await sendHttp(agentId, { id: "mix2", conversation: "c", from: "u", text: "go" });
    expect(((await again.json()) as HttpReply).text).toBe('no issues match "printer"');
  });

  it("still answers with the built-in tools when an MCP server is down", async () => {
    const agentId = await createAgent({ trust: { initial: 0.9 }, tools: { mcpServers: { down: { url: "http://127.0.0.1:1/mcp" } } } });
    await scriptModel(agentId, [{ type: "text", text: "fine without it" }]);
    const res = await sendHttp(agentId, { id: "down", conversation: "c", from: "u", text: "hello" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as HttpReply).text).toBe("fine without it");
  });
});
