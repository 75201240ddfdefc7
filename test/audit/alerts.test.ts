import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import PostalMime from "postal-mime";
import { describe, expect, it } from "vitest";
import { deliverAlert } from "../../src/audit/alert-channel";
import type { Alert } from "../../src/core/types";
import { admin, createAgent } from "../support/agents";

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
    const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
    let row: { delivered_at: number | null; delivery_error: string | null } | null = null;
    for (let i = 0; i < 40 && !row; i++) {
      await runDurableObjectAlarm(stub);
      row = await env.DB.prepare("SELECT delivered_at, delivery_error FROM alerts WHERE agent_id = ? AND type = 'permission_escalation'")
        .bind(agentId)
        .first();
      if (!row) await new Promise((r) => setTimeout(r, 20));
    }
    expect(row).toMatchObject({ delivery_error: null });
    expect(row?.delivered_at).toBeGreaterThan(0);
  });
});
