import type { TestProject } from "vitest/node";
import { type DevServer, startDevServer } from "./dev-server.ts";
import { sendSigned } from "./support.ts";

/** What the traffic of the setup was: the messages the demo agent answered. */
export const MESSAGES = ["Hello!", "When do you open?", "When do you open?", "Do you sell gluten-free bread?", "Thanks, bye"];

declare module "vitest" {
  export interface ProvidedContext {
    devUrl: string;
    devAdminToken: string;
    devAgentId: string;
    devMessages: number;
    devFakeUrl: string;
  }
}

/** Sends a message through the signed HTTP channel, as `npm run send` does. */
async function send(server: DevServer, text: string, i: number): Promise<void> {
  const res = await sendSigned(server.url, server.agentId, server.httpSecret, { id: `browser-${i}-${crypto.randomUUID()}`, conversation: `browser-${i}`, from: "browser-test", text });
  if (!res.ok) throw new Error(`sending "${text}" failed: ${res.status} ${await res.text()}`);
}

/** Waits until the learning queue has stored every answer, so the analytics count them all. */
async function settled(server: DevServer, expected: number): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const res = await fetch(`${server.url}/v1/agents/${server.agentId}/analytics`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    if (res.ok && ((await res.json()) as { requests: number }).requests >= expected) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the analytics did not reach ${expected} messages`);
}

export default async function setup(project: TestProject) {
  const server = await startDevServer();
  try {
    for (const [i, text] of MESSAGES.entries()) await send(server, text, i);
    await settled(server, MESSAGES.length);
  } catch (err) {
    await server.stop();
    throw err;
  }
  project.provide("devUrl", server.url);
  project.provide("devAdminToken", server.adminToken);
  project.provide("devAgentId", server.agentId);
  project.provide("devMessages", MESSAGES.length);
  project.provide("devFakeUrl", server.fakeUrl);
  return () => server.stop();
}
