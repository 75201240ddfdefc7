import { z } from "zod";
import type { Micros } from "../core/money";

/**
 * Prices in USD per million tokens. Cache writes are priced by the cache lifetime the request
 * asked for (5 minutes or 1 hour); cache reads at their own rate.
 */
export interface ModelPrice {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

function price(input: number, output: number, cacheRead = input * 0.1): ModelPrice {
  return { input, output, cacheWrite5m: input * 1.25, cacheWrite1h: input * 2, cacheRead };
}

/**
 * Defaults from Anthropic's published pricing (see docs/cost.md, "Model prices"). Prices change:
 * override them per deployment with the MODEL_PRICES var rather than editing this table.
 */
export const DEFAULT_PRICES: PriceTable = {
  "claude-opus-5-5": price(4, 20, 0.2),
  "claude-sonnet-5-5": price(2, 10, 0.2),
  "claude-haiku-5-5": price(0.1, 0.5, 0.01),
  "claude-opus-5": price(5, 25),
  "claude-sonnet-5": price(2, 10),
  "claude-opus-4-8": price(5, 25),
  "claude-opus-4-7": price(5, 25),
  "claude-opus-4-6": price(5, 25),
  "claude-opus-4-5": price(5, 25),
  "claude-opus-4-1": price(15, 75),
  "claude-opus-4": price(15, 75),
  "claude-sonnet-4-6": price(3, 15),
  "claude-sonnet-4-5": price(3, 15),
  "claude-sonnet-4": price(3, 15),
  "claude-3-7-sonnet": price(3, 15),
  "claude-haiku-4-5": price(1, 5),
  "claude-3-5-haiku": price(0.8, 4),
  "claude-3-haiku": price(0.25, 1.25),
};

const priceSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheWrite5m: z.number().nonnegative(),
  cacheWrite1h: z.number().nonnegative(),
  cacheRead: z.number().nonnegative(),
});
const overridesSchema = z.record(z.string().min(1), priceSchema);

/**
 * The defaults with the deployment's MODEL_PRICES (JSON) merged over them. A malformed value
 * throws: silently billing at wrong prices is worse than failing loudly.
 *
 * @example
 * loadPriceTable('{"my-model":{"input":1,"output":5,"cacheWrite5m":1.25,"cacheWrite1h":2,"cacheRead":0.1}}');
 */
export function loadPriceTable(overrides: string | undefined): PriceTable {
  if (!overrides || overrides.trim() === "") return DEFAULT_PRICES;
  let json: unknown;
  try {
    json = JSON.parse(overrides);
  } catch (cause) {
    throw new Error("MODEL_PRICES is not valid JSON", { cause });
  }
  const parsed = overridesSchema.safeParse(json);
  if (!parsed.success) throw new Error(`MODEL_PRICES is invalid: ${z.prettifyError(parsed.error)}`);
  return { ...DEFAULT_PRICES, ...parsed.data };
}

export interface PriceLookup {
  price: ModelPrice;
  /** `exact` id, dated or `-latest` alias of a known `family`, or the dearest known `fallback`. */
  match: "exact" | "family" | "fallback";
}

/**
 * The price of a model id. Dated ids (`claude-sonnet-4-5-20250929`) and `-latest` aliases use
 * their family's price; an unknown model is charged, per token kind, the dearest rate in the
 * table, so budgets err on the safe side.
 */
export function priceFor(model: string, table: PriceTable): PriceLookup {
  // Own properties only: a model named "constructor" must not find Object.prototype's.
  if (Object.hasOwn(table, model)) return { price: table[model]!, match: "exact" };
  const family = model.replace(/-(\d{8}|latest)$/, "");
  if (Object.hasOwn(table, family)) return { price: table[family]!, match: "family" };
  const prices = Object.values(table);
  if (prices.length === 0) throw new Error("the price table is empty");
  const dearest = (kind: keyof ModelPrice) => Math.max(...prices.map((p) => p[kind]));
  return {
    price: {
      input: dearest("input"),
      output: dearest("output"),
      cacheWrite5m: dearest("cacheWrite5m"),
      cacheWrite1h: dearest("cacheWrite1h"),
      cacheRead: dearest("cacheRead"),
    },
    match: "fallback",
  };
}

/** Token counts from a Messages API `usage` object; `input` excludes cached tokens. */
export interface TokenUsage {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export const ZERO_USAGE: TokenUsage = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };

/** The subset of the API's usage object we read; every field but the first two may be null. */
export interface ApiUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
}

/**
 * Reads the API's usage. The total of cache writes is authoritative; the 5m/1h breakdown only
 * says which part was written for an hour. Without a breakdown, writes are 5-minute writes,
 * the API's default lifetime.
 */
export function tokenUsage(usage: ApiUsage): TokenUsage {
  const breakdown = usage.cache_creation;
  const total =
    usage.cache_creation_input_tokens ??
    (breakdown?.ephemeral_5m_input_tokens ?? 0) + (breakdown?.ephemeral_1h_input_tokens ?? 0);
  const w1h = Math.min(total, breakdown?.ephemeral_1h_input_tokens ?? 0);
  return {
    input: usage.input_tokens,
    output: usage.output_tokens,
    cacheWrite5m: total - w1h,
    cacheWrite1h: w1h,
    cacheRead: usage.cache_read_input_tokens ?? 0,
  };
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheWrite5m: a.cacheWrite5m + b.cacheWrite5m,
    cacheWrite1h: a.cacheWrite1h + b.cacheWrite1h,
    cacheRead: a.cacheRead + b.cacheRead,
  };
}

/**
 * Cost in integer micro-dollars, rounded up. A price of P USD per million tokens is exactly
 * P micro-dollars per token, so the sum stays exact until the single final rounding.
 *
 * @example
 * costMicros({ ...ZERO_USAGE, input: 1000, output: 500 }, DEFAULT_PRICES["claude-sonnet-4-5"]!); // 10_500
 */
export function costMicros(usage: TokenUsage, p: ModelPrice): Micros {
  // Prices are scaled to integers (1e-6 USD/MTok resolution) so float error cannot round up a cent.
  const scaled =
    usage.input * Math.round(p.input * 1e6) +
    usage.output * Math.round(p.output * 1e6) +
    usage.cacheWrite5m * Math.round(p.cacheWrite5m * 1e6) +
    usage.cacheWrite1h * Math.round(p.cacheWrite1h * 1e6) +
    usage.cacheRead * Math.round(p.cacheRead * 1e6);
  return Math.ceil(scaled / 1e6);
}
