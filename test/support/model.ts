import { inject } from "vitest";
import type { FakeStep, RecordedRequest } from "../../src/dev/fake-anthropic-types";

const base = () => inject("fakeAnthropicUrl");

/** Queues the fake model's next answers for one agent (scripts are keyed by agent id). */
export async function scriptModel(agentId: string, steps: FakeStep[]): Promise<void> {
  const res = await fetch(`${base()}/_fake/scripts/${encodeURIComponent(agentId)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ steps }),
  });
  if (res.status !== 204) throw new Error(`scripting the fake model failed: ${res.status} ${await res.text()}`);
}

/** Every request the fake model received for an agent, oldest first. */
export async function modelRequests(agentId: string): Promise<RecordedRequest[]> {
  const res = await fetch(`${base()}/_fake/requests/${encodeURIComponent(agentId)}`);
  return ((await res.json()) as { requests: RecordedRequest[] }).requests;
}

/**
 * Tells the fake model the facts it answers questions with, worded differently each time as a
 * real model would (`replace` forgets earlier ones, `merge` adds to them).
 */
export async function setOracle(agentId: string, facts: Record<string, string>, mode: "replace" | "merge" = "replace"): Promise<void> {
  const res = await fetch(`${base()}/_fake/oracle/${encodeURIComponent(agentId)}`, {
    method: mode === "replace" ? "PUT" : "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ facts }),
  });
  if (res.status !== 204) throw new Error(`setting the fake model's oracle failed: ${res.status} ${await res.text()}`);
}
