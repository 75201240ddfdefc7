/**
 * Sliding-window rate limits, as pure decisions: a fixed window's count plus the previous
 * window's weighted by how much of it still overlaps the sliding window (the approximation
 * Cloudflare's own rate limiting uses). The agent's object stores the windows.
 */

/** One key's counts: the window that `start` opens, its count, and the previous window's. */
export interface RateWindow {
  start: number;
  count: number;
  previous: number;
  /** Whether the sender was told of the limit in this window already. */
  noticed: boolean;
}

export interface RateLimit {
  messages: number;
  windowMs: number;
}

/** The window as of `now`, and how long until one more message fits (null: it fits now). */
export interface RateCheck {
  window: RateWindow;
  retryAfterMs: number | null;
}

/** The window as of `now`: moved on when `now` has left it (the old count becomes `previous`). */
export function rollWindow(window: RateWindow | undefined, now: number, windowMs: number): RateWindow {
  const start = Math.floor(now / windowMs) * windowMs;
  if (!window) return { start, count: 0, previous: 0, noticed: false };
  if (start === window.start) return window;
  const previous = start - window.start === windowMs ? window.count : 0;
  return { start, count: 0, previous, noticed: false };
}

/** The sliding count at `now`: this window's count and the overlapping share of the previous one. */
export function slidingCount(window: RateWindow, now: number, windowMs: number): number {
  const elapsed = Math.min(1, Math.max(0, (now - window.start) / windowMs));
  return window.previous * (1 - elapsed) + window.count;
}

/**
 * Whether one more message fits under `limit` at `now` (not counted: the caller adds it to
 * `window.count` when every limit allows it).
 *
 * @example
 * checkRate({ start: 0, count: 1, previous: 0, noticed: false }, { messages: 1, windowMs: 60_000 }, 1_000).retryAfterMs; // 119000
 */
export function checkRate(stored: RateWindow | undefined, limit: RateLimit, now: number): RateCheck {
  const window = rollWindow(stored, now, limit.windowMs);
  const fits = slidingCount(window, now, limit.windowMs) + 1 <= limit.messages;
  return { window, retryAfterMs: fits ? null : waitFor(window, limit, now) };
}

/** How long until one more message fits: solved on the sliding count's line, in this window or the next. */
export function waitFor(window: RateWindow, limit: RateLimit, now: number): number {
  const { messages, windowMs } = limit;
  const room = messages - 1;
  let at: number;
  if (window.count <= room && window.previous > 0) {
    // previous · (1 − (t − start)/w) + count ≤ room
    at = window.start + windowMs * (1 - (room - window.count) / window.previous);
  } else {
    // Next window: this count becomes the previous one, and nothing is counted in it yet.
    at = window.start + windowMs + windowMs * Math.max(0, 1 - room / Math.max(1, window.count));
  }
  return Math.max(1_000, Math.ceil(at - now));
}
