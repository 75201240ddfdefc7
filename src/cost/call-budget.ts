import type { Micros } from "../core/money";
import type { ModelPrice } from "../llm/prices";
import { fitMaxTokens, MIN_OUTPUT_TOKENS, worstCaseMicros } from "./budget";

/** A reserved model call: make it with `maxTokens`, then settle or release. */
export interface CallSlot {
  maxTokens: number;
  /** The worst case reserved; charged when the call's fate is unknown (a timeout). */
  reservedMicros: Micros;
  settle(costMicros: Micros): Promise<void>;
  release(): Promise<void>;
}

export type BudgetDenial = "daily" | "per_request";

/** Guards every model call of one answer: the daily cap (in the agent's object) and `perRequest`. */
export interface CallBudget {
  reserve(inputTokenBound: number, maxTokens: number): Promise<CallSlot | { denied: BudgetDenial }>;
}

/** The agent object's budget methods this module needs. */
export interface BudgetAccount {
  reserve(amount: Micros, now: number): Promise<{ ok: true; reservationId: string } | { ok: false; remaining: Micros }>;
  settle(reservationId: string, actual: Micros, now: number): Promise<void>;
  releaseReservation(reservationId: string): Promise<void> | void;
}

/**
 * The budget of one answer. Each call reserves its worst case, with `max_tokens` lowered when
 * that is what it takes to stay inside what is left of `perRequest`; settling replaces the
 * reservation with the real cost.
 */
export function callBudget(account: BudgetAccount, price: ModelPrice, perRequestMicros: Micros, now: () => number): CallBudget {
  let spent = 0;
  return {
    async reserve(inputTokenBound, maxTokens) {
      const allowance = perRequestMicros - spent;
      const fitted = fitMaxTokens(allowance, inputTokenBound, maxTokens, price);
      // A config may ask for fewer tokens than the floor; then its own maxTokens is the floor.
      if (fitted < Math.min(MIN_OUTPUT_TOKENS, maxTokens) || fitted === 0) return { denied: "per_request" };
      const amount = worstCaseMicros(inputTokenBound, fitted, price);
      const reserved = await account.reserve(amount, now());
      if (!reserved.ok) return { denied: "daily" };
      let open = true;
      return {
        maxTokens: fitted,
        reservedMicros: amount,
        async settle(costMicros) {
          if (!open) return;
          open = false;
          spent += costMicros;
          await account.settle(reserved.reservationId, costMicros, now());
        },
        async release() {
          if (!open) return;
          open = false;
          await account.releaseReservation(reserved.reservationId);
        },
      };
    },
  };
}

/** The first model call of an answer could not be afforded: the answer is the budget reply. */
export class BudgetDeniedError extends Error {
  override readonly name = "BudgetDeniedError";
  readonly reason: BudgetDenial;

  constructor(reason: BudgetDenial) {
    super(reason === "daily" ? "the daily budget cannot cover this call" : "the per-request budget cannot cover this call");
    this.reason = reason;
  }
}
