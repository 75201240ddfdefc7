/** The overview covers this many calendar days (UTC), today included. */
export const OVERVIEW_DAYS = 14;

/**
 * The span of the overview at `now`: from the start of the UTC day `OVERVIEW_DAYS - 1` days ago
 * to `now`. `GET /v1/agents/:agentId/analytics?from=…&to=…` with these bounds gives the same
 * figures, from the same query functions. No imports: the browser tests run it in Node.
 */
export function overviewSpan(now: number): { from: number; to: number } {
  const today = Date.parse(`${new Date(now).toISOString().slice(0, 10)}T00:00:00Z`);
  return { from: today - (OVERVIEW_DAYS - 1) * 86_400_000, to: now };
}
