import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { hmacSha256Hex } from "../../src/core/crypto";
import type { Logger } from "../../src/core/logger";
import { signHttpRequest } from "../../src/channels/http/signature";
import { twilioSignature } from "../../src/channels/sms/verify";
import type { Target } from "../support/agents";
import { appOver, capturedLogger, envWith } from "../faults/support";

/** Fixed seeds and modest run counts: every failure reproduces, and each file stays within seconds. */
export const RUNS = { seed: 1212, numRuns: 40 } as const;
export const PURE_RUNS = { seed: 1212, numRuns: 300 } as const;

/** Tables that change for reasons other than the request's own effect (the audit trail). */
const AUDIT_TABLES = new Set(["outbox", "audit_chain"]);

/** Rows in each of the agent object's tables, the audit trail aside: what a refused request must not change. */
export async function objectRows(agentId: string): Promise<Record<string, number>> {
  const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
  return runInDurableObject(stub, (_i, state) => {
    const sql = state.storage.sql;
    const names = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((t) => t.name)
      .filter((n) => !n.startsWith("sqlite_") && !n.startsWith("_cf_") && !AUDIT_TABLES.has(n));
    return Object.fromEntries(names.map((n) => [n, sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM "${n}"`).one().n]));
  });
}

/** The real app over the worker's bindings, with the queues and every log line captured. */
export function capturingApp(logger?: Logger) {
  const queued: unknown[] = [];
  const capture = { send: async (m: unknown) => void queued.push(m), sendBatch: async (ms: Array<{ body: unknown }>) => void queued.push(...ms.map((m) => m.body)) };
  const captured = capturedLogger();
  const target = appOver(envWith({ WORK_QUEUE: capture, LEARNING_QUEUE: capture, ALERT_QUEUE: capture }), logger ?? captured.logger);
  return { target, queued, lines: captured.lines };
}

export async function postHttp(target: Target, agentId: string, rawBody: string, secret: string): Promise<Response> {
  const ts = Math.floor(target.now() / 1000);
  return target.fetch(
    new Request(`https://foreman.test/webhooks/${agentId}/http`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-foreman-timestamp": String(ts), "x-foreman-signature": await signHttpRequest(secret, ts, rawBody) },
      body: rawBody,
    }),
  );
}

export async function postSlack(target: Target, agentId: string, rawBody: string, signingSecret: string): Promise<Response> {
  const ts = Math.floor(target.now() / 1000);
  const signature = `v0=${await hmacSha256Hex(signingSecret, `v0:${ts}:${rawBody}`)}`;
  return target.fetch(
    new Request(`https://foreman.test/webhooks/${agentId}/slack`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-slack-request-timestamp": String(ts), "x-slack-signature": signature },
      body: rawBody,
    }),
  );
}

export async function postTwilio(target: Target, agentId: string, params: Array<[string, string]>, authToken: string): Promise<Response> {
  const url = `https://foreman.test/webhooks/${agentId}/sms`;
  const body = new URLSearchParams(params).toString();
  // Signed over the parameters as the receiver will read them back from the form.
  const signature = await twilioSignature(authToken, url, [...new URLSearchParams(body)]);
  return target.fetch(new Request(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body }));
}

/** Short text of every kind: ASCII, any Unicode (lone surrogates included), whitespace, markup. */
export const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", " ", "\t\n", "<@U123>", "&lt;&gt;", "\u0000", "\ud800", "💳 4111 1111 1111 1111", "a".repeat(300)),
);

/** A JSON value, or a value of the wrong type in a field. */
export const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), anyText);

/** An object with some of the given fields (each a plausible value, a wrong type or odd text) and maybe unknown ones. */
export function nearly(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const mixed = Object.fromEntries(Object.entries(fields).map(([k, good]) => [k, fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: anyJson })]));
  return fc
    .tuple(fc.record(mixed, { requiredKeys: [] }), fc.option(fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 2 }), { nil: undefined }))
    .map(([known, extra]) => ({ ...(extra ?? {}), ...known }));
}
