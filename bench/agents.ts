/**
 * Agents the benchmarks create on a running Foreman (`npm run dev`). A benchmark is one client
 * sending far faster than any customer, so its agents lift `messageHandling.rateLimits`
 * (the load benchmark measures the limits on an agent of its own).
 */
import { SEED_EXAMPLE_CONFIG } from "../src/config/seed-example.ts";
import { LOCAL_DEFAULTS, readDevVars, setting } from "../src/dev/local-env.ts";

export const UNLIMITED = {
  rateLimits: { perSender: { messages: 1_000_000, window: "1m" }, perAgent: { messages: 1_000_000, window: "1m" } },
} as const;

/**
 * Creates (or replaces) `agentId` with `config` (the seed's example by default) and the rate
 * limits lifted, and a fresh HTTP secret; returns the secret.
 */
export async function benchAgent(agentId: string, config: Record<string, unknown> = { ...SEED_EXAMPLE_CONFIG }, systemPrompt?: string): Promise<string> {
  const devVars = readDevVars();
  const url = setting("FOREMAN_URL", LOCAL_DEFAULTS.url, devVars);
  const adminToken = setting("ADMIN_TOKEN", LOCAL_DEFAULTS.adminToken, devVars);
  const secret = crypto.randomUUID();
  const messageHandling = { ...((config.messageHandling as Record<string, unknown> | undefined) ?? {}), ...UNLIMITED };
  const res = await fetch(`${url}/v1/agents/${agentId}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ config: { ...config, messageHandling }, ...(systemPrompt ? { systemPrompt } : {}), secrets: { http: secret } }),
  }).catch((err: unknown) => {
    throw new Error(`Foreman is not reachable at ${url} (is \`npm run dev\` running?): ${String(err)}`);
  });
  if (!res.ok) throw new Error(`creating the benchmark agent ${agentId} failed: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return secret;
}
