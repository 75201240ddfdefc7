import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AgentRecord } from "../../src/core/agent";
import type { AuditSink } from "../../src/core/audit";
import { completeClaim, DEFAULT_CLAIM_POLICY, decideClaim } from "../../src/core/claims";
import { ClaimStore } from "../../src/state/claim-store";
import { DeliveryDesk, LINK_TTL_MS, NOTE_TTL_MS } from "../../src/state/delivery-desk";

const DAY = 24 * 3600_000;
const T0 = Date.UTC(2026, 11, 7, 9);

/** A DeliveryDesk over a fresh object's SQLite storage, with an auditor that records what it is given. */
async function withDesk(fn: (desk: DeliveryDesk, claims: ClaimStore, events: string[]) => void): Promise<void> {
  const stub = env.AGENT_STATE.get(env.AGENT_STATE.idFromName(`desk-${crypto.randomUUID()}`));
  await runInDurableObject(stub, (_instance, state) => {
    const events: string[] = [];
    const auditor: AuditSink = { event: (_r, e) => void events.push(e.action), alert: () => {} };
    const claims = new ClaimStore(state.storage.sql);
    fn(new DeliveryDesk(state.storage.sql, claims, auditor), claims, events);
  });
}

const record = { agentId: "a", config: {} } as unknown as AgentRecord;

describe("DeliveryDesk", () => {
  it("links a posted message to its interaction for a week, then forgets it", async () => {
    await withDesk((desk, _claims, events) => {
      expect(desk.openDelivery("m1", T0).kind).toBe("claimed");
      desk.closeDelivery(record, {
        deliveryId: "m1",
        links: [{ key: "slack-msg:C1:1.1", interactionId: "i-1" }],
        now: T0,
        event: { level: "standard", event: { at: T0, actor: "agent", action: "message.delivered", resource: "i-1", decision: "recorded", details: {} } },
      });
      expect(events).toEqual(["message.delivered"]);
      expect(desk.linkedInteraction("slack-msg:C1:1.1", T0 + 6 * DAY)).toBe("i-1");
      expect(desk.linkedInteraction("slack-msg:C1:1.1", T0 + LINK_TTL_MS + 1)).toBeNull();
      desk.pruneLinks(T0 + LINK_TTL_MS + 1);
      expect(desk.linkedInteraction("slack-msg:C1:1.1", T0)).toBeNull();
      // The sending is kept: a redelivered queue message does not send again.
      expect(desk.openDelivery("m1", T0 + 1000).kind).toBe("duplicate");
    });
  });

  it("still reads a link kept as a claim before links had a table", async () => {
    await withDesk((desk, claims) => {
      const claimed = decideClaim("slack-msg:C1:2.2", undefined, T0, DEFAULT_CLAIM_POLICY);
      if (claimed.kind !== "claimed") throw new Error("unreachable");
      claims.put(completeClaim(claimed.row, "i-legacy", T0, DEFAULT_CLAIM_POLICY));
      expect(desk.linkedInteraction("slack-msg:C1:2.2", T0 + DAY / 2)).toBe("i-legacy");
    });
  });

  it("sees a webhook delivery once, lets it through again once forgotten, and keeps STOP until START", async () => {
    await withDesk((desk) => {
      expect(desk.receive("slack-event:Ev1", T0)).toBe(true);
      expect(desk.receive("slack-event:Ev1", T0 + 1)).toBe(false);
      desk.forget("slack-event:Ev1");
      expect(desk.receive("slack-event:Ev1", T0 + 2)).toBe(true);
      expect(desk.smsInbound({ receipt: "sms-receipt:SM1", from: "+1555", keyword: "stop", now: T0 })).toEqual({ fresh: true, optedOut: true });
      expect(desk.smsInbound({ receipt: "sms-receipt:SM1", from: "+1555", keyword: "stop", now: T0 })).toEqual({ fresh: false, optedOut: true });
      expect(desk.smsInbound({ receipt: "sms-receipt:SM2", from: "+1555", keyword: "start", now: T0 })).toEqual({ fresh: true, optedOut: false });
    });
  });

  it("remembers a failed delivery's placeholder for its retries, asks for the holding notice on its first outage only, and forgets both once sent", async () => {
    await withDesk((desk) => {
      const progress = { channel: "C1", ts: "1.1" };
      expect(desk.openDelivery("m2", T0).kind).toBe("claimed");
      // A failure that is not an outage (a Slack error) notes the placeholder but tells no one.
      expect(desk.abandonDelivery({ deliveryId: "m2", progress, outage: false, now: T0 })).toEqual({ hold: false });
      expect(desk.progressOf("m2")).toEqual(progress);
      expect(desk.openDelivery("m2", T0 + 1).kind).toBe("claimed");
      expect(desk.abandonDelivery({ deliveryId: "m2", outage: true, now: T0 + 2 })).toEqual({ hold: true });
      expect(desk.openDelivery("m2", T0 + 3).kind).toBe("claimed");
      expect(desk.abandonDelivery({ deliveryId: "m2", outage: true, now: T0 + 4 })).toEqual({ hold: false });
      // The placeholder outlives attempts that did not post one.
      expect(desk.progressOf("m2")).toEqual(progress);
      expect(desk.openDelivery("m2", T0 + 5).kind).toBe("claimed");
      desk.closeDelivery(record, {
        deliveryId: "m2",
        links: [],
        now: T0 + 6,
        event: { level: "standard", event: { at: T0, actor: "agent", action: "message.delivered", resource: "i-2", decision: "recorded", details: {} } },
      });
      expect(desk.progressOf("m2")).toBeUndefined();
    });
  });

  it("forgets a note left by a delivery that never finished once it expires", async () => {
    await withDesk((desk) => {
      desk.abandonDelivery({ deliveryId: "m3", progress: { channel: "C1", ts: "2.2" }, outage: true, now: T0 });
      desk.pruneLinks(T0 + NOTE_TTL_MS - 1);
      expect(desk.progressOf("m3")).toEqual({ channel: "C1", ts: "2.2" });
      desk.pruneLinks(T0 + NOTE_TTL_MS);
      expect(desk.progressOf("m3")).toBeUndefined();
    });
  });
});
