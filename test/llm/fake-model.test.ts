import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { wordFacts } from "../../src/dev/fake-wording";
import { createAgent, type HttpReply, sendHttp } from "../support/agents";

describe("the fake model's answers to a known request type", () => {
  it("carry the same facts in varied wording, never the same text twice in a row", () => {
    const facts = "New cards arrive within 5 working days; track them in the app under Cards.";
    const answers = Array.from({ length: 12 }, (_, n) => wordFacts(facts, "Where is my card?", n));
    for (const a of answers) expect(a).toContain(facts);
    for (let n = 1; n < answers.length; n++) expect(answers[n]).not.toBe(answers[n - 1]);
    expect(new Set(answers).size).toBeGreaterThan(6);
    expect(answers.some((a) => a.includes("where is my card"))).toBe(true);
  });

  it("answer through the real SDK with the facts the oracle holds for the question, worded anew each time", async () => {
    const agentId = await createAgent();
    const facts = "New cards arrive within 5 working days.";
    const res = await fetch(`${env.ANTHROPIC_BASE_URL}/_fake/oracle/${encodeURIComponent(agentId)}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ facts: { "Where is my card?": facts, "Has my new card shipped yet?": facts } }),
    });
    expect(res.status).toBe(204);
    const ask = async (id: string, text: string) => (await (await sendHttp(agentId, { id, conversation: id, from: "u", text })).json()) as HttpReply;
    const first = await ask("k1", "Where is my card?");
    const second = await ask("k2", "Has my new card shipped yet?");
    expect(first.tier).toBe("intelligent");
    expect(first.text).toContain(facts);
    expect(second.text).toContain(facts);
    expect(second.text).not.toBe(first.text);
  });

  it("refuses an oracle body that is neither answers nor facts", async () => {
    const res = await fetch(`${env.ANTHROPIC_BASE_URL}/_fake/oracle/x`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ facts: { q: 1 } }) });
    expect(res.status).toBe(400);
  });
});
