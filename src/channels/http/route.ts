import { Hono } from "hono";
import { AppError } from "../../core/errors";
import { microsToUsd } from "../../core/money";
import { parseBody, parseJson, readBodyLimited } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { processMessage } from "../../pipeline/process";
import { buildPipeline } from "../../pipeline/services";
import { httpMessageSchema, MAX_HTTP_BODY_BYTES, normalizeHttpMessage } from "./parse";
import { verifyHttpRequest } from "./signature";

/**
 * `POST /webhooks/:agentId/http`: the generic channel. The body is verified against the
 * agent's `secrets.http` before it is parsed, and the answer comes back in the response.
 */
export const httpChannelRoutes = new Hono<AppEnv>().post("/webhooks/:agentId/http", async (c) => {
  const agentId = c.req.param("agentId");
  const rawBody = await readBodyLimited(c.req.raw, MAX_HTTP_BODY_BYTES);
  const stub = c.env.AGENT_STATE.get(c.env.AGENT_STATE.idFromName(agentId));
  const snapshot = await stub.snapshot();
  if (!snapshot) throw new AppError("not_found", `unknown agent "${agentId}"`);
  const secret = snapshot.secrets.http;
  if (typeof secret !== "string") throw new AppError("unauthorized", "this agent has no HTTP channel secret (secrets.http)");

  const now = c.var.clock.now();
  const verified = await verifyHttpRequest({
    secret,
    timestamp: c.req.header("x-foreman-timestamp"),
    signature: c.req.header("x-foreman-signature"),
    rawBody,
    nowSeconds: Math.floor(now / 1000),
  });
  if (!verified.ok) {
    console.warn(JSON.stringify({ event: "http_signature_rejected", agentId, reason: verified.reason, requestId: c.var.requestId }));
    c.executionCtx.waitUntil(stub.recordRejected({ channel: "http", reason: verified.reason, requestId: c.var.requestId, now }));
    throw new AppError("unauthorized", SIGNATURE_MESSAGES[verified.reason]);
  }

  const body = parseBody(httpMessageSchema, parseJson(rawBody));
  const message = normalizeHttpMessage(agentId, body, now);
  const answer = await processMessage(buildPipeline(c.env, c.var.clock, (p) => c.executionCtx.waitUntil(p)), message, snapshot);
  return c.json({
    id: answer.interactionId,
    text: answer.text,
    tier: answer.tier,
    costUsd: microsToUsd(answer.costMicros),
    trustLevel: answer.trustLevel,
  });
});

const SIGNATURE_MESSAGES = {
  missing_signature: "X-Foreman-Timestamp and X-Foreman-Signature headers are required",
  malformed_timestamp: "X-Foreman-Timestamp must be Unix seconds",
  stale_timestamp: "X-Foreman-Timestamp is more than 5 minutes from now",
  bad_signature: "signature does not match",
} as const;
