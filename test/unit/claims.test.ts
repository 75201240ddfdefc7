import { describe, expect, it } from "vitest";
import { type ClaimPolicy, type ClaimRow, completeClaim, decideClaim, DEFAULT_CLAIM_POLICY, ownsClaim } from "../../src/core/claims";

const POLICY: ClaimPolicy = { rememberMs: 60_000, leaseMs: 5_000 };
const T0 = 1_700_000_000_000;

/** The row a first claim at `at` stores. */
function claimAt(deliveryId: string, at: number, policy = POLICY): ClaimRow {
  const decision = decideClaim(deliveryId, undefined, at, policy);
  if (decision.kind !== "claimed") throw new Error(`expected a claim, got ${decision.kind}`);
  return decision.row;
}

describe("decideClaim", () => {
  it("claims a delivery id seen for the first time, as pending for one lease", () => {
    expect(decideClaim("msg-1", undefined, T0, POLICY)).toEqual({
      kind: "claimed",
      row: { deliveryId: "msg-1", state: "pending", response: null, claimedAt: T0, expiresAt: T0 + 5_000 },
    });
  });

  it("answers a repeat of a finished delivery with the stored response", () => {
    const done = completeClaim(claimAt("msg-1", T0), '{"text":"We open at nine."}', T0 + 1_000, POLICY);
    expect(decideClaim("msg-1", done, T0 + 30_000, POLICY)).toEqual({ kind: "duplicate", response: '{"text":"We open at nine."}' });
  });

  it("answers a repeat of a finished delivery long after its lease would have ended", () => {
    const done = completeClaim(claimAt("msg-1", T0), "ok", T0 + 1_000, POLICY);
    expect(decideClaim("msg-1", done, T0 + 1_000 + 59_999, POLICY)).toEqual({ kind: "duplicate", response: "ok" });
  });

  it("tells a repeat that arrives while the first attempt runs to retry when the lease ends", () => {
    const pending = claimAt("msg-1", T0);
    expect(decideClaim("msg-1", pending, T0 + 2_000, POLICY)).toEqual({ kind: "in_flight", retryAfterMs: 3_000 });
    expect(decideClaim("msg-1", pending, T0, POLICY)).toEqual({ kind: "in_flight", retryAfterMs: 5_000 });
    expect(decideClaim("msg-1", pending, T0 + 4_999, POLICY)).toEqual({ kind: "in_flight", retryAfterMs: 1 });
  });

  it("lets a retry take over a pending claim once its lease has run out (a crashed attempt)", () => {
    const stale = claimAt("msg-1", T0);
    expect(decideClaim("msg-1", stale, T0 + 5_000, POLICY)).toEqual({
      kind: "claimed",
      row: { deliveryId: "msg-1", state: "pending", response: null, claimedAt: T0 + 5_000, expiresAt: T0 + 10_000 },
    });
    expect(decideClaim("msg-1", stale, T0 + 60_000, POLICY).kind).toBe("claimed");
  });

  it("claims a finished delivery again once it is no longer remembered", () => {
    const done = completeClaim(claimAt("msg-1", T0), "ok", T0 + 1_000, POLICY);
    const decision = decideClaim("msg-1", done, T0 + 1_000 + 60_000, POLICY);
    expect(decision).toEqual({
      kind: "claimed",
      row: { deliveryId: "msg-1", state: "pending", response: null, claimedAt: T0 + 61_000, expiresAt: T0 + 66_000 },
    });
  });

  it("claims again when a done row has no stored response", () => {
    const broken: ClaimRow = { deliveryId: "msg-1", state: "done", response: null, claimedAt: T0, expiresAt: T0 + 60_000 };
    expect(decideClaim("msg-1", broken, T0 + 1, POLICY).kind).toBe("claimed");
  });

  it("answers an empty stored response as a duplicate, not as missing", () => {
    const done = completeClaim(claimAt("msg-1", T0), "", T0, POLICY);
    expect(decideClaim("msg-1", done, T0 + 1, POLICY)).toEqual({ kind: "duplicate", response: "" });
  });

  it("uses the default policy's ten-minute lease, longer than a whole tool loop", () => {
    const row = claimAt("msg-1", T0, DEFAULT_CLAIM_POLICY);
    expect(row.expiresAt - row.claimedAt).toBe(600_000);
    expect(decideClaim("msg-1", row, T0 + 599_999, DEFAULT_CLAIM_POLICY).kind).toBe("in_flight");
    expect(decideClaim("msg-1", row, T0 + 600_000, DEFAULT_CLAIM_POLICY).kind).toBe("claimed");
  });

  it("refuses an id already used for a different message instead of replaying that message's answer", () => {
    const claimed = decideClaim("1", undefined, T0, DEFAULT_CLAIM_POLICY, { fingerprint: "conv-a:hello", owner: "x" });
    if (claimed.kind !== "claimed") throw new Error("expected a claim");
    const done = completeClaim(claimed.row, '{"text":"for A"}', T0 + 10, DEFAULT_CLAIM_POLICY);
    expect(decideClaim("1", done, T0 + 20, DEFAULT_CLAIM_POLICY, { fingerprint: "conv-b:hi" })).toEqual({ kind: "conflict" });
    expect(decideClaim("1", done, T0 + 20, DEFAULT_CLAIM_POLICY, { fingerprint: "conv-a:hello" }).kind).toBe("duplicate");
  });

  it("lets only the attempt holding a pending claim complete or release it", () => {
    const first = decideClaim("m", undefined, T0, DEFAULT_CLAIM_POLICY, { owner: "first" });
    if (first.kind !== "claimed") throw new Error("expected a claim");
    // The lease ran out and a retry took the claim over.
    const second = decideClaim("m", first.row, T0 + 600_000, DEFAULT_CLAIM_POLICY, { owner: "second" });
    if (second.kind !== "claimed") throw new Error("expected a takeover");
    expect(ownsClaim(second.row, "first")).toBe(false);
    expect(ownsClaim(second.row, "second")).toBe(true);
    expect(ownsClaim(completeClaim(second.row, "{}", T0 + 600_001, DEFAULT_CLAIM_POLICY), "second")).toBe(false);
  });
});

