/** Money is integer micro-dollars (1 USD = 1_000_000), never floats. */
export type Micros = number;

export const MICROS_PER_USD = 1_000_000;

/** USD (as written in config) to micro-dollars, rounded to the nearest micro-dollar. */
export function usdToMicros(usd: number): Micros {
  return Math.round(usd * MICROS_PER_USD);
}

/** Micro-dollars to USD for display in replies and JSON. */
export function microsToUsd(micros: Micros): number {
  return micros / MICROS_PER_USD;
}
