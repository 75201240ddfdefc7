import { describe, expect, it } from "vitest";
import { SEED_EXAMPLE_CONFIG } from "../../src/config/seed-example";
import { admin, clockedApp, createAgent, type HttpReply, putAgent, sendHttp, settled, type Target } from "../support/agents";
import { modelRequests, scriptModel } from "../support/model";

const seedOptimization = { optimization: SEED_EXAMPLE_CONFIG.optimization };
let n = 0;

/** Sends a message that opens a new conversation unless one is given. */
async function ask(agentId: string, text: string, opts: { conversation?: string; target?: Target } = {}): Promise<HttpReply> {
  n += 1;
  const res = await sendHttp(agentId, { id: `m-${n}`, conversation: opts.conversation ?? `conv-${n}`, from: "customer", text }, { target: opts.target ?? settled });
  expect(res.status).toBe(200);
  return (await res.json()) as HttpReply;
}

const calls = async (agentId: string) => (await modelRequests(agentId)).length;

describe("static rules", () => {
  it("answers the seed's greeting rule at $0 without calling the model", async () => {
    const agentId = await createAgent(seedOptimization);
    expect(await ask(agentId, "hello there!")).toMatchObject({ tier: "rule", text: "Hello! How can I help?", costUsd: 0 });
    expect(await ask(agentId, "Bonjour")).toMatchObject({ tier: "rule" });
    expect(await calls(agentId)).toBe(0);
  });

  it("leaves a greeting followed by a request to the model", async () => {
    const agentId = await createAgent(seedOptimization);
    expect((await ask(agentId, "hello, my card was stolen")).tier).toBe("intelligent");
    expect(await calls(agentId)).toBe(1);
  });

  it("answers a regular-expression rule", async () => {
    const agentId = await createAgent({ optimization: { cacheRules: [{ pattern: "opening (hours|times)", ttl: 600, response: "We open 9-17, Mon-Sat." }] } });
    expect(await ask(agentId, "What are your opening hours?")).toMatchObject({ tier: "rule", text: "We open 9-17, Mon-Sat." });
  });
});

describe("exact cache", () => {
  it("answers the same question from another customer from KV at $0", async () => {
    const agentId = await createAgent(seedOptimization);
    await scriptModel(agentId, [{ type: "text", text: "Cards arrive within 5 working days." }]);
    expect((await ask(agentId, "How long does a new card take to arrive?")).tier).toBe("intelligent");
    expect(await ask(agentId, "how long does a new card take to arrive")).toMatchObject({
      tier: "cache",
      text: "Cards arrive within 5 working days.",
      costUsd: 0,
    });
    expect(await calls(agentId)).toBe(1);
  });

  it("never serves agent A's cached answer to agent B", async () => {
    const a = await createAgent(seedOptimization);
    const b = await createAgent(seedOptimization);
    await scriptModel(a, [{ type: "text", text: "A's answer" }]);
    await scriptModel(b, [{ type: "text", text: "B's answer" }]);
    await ask(a, "What is your refund policy?");
    expect((await ask(a, "What is your refund policy?")).text).toBe("A's answer");
    expect(await ask(b, "What is your refund policy?")).toMatchObject({ tier: "intelligent", text: "B's answer" });
  });

  it("never caches a reply that used Write", async () => {
    const agentId = await createAgent({ ...seedOptimization, trust: { initial: 0.5 } });
    const writeThenAnswer = [
      { type: "tool_use" as const, calls: [{ name: "Write", input: { path: "log.txt", content: "noted" } }] },
      { type: "text" as const, text: "Noted your request." },
    ];
    await scriptModel(agentId, [...writeThenAnswer, ...writeThenAnswer]);
    expect((await ask(agentId, "Please note my request for a callback")).tier).toBe("intelligent");
    expect((await ask(agentId, "Please note my request for a callback")).tier).toBe("intelligent");
    expect(await calls(agentId)).toBe(4);
  });

  it("never caches a question or an answer that carries PII", async () => {
    const agentId = await createAgent(seedOptimization);
    await scriptModel(agentId, [
      { type: "text", text: "We emailed ana@example.com." },
      { type: "text", text: "We emailed ana@example.com." },
      { type: "text", text: "Updated." },
      { type: "text", text: "Updated." },
    ]);
    await ask(agentId, "Where did you send my receipt?");
    expect((await ask(agentId, "Where did you send my receipt?")).tier).toBe("intelligent");
    await ask(agentId, "Change my phone to +44 20 7946 0958");
    expect((await ask(agentId, "Change my phone to +44 20 7946 0958")).tier).toBe("intelligent");
  });

  it("starts afresh when the agent's config changes", async () => {
    const agentId = await createAgent(seedOptimization);
    await scriptModel(agentId, [
      { type: "text", text: "old policy" },
      { type: "text", text: "new policy" },
    ]);
    await ask(agentId, "What is your return policy?");
    await putAgent(agentId, { config: seedOptimization, systemPrompt: "Returns are now free." });
    expect(await ask(agentId, "What is your return policy?")).toMatchObject({ tier: "intelligent", text: "new policy" });
  });

  it("does nothing when enableCache is false", async () => {
    const agentId = await createAgent({ optimization: { enableCache: false, cacheRules: [{ similarity: 0.9, ttl: 600 }] } });
    await ask(agentId, "What is your return policy?");
    expect((await ask(agentId, "What is your return policy?")).tier).toBe("intelligent");
  });
});

