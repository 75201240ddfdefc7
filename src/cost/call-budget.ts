import type { Micros } from "../core/money";
import type { MessageAccount } from "../core/protocol";
import { fitMaxTokens, MIN_OUTPUT_TOKENS, worstCaseMicros } from "./budget";
import type { ModelPrice } from "./prices";

/** A reserved model call: make it with `maxTokens`, then settle or release. */
export interface CallSlot {
  maxTokens: number;
  /** The worst case reserved; charged when the call's fate is unknown (a timeout). */
  reservedMicros: Micros;
  /** The input-token bound the reservation covers. */
  inputTokenBound: number;
  /** The agent's trust level when the reservation was made. */
  level: number;
  settle(costMicros: Micros): void;
  release(): void;
}

export type BudgetDenial = "daily" | "per_request";

/** A reservation refused; `level` is the agent's trust level then (unknown for `per_request`). */
export interface Denied {
  denied: BudgetDenial;
  level?: number;
}

/** Guards every model call of one answer: the daily cap (in the agent's object) and `perRequest`. */
export interface CallBudget {
  reserve(inputTokenBound: number, maxTokens: number): Promise<CallSlot | Denied>;
  /**
   * A reservation made ahead (for an estimated input) that turned out too small: given back and
   * replaced by one for the real bound, in one round trip. The slot itself when it covers it.
   */
  cover(slot: CallSlot, inputTokenBound: number, maxTokens: number): Promise<CallSlot | Denied>;
}

/**
 * The budget of one answer. Each call reserves its worst case, with `max_tokens` lowered when
 * that is what it takes to stay inside what is left of `perRequest`; settling replaces the
 * reservation with the real cost (through the message's account, which sends it with its next
 * round trip).
 */
export function callBudget(account: MessageAccount, price: ModelPrice, perRequestMicros: Micros): CallBudget {
  let spent = 0;
  async function reserve(inputTokenBound: number, maxTokens: number): Promise<CallSlot | Denied> {
    const allowance = perRequestMicros - spent;
    const fitted = fitMaxTokens(allowance, inputTokenBound, maxTokens, price);
    // A config may ask for fewer tokens than the floor; then its own maxTokens is the floor.
    if (fitted < Math.min(MIN_OUTPUT_TOKENS, maxTokens) || fitted === 0) return { denied: "per_request" };
    const amount = worstCaseMicros(inputTokenBound, fitted, price);
    const reserved = await account.reserve(amount);
    if (!reserved.ok) return { denied: "daily", level: reserved.level };
    let open = true;
    return {
      maxTokens: fitted,
      reservedMicros: amount,
      inputTokenBound,
      level: reserved.level,
      settle(costMicros) {
        if (!open) return;
        open = false;
        spent += costMicros;
        account.settle(reserved.reservationId, costMicros);
      },
      release() {
        if (!open) return;
        open = false;
        account.release(reserved.reservationId);
      },
    };
  }
  return {
    reserve,
    async cover(slot, bound, maxTokens) {
      if (bound <= slot.inputTokenBound) return slot;
      slot.release();
      return reserve(bound, maxTokens);
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
