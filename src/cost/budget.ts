/**
 * Budget arithmetic, in integer micro-dollars. Pure; the AgentState object holds the counters
 * and calls these under its single-threaded lock, so no two requests can both spend the last
 * dollar.
 *
 * - `daily` caps spent + reserved per calendar day (UTC, or the config's time zone).
 * - Before a model call its worst case is reserved; after it, the reservation is settled to the
 *   real cost. A reservation not settled within RESERVATION_TTL_MS is released (the call died).
 * - `perRequest` caps the whole tool loop of one answer.
 */
import type { Micros } from "../core/money";
import type { ModelPrice } from "./prices";

/** Longer than any model call with its retries; an unsettled reservation is released after it. */
export const RESERVATION_TTL_MS = 10 * 60_000;

/** A call that may not produce at least this many tokens is not worth making. */
export const MIN_OUTPUT_TOKENS = 64;

/**
 * The budget day of a moment: `YYYY-MM-DD` in the time zone (UTC when unset).
 *
 * @example
 * budgetDay(Date.UTC(2026, 10, 25, 23, 30), "Europe/Berlin"); // "2026-11-26"
 */
export function budgetDay(now: number, timeZone?: string): string {
  if (!timeZone) return new Date(now).toISOString().slice(0, 10);
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/**
 * An upper bound on a call's cost: every input token at the dearer of the input and cache-write
 * rates (the prefix may be written to the cache), and every allowed output token.
 */
export function worstCaseMicros(inputTokens: number, maxTokens: number, price: ModelPrice): Micros {
  const inputRate = Math.max(price.input, price.cacheWrite5m, price.cacheWrite1h);
  return Math.ceil(inputTokens * inputRate + maxTokens * price.output);
}

/**
 * The largest `max_tokens` whose worst case fits in `allowance`, at most `maxTokens`; 0 when
 * not even MIN_OUTPUT_TOKENS (or `maxTokens`, when smaller) fit.
 */
export function fitMaxTokens(allowance: Micros, inputTokens: number, maxTokens: number, price: ModelPrice): number {
  if (worstCaseMicros(inputTokens, maxTokens, price) <= allowance) return maxTokens;
  const inputCost = worstCaseMicros(inputTokens, 0, price);
  const fit = price.output > 0 ? Math.floor((allowance - inputCost) / price.output) : maxTokens;
  return fit >= Math.min(MIN_OUTPUT_TOKENS, maxTokens) ? Math.min(fit, maxTokens) : 0;
}

/**
 * An upper bound on a request's input tokens from its JSON body: a token covers at least one
 * UTF-8 byte, plus room for the API's own tool-use preamble.
 */
export function inputTokenBound(requestJson: string): number {
  return new TextEncoder().encode(requestJson).byteLength + 1_000;
}

export type ReserveDecision = { ok: true } | { ok: false; remaining: Micros };

/** Whether a reservation fits under the daily cap. */
export function decideReserve(dailyMicros: Micros, spent: Micros, reserved: Micros, amount: Micros): ReserveDecision {
  const remaining = Math.max(0, dailyMicros - spent - reserved);
  return amount <= remaining ? { ok: true } : { ok: false, remaining };
}

/** Whether settling moved spending across the alert threshold (fires once per crossing). */
export function crossesThreshold(dailyMicros: Micros, before: Micros, after: Micros, threshold: number): boolean {
  if (dailyMicros <= 0) return false;
  const line = dailyMicros * threshold;
  return before < line && after >= line;
}