describe("answers that are not reused", () => {
  it("never caches an answer cut off at max_tokens, or one made while a tool failed", async () => {
    const agentId = await createAgent({ ...seedOptimization, trust: { initial: 0.5 } });
    await scriptModel(agentId, [
      { type: "text", text: "The fees are as follows: first", stopReason: "max_tokens" },
      { type: "text", text: "full answer" },
      { type: "tool_use", calls: [{ name: "Read", input: { path: "missing.txt" } }] },
      { type: "text", text: "I could not read the price list." },
      { type: "text", text: "price list answer" },
    ]);
    await ask(agentId, "What are the fees?");
    expect(await ask(agentId, "What are the fees?")).toMatchObject({ tier: "intelligent", text: "full answer" });
    await ask(agentId, "Show me the price list");
    expect(await ask(agentId, "Show me the price list")).toMatchObject({ tier: "intelligent", text: "price list answer" });
  });
});

describe("conversation context", () => {
  it("never lets a follow-up hit another conversation's entry", async () => {
    const agentId = await createAgent(seedOptimization);
    await scriptModel(agentId, [
      { type: "text", text: "Marie Curie was a physicist." },
      { type: "text", text: "She died at 66." },
      { type: "text", text: "Who do you mean?" },
    ]);
    await ask(agentId, "Tell me about Marie Curie", { conversation: "about-curie" });
    expect((await ask(agentId, "how old is she?", { conversation: "about-curie" })).text).toBe("She died at 66.");
    expect(await ask(agentId, "how old is she?", { conversation: "someone-else" })).toMatchObject({ tier: "intelligent", text: "Who do you mean?" });
  });

  it("never answers a question later in a conversation from the shared cache, since earlier turns may change it", async () => {
    const agentId = await createAgent(seedOptimization);
    await scriptModel(agentId, [
      { type: "text", text: "I don't know your name yet." },
      { type: "text", text: "Hi Ana." },
      { type: "text", text: "You are Ana." },
    ]);
    await ask(agentId, "What's my name?");
    await ask(agentId, "I'm Ana", { conversation: "ana" });
    expect(await ask(agentId, "What's my name?", { conversation: "ana" })).toMatchObject({ tier: "intelligent", text: "You are Ana." });
  });
});

