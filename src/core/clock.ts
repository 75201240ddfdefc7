/** The one source of time, injectable so windows, TTLs and replay checks are testable. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock tests can move by hand.
 *
 * @example
 * const clock = fixedClock(Date.UTC(2026, 0, 1));
 * clock.advance(5 * 60_000);
 */
export function fixedClock(start: number): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}
