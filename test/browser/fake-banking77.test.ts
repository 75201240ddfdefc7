/**
 * The fake Messages API answers a known question (banking77's under `npm run dev`) as a real model
 * would: its intent's facts, worded differently each time, so caches and learned patterns have
 * something true to agree on. Scripts and oracles come first; unknown questions keep the echo;
 * without the data the fake says so once and echoes. (Node side: the fake reads the data from
 * disk.) Here the repository's own labelled fixture, in banking77's form, stands in for banking77,
 * which need not be beside a clone (CI's).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { factsOf, readLabelledQueries } from "../../src/dev/banking77.ts";
import { type FakeAnthropic, startFakeAnthropic } from "../../src/dev/fake-anthropic.ts";
import { LABELLED_QUERIES_DIR } from "./dev-server.ts";

const rows = readLabelledQueries(join(LABELLED_QUERIES_DIR, "train.csv"));
const [status1, status2] = rows.filter((r) => r.category === "order_status");
const declined = rows.find((r) => r.category === "card_declined")!;

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

describe("the fake model and known questions", () => {
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ port: 0, knownQuestions: LABELLED_QUERIES_DIR });
  });
  afterAll(() => fake.close());

  it("answers two questions of one intent with the same facts in different wording", async () => {
    const first = await ask(fake, status1!.text);
    const second = await ask(fake, status2!.text);
    expect(first).toContain(factsOf("order_status"));
    expect(second).toContain(factsOf("order_status"));
    expect(second).not.toBe(first);
  });

  it("recognises a known question whatever its case and spacing", async () => {
    expect(await ask(fake, `  ${status1!.text.toUpperCase().replace(" ", "   ")} `)).toContain(factsOf("order_status"));
  });

  it("answers questions of different intents with different facts", async () => {
    const answer = await ask(fake, declined.text);
    expect(factsOf("card_declined")).not.toBe(factsOf("order_status"));
    expect(answer).toContain(factsOf("card_declined"));
    expect(answer).not.toContain(factsOf("order_status"));
  });

  it("keeps the echo for a question the data does not hold", async () => {
    expect(await ask(fake, "Do you sell gluten-free bread?")).toBe("Simulated reply from the fake Anthropic API: Do you sell gluten-free bread?");
  });

  it("lets a script and then an oracle answer first", async () => {
    const put = (path: string, body: unknown) => fetch(`${fake.url}/_fake/${path}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await put("scripts/agent-b", { steps: [{ type: "text", text: "scripted" }] })).status).toBe(204);
    expect((await put("oracle/agent-b", { answers: { [status1!.text]: "from the oracle" } })).status).toBe(204);
    expect(await ask(fake, status1!.text, "agent-b")).toBe("scripted");
    expect(await ask(fake, status1!.text, "agent-b")).toBe("from the oracle");
    expect(await ask(fake, status2!.text, "agent-b")).toContain(factsOf("order_status"));
  });
});

describe("the fake model without the banking77 data", () => {
  it("says so once and echoes every question", async () => {
    const empty = mkdtempSync(join(tmpdir(), "no-banking77-"));
    const warnings: string[] = [];
    const fake = await startFakeAnthropic({ port: 0, knownQuestions: empty, warn: (line) => warnings.push(line) });
    try {
      expect(await ask(fake, status1!.text)).toBe(`Simulated reply from the fake Anthropic API: ${status1!.text}`);
      await ask(fake, status2!.text);
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
      expect(await ask(fake, status1!.text)).toBe(`Simulated reply from the fake Anthropic API: ${status1!.text}`);
      expect(warnings).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