describe("similarity cache", () => {
  it("answers a near-identical question from the similarity cache once a paraphrase confirmed it", async () => {
    const agentId = await createAgent(seedOptimization);
    await scriptModel(agentId, [
      { type: "text", text: "Go to Settings > Security." },
      { type: "text", text: "Go to Settings > Security." },
    ]);
    await ask(agentId, "How do I enable two-factor authentication?");
    // The first paraphrase still goes to the model: its answer confirms the entry.
    expect((await ask(agentId, "How do I enable two factor authentication")).tier).toBe("intelligent");
    expect(await ask(agentId, "How do I enable two-factor-authentication?")).toMatchObject({
      tier: "similar",
      text: "Go to Settings > Security.",
      costUsd: 0,
    });
    expect(await calls(agentId)).toBe(2);
  });

  it("serves a paraphrase at once when the rule asks for no confirmations", async () => {
    const agentId = await createAgent({ optimization: { cacheRules: [{ similarity: 0.95, ttl: 600, confirmations: 0 }] } });
    await scriptModel(agentId, [{ type: "text", text: "Go to Settings > Security." }]);
    await ask(agentId, "How do I enable two-factor authentication?");
    expect(await ask(agentId, "How do I enable two factor authentication")).toMatchObject({ tier: "similar", text: "Go to Settings > Security." });
    expect(await calls(agentId)).toBe(1);
  });

  it("never answers from an entry another phrasing's model answer disagreed with", async () => {
    const agentId = await createAgent(seedOptimization);
    await scriptModel(agentId, [
      { type: "text", text: "Your top-up was reversed; the money is back on your card." },
      { type: "text", text: "Top-ups can stay pending for up to an hour; please check again later." },
      { type: "text", text: "Top-ups can stay pending for up to an hour; please check again later." },
      { type: "text", text: "Top-ups can stay pending for up to an hour; please check again later." },
    ]);
    await ask(agentId, "Has my top-up gone through?");
    expect((await ask(agentId, "Has my top up gone through?")).tier).toBe("intelligent");
    // Both entries are contested now: later phrasings with the same words go to the model even
    // when their answers agree with the second one, while a repeat of the first text still gets
    // its own exact answer.
    expect((await ask(agentId, "Has my top/up gone through?")).tier).toBe("intelligent");
    expect((await ask(agentId, "Has my top-up, gone through?")).tier).toBe("intelligent");
    expect((await ask(agentId, "has my top-up gone through")).tier).toBe("cache");
    expect(await calls(agentId)).toBe(4);
  });

  it("never answers 'disable two-factor' with the cached 'enable two-factor' answer", async () => {
    const agentId = await createAgent({ optimization: { cacheRules: [{ similarity: 0.8, ttl: 3600 }] } });
    await scriptModel(agentId, [
      { type: "text", text: "To enable it, open Settings > Security > Enable." },
      { type: "text", text: "To disable it, open Settings > Security > Disable." },
    ]);
    await ask(agentId, "How do I enable two-factor authentication?");
    expect(await ask(agentId, "How do I disable two-factor authentication?")).toMatchObject({
      tier: "intelligent",
      text: "To disable it, open Settings > Security > Disable.",
    });
  });

  it("forgets an entry after its ttl", async () => {
    const { clock, target } = clockedApp(Date.UTC(2026, 10, 25, 9));
    const agentId = await createAgent({ optimization: { cacheRules: [{ similarity: 0.95, ttl: 600, confirmations: 0 }] } }, {}, target);
    await ask(agentId, "How do I enable two-factor authentication?", { target });
    expect((await ask(agentId, "How do I enable two factor authentication", { target })).tier).toBe("similar");
    clock.advance(601_000);
    expect((await ask(agentId, "How do I enable two factor authentication", { target })).tier).toBe("intelligent");
  });

  it("keeps one trust tier's answers from another tier", async () => {
    const agentId = await createAgent({ optimization: { cacheRules: [{ similarity: 0.95, ttl: 600, confirmations: 0 }] } });
    await ask(agentId, "How do I enable two-factor authentication?");
    await admin(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level: 0.9, reason: "test" }) });
    expect((await ask(agentId, "How do I enable two factor authentication")).tier).toBe("intelligent");
  });
});
