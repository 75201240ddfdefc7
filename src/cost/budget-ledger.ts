import type { AuditSink } from "../core/audit";
import type { AgentConfig } from "../config";
import { type Micros, usdToMicros } from "../core/money";
import type { AgentRecord } from "../core/agent";
import { budgetDay, crossesThreshold, decideReserve, RESERVATION_TTL_MS } from "./budget";
import type { BudgetStore } from "./budget-store";

export interface BudgetPolicy {
  dailyMicros: Micros;
  perRequestMicros: Micros;
  alertThreshold: number;
  timeZone: string | undefined;
}

export function budgetPolicy(config: AgentConfig): BudgetPolicy {
  const { budget } = config.optimization;
  return {
    dailyMicros: usdToMicros(budget.daily),
    perRequestMicros: usdToMicros(budget.perRequest),
    alertThreshold: budget.alertThreshold,
    timeZone: budget.timeZone,
  };
}

export type ReserveResult = { ok: true; reservationId: string } | { ok: false; remaining: Micros };

export interface BudgetView {
  day: string;
  timeZone: string;
  dailyMicros: Micros;
  spentMicros: Micros;
  reservedMicros: Micros;
  remainingMicros: Micros;
  openReservations: number;
  perRequestMicros: Micros;
  alertThreshold: number;
}

/**
 * An agent's budget inside its Durable Object: reservations under the daily cap, settlement to
 * real costs, one threshold alert and one exhausted alert per day. The caller holds the
 * transaction; the arithmetic is in `budget.ts`.
 */
export class BudgetLedger {
  #store: BudgetStore;
  #auditor: AuditSink;

  constructor(store: BudgetStore, auditor: AuditSink) {
    this.#store = store;
    this.#auditor = auditor;
  }

  /** With `callId`, the reservation is that call's: asked again, the one already made is returned. */
  reserve(record: AgentRecord, amount: Micros, now: number, callId?: string): ReserveResult {
    if (callId !== undefined && this.#store.hasReservation(`res_${callId}`)) return { ok: true, reservationId: `res_${callId}` };
    const policy = budgetPolicy(record.config);
    const day = budgetDay(now, policy.timeZone);
    this.#store.expire(now);
    const today = this.#store.day(day);
    const decision = decideReserve(policy.dailyMicros, today.spent, this.#store.reserved(day), amount);
    if (!decision.ok) {
      this.#auditor.event(record, {
        at: now,
        actor: "system",
        action: "budget.denied",
        resource: "budget",
        decision: "denied",
        details: { day, neededMicros: amount, remainingMicros: decision.remaining, dailyMicros: policy.dailyMicros },
      });
      if (!today.exhaustedAlerted) {
        this.#store.markAlerted(day, "exhausted");
        this.#auditor.alert(record, {
          at: now,
          type: "budget_exhausted",
          message: `the daily budget of $${policy.dailyMicros / 1e6} for ${day} cannot cover another model call; customers get the budget reply until the day ends`,
          details: { day, dailyMicros: policy.dailyMicros, spentMicros: today.spent, remainingMicros: decision.remaining },
        });
      }
      return decision;
    }
    const reservationId = `res_${callId ?? crypto.randomUUID()}`;
    this.#store.addReservation(reservationId, day, amount, now + RESERVATION_TTL_MS);
    return { ok: true, reservationId };
  }

  /**
   * The real cost replaces the reservation. An expired reservation was already counted at its
   * worst case, so only the difference is added; an unknown one counts in full.
   */
  settle(record: AgentRecord, reservationId: string, actual: Micros, now: number): void {
    const policy = budgetPolicy(record.config);
    this.#store.expire(now);
    const reservation = this.#store.settleReservation(reservationId);
    // Settled already: the same settlement sent again.
    if (reservation?.settled) return;
    const day = reservation?.day ?? budgetDay(now, policy.timeZone);
    const before = this.#store.day(day);
    const delta = reservation?.expired ? actual - reservation.amount : actual;
    this.#store.addSpent(day, delta);
    if (!before.thresholdAlerted && crossesThreshold(policy.dailyMicros, before.spent, before.spent + delta, policy.alertThreshold)) {
      this.#store.markAlerted(day, "threshold");
      this.#auditor.alert(record, {
        at: now,
        type: "budget_threshold",
        message: `spending on ${day} reached ${Math.round(policy.alertThreshold * 100)}% of the daily budget of $${policy.dailyMicros / 1e6}`,
        details: { day, dailyMicros: policy.dailyMicros, spentMicros: before.spent + delta, alertThreshold: policy.alertThreshold },
      });
    }
  }

  release(reservationId: string): void {
    this.#store.takeReservation(reservationId);
  }

  view(record: AgentRecord, now: number): BudgetView {
    const policy = budgetPolicy(record.config);
    const day = budgetDay(now, policy.timeZone);
    this.#store.expire(now);
    const spent = this.#store.day(day).spent;
    const reserved = this.#store.reserved(day);
    return {
      day,
      timeZone: policy.timeZone ?? "UTC",
      dailyMicros: policy.dailyMicros,
      spentMicros: spent,
      reservedMicros: reserved,
      remainingMicros: Math.max(0, policy.dailyMicros - spent - reserved),
      openReservations: this.#store.openReservations(day),
      perRequestMicros: policy.perRequestMicros,
      alertThreshold: policy.alertThreshold,
    };
  }
}
