import { exports } from "cloudflare:workers";
import { signHttpRequest } from "../../src/channels/http/signature";

export const ADMIN_TOKEN = "test-admin-token";

let counter = 0;
/** A fresh agent id per test, so tests never share state. */
export function uniqueAgentId(prefix = "agent"): string {
  counter += 1;
  return `${prefix}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

export function admin(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("authorization", `Bearer ${init.token ?? ADMIN_TOKEN}`);
  if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  return exports.default.fetch(`https://foreman.test${path}`, { ...init, headers });
}

/** Creates (or replaces) an agent through the admin API; throws unless it succeeds. */
export async function putAgent(agentId: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await admin(`/v1/agents/${agentId}`, { method: "PUT", body: JSON.stringify(body) });
  if (res.status !== 200 && res.status !== 201) throw new Error(`PUT agent failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

export const HTTP_SECRET = "test-http-secret";

/** An agent with an HTTP secret and the given config. */
export async function createAgent(config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<string> {
  const agentId = uniqueAgentId();
  await putAgent(agentId, { config, secrets: { http: HTTP_SECRET }, ...extra });
  return agentId;
}

export interface SendOptions {
  secret?: string;
  timestamp?: number;
  /** Replaces the body after signing (tamper tests). */
  sendBody?: string;
  headers?: Record<string, string | null>;
}

/** Signs and posts a message to the HTTP channel, as an app would. */
export async function sendHttp(agentId: string, message: unknown, opts: SendOptions = {}): Promise<Response> {
  const body = typeof message === "string" ? message : JSON.stringify(message);
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-foreman-timestamp": String(ts),
    "x-foreman-signature": await signHttpRequest(opts.secret ?? HTTP_SECRET, ts, body),
  };
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    if (v === null) delete headers[k];
    else headers[k] = v;
  }
  return exports.default.fetch(`https://foreman.test/webhooks/${agentId}/http`, {
    method: "POST",
    headers,
    body: opts.sendBody ?? body,
  });
}

export interface HttpReply {
  id: string;
  text: string;
  tier: string;
  costUsd: number;
  trustLevel: number;
}
