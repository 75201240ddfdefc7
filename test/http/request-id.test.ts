import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { jsonLogger } from "../../src/core/logger";
import { clientRequestId } from "../../src/http/request-id";
import { createAgent, sendHttp, settled } from "../support/agents";
import { flushedSql } from "../support/audit";

const message = { id: "rid-1", conversation: "c", from: "u", text: "hi" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("request ids", () => {
  it("never takes a caller's X-Request-Id as the request id, in the response, the error body or the audit trail", async () => {
    const agentId = await createAgent();
    const forged = "req-of-someone-else";
    const res = await sendHttp(agentId, message, { secret: "wrong", headers: { "x-request-id": forged }, target: settled });
    expect(res.status).toBe(401);
    const ours = res.headers.get("x-request-id");
    expect(ours).toMatch(UUID);
    expect(((await res.json()) as { error: { requestId: string } }).error.requestId).toBe(ours);

    const [row] = await flushedSql<{ request_id: string; details: string }>(agentId, "SELECT request_id, details FROM audit_events WHERE agent_id = ? AND action = 'webhook.rejected'");
    expect(row!.request_id).toBe(ours);
    expect(JSON.parse(row!.details)).toMatchObject({ clientRequestId: forged });
  });

  it("drops a caller's id that is too long or has other characters", async () => {
    const agentId = await createAgent();
    for (const sent of ["x".repeat(65), "a b", "id<script>", "a%2Fb"]) {
      const res = await sendHttp(agentId, message, { secret: "wrong", headers: { "x-request-id": sent }, target: settled });
      expect(res.headers.get("x-request-id")).toMatch(UUID);
    }
    const rows = await flushedSql<{ details: string }>(agentId, "SELECT details FROM audit_events WHERE agent_id = ? AND action = 'webhook.rejected'", [], 4);
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(JSON.parse(row.details)).not.toHaveProperty("clientRequestId");
  });

  it("gives each request its own id even when callers send the same one", async () => {
    const agentId = await createAgent();
    const ids = new Set<string | null>();
    for (let i = 0; i < 3; i++) ids.add((await sendHttp(agentId, message, { secret: "wrong", headers: { "x-request-id": "same" } })).headers.get("x-request-id"));
    expect(ids.size).toBe(3);
  });

  it("logs the caller's id as clientRequestId beside our requestId", async () => {
    const lines: string[] = [];
    const sink = { log: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
    const app = createApp({ logger: jsonLogger({}, sink) });
    const agentId = await createAgent();
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`https://foreman.test/webhooks/${agentId}/http`, { method: "POST", headers: { "x-request-id": "client-7" }, body: "{}" }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === "webhook_refused");
    expect(refused).toMatchObject({ requestId: res.headers.get("x-request-id"), clientRequestId: "client-7", channel: "http", reason: "missing_signature" });
  });

  it("bounds a caller's id to 64 letters, digits, '.', '_', ':' or '-'", () => {
    expect(clientRequestId("abc-123_x.y:z")).toBe("abc-123_x.y:z");
    expect(clientRequestId("a".repeat(64))).toBe("a".repeat(64));
    for (const bad of [undefined, "", "a".repeat(65), "a\nb", "a/b", "a=b"]) expect(clientRequestId(bad)).toBeUndefined();
  });
});
