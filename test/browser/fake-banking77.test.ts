/**
 * The fake Messages API answers a known banking77 question as a real model would: its intent's
 * facts, worded differently each time, so caches and learned patterns have something true to
 * agree on. Scripts and oracles come first; unknown questions keep the echo; without the data
 * the fake says so once and echoes. (Node side: the fake reads the data from disk.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BANKING77_DIR, factsOf, readLabelledQueries } from "../../src/dev/banking77.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../../src/dev/fake-anthropic.ts";

const rows = readLabelledQueries(join(BANKING77_DIR, "train.csv"));
const [arrival1, arrival2] = rows.filter((r) => r.category === "card_arrival");
const lostCard = rows.find((r) => r.category === "lost_or_stolen_card")!;

async function ask(fake: FakeAnthropic, text: string, user = "agent-a"): Promise<string> {
  const res = await fetch(`${fake.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "k", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "claude-test", max_tokens: 100, metadata: { user_id: user }, messages: [{ role: "user", content: text }] }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { content: Array<{ text: string }> };
  return body.content[0]!.text;
}

describe("the fake model and banking77 questions", () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0 });
  });
  afterAll(() => fake.close());

  it("answers two questions of one intent with the same facts in different wording", async () => {
    const first = await ask(fake, arrival1!.text);
    const second = await ask(fake, arrival2!.text);
    expect(first).toContain(factsOf("card_arrival"));
    expect(second).toContain(factsOf("card_arrival"));
    expect(second).not.toBe(first);
  });

  it("recognises a known question whatever its case and spacing", async () => {
    expect(await ask(fake, `  ${arrival1!.text.toUpperCase().replace(" ", "   ")} `)).toContain(factsOf("card_arrival"));
  });

  it("answers questions of different intents with different facts", async () => {
    const answer = await ask(fake, lostCard.text);
    expect(factsOf("lost_or_stolen_card")).not.toBe(factsOf("card_arrival"));
    expect(answer).toContain(factsOf("lost_or_stolen_card"));
    expect(answer).not.toContain(factsOf("card_arrival"));
  });

  it("keeps the echo for a question the data does not hold", async () => {
    expect(await ask(fake, "Do you sell gluten-free bread?")).toBe("Simulated reply from the fake Anthropic API: Do you sell gluten-free bread?");
  });

  it("lets a script and then an oracle answer first", async () => {
    const put = (path: string, body: unknown) => fetch(`${fake.url}/_fake/${path}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await put("scripts/agent-b", { steps: [{ type: "text", text: "scripted" }] })).status).toBe(204);
    expect((await put("oracle/agent-b", { answers: { [arrival1!.text]: "from the oracle" } })).status).toBe(204);
    expect(await ask(fake, arrival1!.text, "agent-b")).toBe("scripted");
    expect(await ask(fake, arrival1!.text, "agent-b")).toBe("from the oracle");
    expect(await ask(fake, arrival2!.text, "agent-b")).toContain(factsOf("card_arrival"));
  });
});

describe("the fake model without the banking77 data", () => {
  it("says so once and echoes every question", async () => {
    const empty = mkdtempSync(join(tmpdir(), "no-banking77-"));
    const warnings: string[] = [];
    const fake = await startFakeAnthropic({ port: 0, knownQuestions: empty, warn: (line) => warnings.push(line) });
    try {
      expect(await ask(fake, arrival1!.text)).toBe(`Simulated reply from the fake Anthropic API: ${arrival1!.text}`);
      await ask(fake, arrival2!.text);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(empty);
    } finally {
      await fake.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("stays quiet when told to know no questions", async () => {
    const warnings: string[] = [];
    const fake = await startFakeAnthropic({ port: 0, knownQuestions: false, warn: (line) => warnings.push(line) });
    try {
      expect(await ask(fake, arrival1!.text)).toBe(`Simulated reply from the fake Anthropic API: ${arrival1!.text}`);
      expect(warnings).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
