import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { signHttpRequest } from "../../src/channels/http/signature";
import { fixedClock } from "../../src/core/clock";

/** Where test requests go: the deployed entry point, or an app with a clock the test moves. */
export interface Target {
  fetch(request: Request): Promise<Response>;
  now(): number;
}

export const worker: Target = { fetch: (request) => exports.default.fetch(request), now: () => Date.now() };

/**
 * The real app and bindings, answering only once the request's background work (waitUntil:
 * cache writes, queue sends) has settled, so a test can rely on its effects.
 */
export const settled: Target = (() => {
  const app = createApp();
  return {
    async fetch(request: Request) {
      const ctx = createExecutionContext();
      const response = await app.fetch(request, env, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
    now: () => Date.now(),
  };
})();

/**
 * The real app and bindings with a hand-moved clock, for behaviour over time (cooldowns,
 * evaluation periods, replay windows).
 */
export function clockedApp(start = Date.now()) {
  const clock = fixedClock(start);
  const app = createApp({ clock });
  const target: Target = {
    async fetch(request) {
      const ctx = createExecutionContext();
      const response = await app.fetch(request, env, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
    now: () => clock.now(),
  };
  return { clock, target };
}

export const ADMIN_TOKEN = "test-admin-token";

let counter = 0;
/** A fresh agent id per test, so tests never share state. */
export function uniqueAgentId(prefix = "agent"): string {
  counter += 1;
  return `${prefix}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

export function admin(path: string, init: RequestInit & { token?: string | null; target?: Target } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("authorization", `Bearer ${init.token ?? ADMIN_TOKEN}`);
  if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  const { token: _token, target = worker, ...rest } = init;
  return target.fetch(new Request(`https://foreman.test${path}`, { ...rest, headers }));
}

/** Creates (or replaces) an agent through the admin API; throws unless it succeeds. */
export async function putAgent(agentId: string, body: Record<string, unknown>, target: Target = worker): Promise<Record<string, unknown>> {
  const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify(body), target });
  if (res.status !== 200 && res.status !== 201) throw new Error(`PUT agent failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

export const HTTP_SECRET = "test-http-secret";

/** An agent with an HTTP secret and the given config. */
export async function createAgent(
  config: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
  target: Target = worker,
): Promise<string> {
  const agentId = uniqueAgentId();
  await putAgent(agentId, { config, secrets: { http: HTTP_SECRET }, ...extra }, target);
  return agentId;
}

export interface SendOptions {
  secret?: string;
  timestamp?: number;
  /** Replaces the body after signing (tamper tests). */
  sendBody?: string;
  headers?: Record<string, string | null>;
  target?: Target;
}

/** Signs and posts a message to the HTTP channel, as an app would. */
export async function sendHttp(agentId: string, message: unknown, opts: SendOptions = {}): Promise<Response> {
  const body = typeof message === "string" ? message : JSON.stringify(message);
  const target = opts.target ?? worker;
  const ts = opts.timestamp ?? Math.floor(target.now() / 1000);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-foreman-timestamp": String(ts),
    "x-foreman-signature": await signHttpRequest(opts.secret ?? HTTP_SECRET, ts, body),
  };
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    if (v === null) delete headers[k];
    else headers[k] = v;
  }
  return target.fetch(
    new Request(`https://foreman.test/webhooks/${agentId}/http`, { method: "POST", headers, body: opts.sendBody ?? body }),
  );
}

export interface HttpReply {
  id: string;
  text: string;
  tier: string;
  costUsd: number;
  trustLevel: number;
}
