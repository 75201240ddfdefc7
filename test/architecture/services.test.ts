import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { signHttpRequest } from "../../src/channels/http/signature";
import { systemClock } from "../../src/core/clock";
import { jsonLogger } from "../../src/core/logger";
import { createServices } from "../../src/pipeline/services";
import { createAgent, HTTP_SECRET } from "../support/agents";
import { scriptModel } from "../support/model";

/** The worker's bindings without some of them, as a deployment that did not bind them. */
function without(...names: Array<keyof Env>): Env {
  return new Proxy(env, { get: (target, prop) => (names.includes(prop as keyof Env) ? undefined : Reflect.get(target, prop)) }) as Env;
}

describe("the service factory", () => {
  it("builds every tier once per request from the bindings", () => {
    const lines: string[] = [];
    const services = createServices(env, { clock: systemClock, logger: jsonLogger({}, { log: (l) => lines.push(l), warn: (l) => lines.push(l), error: (l) => lines.push(l) }), defer: () => {} });
    expect(services.pipeline()).toBe(services.pipeline());
    expect(Object.keys(services.pipeline().tiers).sort()).toEqual(["exact", "intelligent", "pattern", "rule", "similar"]);
    expect(lines).toEqual([]);
  });

  it("turns the similarity cache off, and drops learning records with a log line, when their bindings are absent; messages are still answered", async () => {
    const lines: string[] = [];
    const sink = { log: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
    const bare = without("VECTORS", "LEARNING_QUEUE");
    const services = createServices(bare, { clock: systemClock, logger: jsonLogger({}, sink), defer: () => {} });
    expect(services.pipeline().tiers.similar).toBeUndefined();
    expect(lines.some((l) => l.includes('"event":"similarity_cache_off"'))).toBe(true);

    const agentId = await createAgent({ optimization: { cacheRules: [{ similarity: 0.95, ttl: 600 }] } });
    await scriptModel(agentId, [{ type: "text", text: "We open at nine." }]);
    const body = JSON.stringify({ id: "b1", conversation: "c1", from: "u", text: "When do you open?" });
    const ts = Math.floor(Date.now() / 1000);
    const ctx = createExecutionContext();
    const res = await createApp({ logger: jsonLogger({}, sink) }).fetch(
      new Request(`https://foreman.test/webhooks/${agentId}/http`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-foreman-timestamp": String(ts), "x-foreman-signature": await signHttpRequest(HTTP_SECRET, ts, body) },
        body,
      }),
      bare,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { tier: string }).tier).toBe("intelligent");
    expect(lines.some((l) => l.includes('"event":"queue_binding_absent"') && l.includes("LEARNING_QUEUE"))).toBe(true);
  });
});