describe("completeClaim", () => {
  it("marks the row done with the response, remembered for rememberMs from completion", () => {
    const row = claimAt("msg-1", T0);
    expect(completeClaim(row, "answer", T0 + 4_000, POLICY)).toEqual({
      deliveryId: "msg-1",
      state: "done",
      response: "answer",
      claimedAt: T0,
      expiresAt: T0 + 4_000 + 60_000,
    });
  });

  it("extends expiry from the completion time, not the claim time", () => {
    const row = claimAt("msg-1", T0);
    const late = completeClaim(row, "answer", T0 + 50_000, POLICY);
    expect(late.expiresAt).toBe(T0 + 110_000);
  });

  it("remembers a finished delivery for a day under the default policy", () => {
    const done = completeClaim(claimAt("msg-1", T0, DEFAULT_CLAIM_POLICY), "ok", T0, DEFAULT_CLAIM_POLICY);
    expect(done.expiresAt).toBe(T0 + 24 * 3600_000);
    expect(decideClaim("msg-1", done, T0 + 24 * 3600_000 - 1, DEFAULT_CLAIM_POLICY).kind).toBe("duplicate");
    expect(decideClaim("msg-1", done, T0 + 24 * 3600_000, DEFAULT_CLAIM_POLICY).kind).toBe("claimed");
  });

  it("leaves the pending row unchanged", () => {
    const row = claimAt("msg-1", T0);
    const copy = { ...row };
    completeClaim(row, "answer", T0 + 1, POLICY);
    expect(row).toEqual(copy);
  });
});
