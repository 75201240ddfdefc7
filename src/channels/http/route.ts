import { Hono } from "hono";
import { microsToUsd } from "../../core/money";
import { parseBody, parseJson, readBodyLimited } from "../../http/body";
import type { AppEnv } from "../../http/context";
import { processMessage } from "../../pipeline/process";
import { httpMessageSchema, MAX_HTTP_BODY_BYTES, normalizeHttpMessage } from "./parse";
import { verifiedAgent } from "../webhook";
import { verifyHttpRequest } from "./signature";

/**
 * `POST /webhooks/:agentId/http`: the generic channel. The body is verified against the
 * agent's `secrets.http` before it is parsed, and the answer comes back in the response.
 */
export const httpChannelRoutes = new Hono<AppEnv>().post("/webhooks/:agentId/http", async (c) => {
  const rawBody = await readBodyLimited(c.req.raw, MAX_HTTP_BODY_BYTES);
  const now = c.var.clock.now();
  const { agentId, agent } = await verifiedAgent(c, {
    channel: "http",
    secret: { name: "http" },
    verify: (secret) =>
      verifyHttpRequest({
        secret,
        timestamp: c.req.header("x-foreman-timestamp"),
        signature: c.req.header("x-foreman-signature"),
        rawBody,
        nowSeconds: Math.floor(now / 1000),
      }),
    messages: SIGNATURE_MESSAGES,
  });

  const body = parseBody(httpMessageSchema, parseJson(rawBody));
  const message = normalizeHttpMessage(agentId, body, now, agent.record.config.messageHandling.normalizeInput);
  const answer = await processMessage(c.var.services.pipeline(), message, agent);
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
