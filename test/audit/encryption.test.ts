import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requireEncryptionKeys } from "../../src/admin/agents";
import { parseAgentConfig } from "../../src/config";
import { conversationName } from "../../src/state/conversation";
import { createAgent, type HttpReply, sendHttp, settled } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";

describe("encryption of kept conversation text", () => {
  it("stores turns sealed when audit.compliance.encryption is on, and still gives the model its context", async () => {
    const agentId = await createAgent({ audit: { compliance: { encryption: true } } });
    await scriptModel(agentId, [
      { type: "text", text: "Noted, your card ending 4242 is blocked." },
      { type: "text", text: "It was the card ending 4242." },
    ]);
    const say = async (id: string, text: string) => {
      const res = await sendHttp(agentId, { id, conversation: "enc-1", from: "ana", text }, { target: settled });
      expect(res.status).toBe(200);
      return (await res.json()) as HttpReply;
    };
    await say("e-1", "Block my card 4242 4242 4242 4242 please");
    await say("e-2", "Which card was it?");

    const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationName(agentId, "http", "enc-1")));
    const stored = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ text: string }>("SELECT text FROM turns ORDER BY seq").toArray());
    expect(stored).toHaveLength(4);
    for (const row of stored) {
      expect(row.text).toMatch(/^enc:v1:t1:/);
      expect(row.text).not.toContain("4242");
    }
    const second = (await modelRequests(agentId))[1]?.body as { messages: Array<{ content: unknown }> };
    expect(JSON.stringify(second.messages)).toContain("Block my card 4242 4242 4242 4242 please");
  });

  it("seals the answer kept for replays, and a repeated delivery still gets it back", async () => {
    const agentId = await createAgent({ audit: { compliance: { encryption: true } } });
    await scriptModel(agentId, [{ type: "text", text: "Your card ending 4242 is blocked." }]);
    const send = async () => {
      const res = await sendHttp(agentId, { id: "enc-replay", conversation: "r-1", from: "ana", text: "Block card 4242" }, { target: settled });
      expect(res.status).toBe(200);
      return (await res.json()) as HttpReply;
    };
    const first = await send();
    const again = await send();
    expect(again).toEqual(first);
    expect(await modelRequests(agentId)).toHaveLength(1);
    const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
    const kept = await runInDurableObject(stub, (_, state) =>
      state.storage.sql.exec<{ response: string | null }>("SELECT response FROM claims WHERE delivery_id = 'enc-replay'").toArray(),
    );
    expect(kept[0]?.response).toMatch(/^enc:v1:t1:/);
    expect(kept[0]?.response).not.toContain("4242");
  });

  it("keeps turns in the clear when encryption is off", async () => {
    const agentId = await createAgent({});
    const res = await sendHttp(agentId, { id: "p-1", conversation: "plain-1", from: "ana", text: "hello plain" }, { target: settled });
    expect(res.status).toBe(200);
    const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationName(agentId, "http", "plain-1")));
    const stored = await runInDurableObject(stub, (_, state) => state.storage.sql.exec<{ text: string }>("SELECT text FROM turns ORDER BY seq").toArray());
    expect(stored[0]?.text).toBe("hello plain");
  });

  it("refuses to configure encryption without ENCRYPTION_KEYS, or with a malformed one", async () => {
    const parsed = parseAgentConfig({ audit: { compliance: { encryption: true } } });
    if (!parsed.ok) throw new Error("config should parse");
    await expect(requireEncryptionKeys(parsed.config, undefined)).rejects.toMatchObject({ code: "invalid_config", message: expect.stringContaining("ENCRYPTION_KEYS") });
    await expect(requireEncryptionKeys(parsed.config, "k1:c2hvcnQ=")).rejects.toMatchObject({ code: "invalid_config", message: expect.stringContaining("32 bytes") });
    await expect(requireEncryptionKeys(parsed.config, `k9:${btoa("0123456789abcdef0123456789abcdef")}`)).resolves.toBeUndefined();
  });
});
