import { describe, expect, it } from "vitest";
import { checkRate, rollWindow, slidingCount, type RateWindow } from "../../src/core/rate";

const limit = { messages: 10, windowMs: 60_000 };

/** Takes one message when it fits, as the agent's object does. */
function take(window: RateWindow | undefined, now: number): { window: RateWindow; ok: boolean; retryAfterMs: number | null } {
  const checked = checkRate(window, limit, now);
  if (checked.retryAfterMs !== null) return { window: checked.window, ok: false, retryAfterMs: checked.retryAfterMs };
  return { window: { ...checked.window, count: checked.window.count + 1 }, ok: true, retryAfterMs: null };
}

describe("sliding-window rate limits", () => {
  it("lets `messages` through in a window and refuses the next", () => {
    let w: RateWindow | undefined;
    for (let i = 0; i < 10; i++) {
      const r = take(w, 1_000 + i);
      expect(r.ok).toBe(true);
      w = r.window;
    }
    const refused = take(w, 2_000);
    expect(refused.ok).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
  });

  it("weighs the previous window by its overlap: a full minute blocks the start of the next", () => {
    const full: RateWindow = { start: 0, count: 10, previous: 0, noticed: true };
    const next = rollWindow(full, 60_000, 60_000);
    expect(next).toEqual({ start: 60_000, count: 0, previous: 10, noticed: false });
    expect(slidingCount(next, 60_000, 60_000)).toBe(10);
    expect(take(full, 60_001).ok).toBe(false);
    // Halfway through, half the previous count is left: five more fit.
    let w: RateWindow = next;
    let taken = 0;
    for (let i = 0; i < 20; i++) {
      const r = take(w, 90_000);
      if (!r.ok) break;
      w = r.window;
      taken += 1;
    }
    expect(taken).toBe(5);
  });

  it("forgets a window more than one length old", () => {
    expect(rollWindow({ start: 0, count: 10, previous: 3, noticed: true }, 125_000, 60_000)).toEqual({ start: 120_000, count: 0, previous: 0, noticed: false });
  });

  it("says when the next message fits, and it does fit then", () => {
    let w: RateWindow | undefined;
    let now = 5_000;
    for (let i = 0; i < 10; i++) w = take(w, now).window;
    for (let round = 0; round < 5; round++) {
      const refused = take(w, now);
      expect(refused.ok).toBe(false);
      now += refused.retryAfterMs!;
      const later = take(refused.window, now);
      expect(later.ok).toBe(true);
      w = later.window;
    }
  });

  it("never lets more than `messages` through in any window of its length, whatever the timing", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    let w: RateWindow | undefined;
    const accepted: number[] = [];
    let now = 0;
    for (let i = 0; i < 5_000; i++) {
      now += Math.floor(rand() * 3_000);
      const r = take(w, now);
      w = r.window;
      if (r.ok) accepted.push(now);
    }
    // The approximation allows at most the limit in each fixed window and its weighted overlap;
    // any sliding window of the length holds at most twice the limit, and in practice about it.
    let worst = 0;
    for (let i = 0, j = 0; i < accepted.length; i++) {
      while (accepted[i]! - accepted[j]! >= limit.windowMs) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(2 * limit.messages);
    for (let start = 0; start < now; start += limit.windowMs) {
      expect(accepted.filter((t) => t >= start && t < start + limit.windowMs).length).toBeLessThanOrEqual(limit.messages);
    }
  });
});
