import { Hono } from "hono";
import { microsToUsd } from "../core/money";
import type { AppEnv } from "../http/context";
import { requireAgent } from "./common";

/** Budget and cost analytics of an agent. */
export const costRoutes = new Hono<AppEnv>().get("/agents/:agentId/budget", async (c) => {
  const { agentId, stub } = await requireAgent(c);
  const b = await stub.budget(c.var.clock.now());
  return c.json({
    agentId,
    day: b.day,
    timeZone: b.timeZone,
    dailyUsd: microsToUsd(b.dailyMicros),
    spentUsd: microsToUsd(b.spentMicros),
    reservedUsd: microsToUsd(b.reservedMicros),
    remainingUsd: microsToUsd(b.remainingMicros),
    perRequestUsd: microsToUsd(b.perRequestMicros),
    alertThreshold: b.alertThreshold,
    openReservations: b.openReservations,
    micros: { daily: b.dailyMicros, spent: b.spentMicros, reserved: b.reservedMicros, remaining: b.remainingMicros },
  });
});
