import { env } from "cloudflare:workers";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { deliverAlert } from "../../src/audit/alert-channel";
import type { Alert } from "../../src/core/types";
import { admin, createAgent } from "../support/agents";
import { deliveredAlerts, flushedSql } from "../support/audit";
import { shardDb } from "../support/shards";

const alert: Alert = {
  id: "a1b2",
  agentId: "bakery",
  at: Date.UTC(2026, 10, 25, 12),
  type: "urgent_message",
  message: "A critical message came in by sms (safety:stolen): a person should look at it.",
  details: { channel: "sms", urgency: "critical" },
};
const noFetch = (() => Promise.reject(new Error("no HTTP expected"))) as typeof fetch;

describe("alert delivery by email", () => {
  it("sends a plain-text, auto-generated message from the agent's email address", async () => {
    const sent: Array<{ from: string; to: string; raw: string }> = [];
    const error = await deliverAlert(alert, { email: "owner@bakery.example" }, {
      fetch: noFetch,
      sendEmail: async (from, to, raw) => void sent.push({ from, to, raw }),
      emailFrom: "support@bakery.example",
    });
    expect(error).toBeNull();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ from: "support@bakery.example", to: "owner@bakery.example" });
    const mail = await PostalMime.parse(sent[0]!.raw);
    expect(mail.subject).toBe("Foreman alert for agent bakery: urgent_message");
    expect(mail.messageId).toBe("<alert-a1b2@bakery.example>");
    expect(mail.headers.find((h) => h.key === "auto-submitted")?.value).toBe("auto-generated");
    expect(mail.text).toContain("safety:stolen");
  });

  it("says why when it cannot send: no sender address, or the binding refused", async () => {
    expect(await deliverAlert(alert, { email: "owner@bakery.example" }, { fetch: noFetch, sendEmail: async () => {} })).toMatch(/smtp\.from/);
    const refused = await deliverAlert(alert, { email: "owner@bakery.example" }, {
      fetch: noFetch,
      sendEmail: async () => {
        throw new Error("destination address not verified");
      },
      emailFrom: "support@bakery.example",
    });
    expect(refused).toBe("email alert failed: destination address not verified");
  });

  it("delivers an agent's alert through the send_email binding and records it", async () => {
    const agentId = await createAgent({
      channels: [{ type: "email", smtp: { from: "support@bakery.example" } }],
      audit: { alertChannel: { email: "owner@bakery.example" } },
    });
    const res = await admin(`/v1/agents/${agentId}/trust`, { method: "POST", body: JSON.stringify({ action: "set", level: 0.5, reason: "test" }) });
    expect(res.status).toBe(200);
    const [row] = (await deliveredAlerts<{ type: string; delivered_at: number | null; delivery_error: string | null }>(agentId)).filter((r) => r.type === "permission_escalation");
    expect(row).toMatchObject({ delivery_error: null });
    expect(row?.delivered_at).toBeGreaterThan(0);
  });
});

describe("GET /v1/agents/:agentId/alerts", () => {
  async function withAlerts(count: number) {
    const agentId = await createAgent({});
    const other = await createAgent({});
    const insert = async (id: string, owner: string, at: number, type: string) =>
      (await shardDb(owner)).prepare("INSERT INTO alerts (id, agent_id, at, type, message, details, delivered_at, delivery_error) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)")
        .bind(id, owner, at, type, `alert ${id}`, JSON.stringify({ n: id }), "no alert channel configured")
        .run();
    const base = Date.now() - 3_600_000;
    for (let i = 0; i < count; i++) await insert(`al-${agentId}-${i}`, agentId, base + Math.floor(i / 2) * 1000, i % 3 === 0 ? "urgent_message" : "budget_threshold");
    await insert(`al-${other}-x`, other, base, "urgent_message");
    return { agentId, other };
  }

  it("lists alerts newest first, every one exactly once across pages, never another agent's", async () => {
    const { agentId } = await withAlerts(7);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await admin(`/v1/agents/${agentId}/alerts?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { alerts: Array<{ id: string; at: string; deliveryError: string | null }>; nextCursor: string | null };
      seen.push(...body.alerts.map((a) => a.id));
      expect(body.alerts.every((a) => a.deliveryError === "no alert channel configured")).toBe(true);
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect(seen.every((id) => id.startsWith(`al-${agentId}-`))).toBe(true);
    expect(seen[0]).toMatch(/-(5|6)$/);
  });

  it("filters by type, and refuses a bad type, limit or cursor with 400 and a bad token with 401", async () => {
    const { agentId } = await withAlerts(6);
    const urgent = (await (await admin(`/v1/agents/${agentId}/alerts?type=urgent_message`)).json()) as { alerts: Array<{ type: string }> };
    expect(urgent.alerts.map((a) => a.type)).toEqual(["urgent_message", "urgent_message"]);
    expect((await admin(`/v1/agents/${agentId}/alerts?type=bogus`)).status).toBe(400);
    expect((await admin(`/v1/agents/${agentId}/alerts?limit=0`)).status).toBe(400);
    expect((await admin(`/v1/agents/${agentId}/alerts?cursor=abc.def`)).status).toBe(400);
    expect((await admin(`/v1/agents/${agentId}/alerts`, { token: "wrong" })).status).toBe(401);
    expect((await admin(`/v1/agents/no-such-agent-${crypto.randomUUID().slice(0, 8)}/alerts`)).status).toBe(404);
  });
});

describe("alert delivery to a Slack webhook", () => {
  const recording = (posts: string[], answer: () => Response = () => new Response("ok")) =>
    ({
      fetch: (async (url: string | URL | Request, init?: RequestInit) => {
        posts.push(`${String(url)} redirect=${init?.redirect ?? "follow"}`);
        return answer();
      }) as typeof fetch,
      sendEmail: async () => {},
    });

  it("posts to the URL kept in the agent's secrets, never following a redirect", async () => {
    const posts: string[] = [];
    const error = await deliverAlert(alert, { slackWebhook: { secret: "alert_webhook" } }, recording(posts), {
      secret: async (name) => (name === "alert_webhook" ? "https://hooks.slack.com/services/T0/B0/x" : undefined),
    });
    expect(error).toBeNull();
    expect(posts).toEqual(["https://hooks.slack.com/services/T0/B0/x redirect=manual"]);
  });

  it("records a redirect as the delivery error instead of following it", async () => {
    const error = await deliverAlert(
      alert,
      { slackWebhook: { secret: "alert_webhook" } },
      recording([], () => new Response(null, { status: 302, headers: { location: "http://169.254.169.254/" } })),
      { secret: async () => "https://hooks.slack.com/services/T0/B0/x" },
    );
    expect(error).toBe("slack webhook answered 302 (a redirect), which is not followed");
  });

  it("says which secret is missing, and refuses a private URL at run time", async () => {
    const posts: string[] = [];
    expect(await deliverAlert(alert, { slackWebhook: { secret: "alert_webhook" } }, recording(posts), { secret: async () => undefined })).toBe(
      'slack webhook: the agent has no secret "alert_webhook"; set it with PUT /v1/agents/:id',
    );
    expect(await deliverAlert(alert, { slackWebhook: "http://169.254.169.254/hook" }, recording(posts))).toMatch(
      /^slack webhook refused: its URL must name a public host: "169\.254\.169\.254"/,
    );
    expect(posts).toEqual([]);
  });
});
