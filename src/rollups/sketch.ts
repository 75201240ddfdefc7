/**
 * The latency sketch of a rollup row: counts per fixed bucket of milliseconds. Merging sketches
 * is adding counts; a percentile read from one is the upper edge of the bucket it falls in, so it
 * is never below the true value and at most one bucket above it.
 */

/** Upper edges (exclusive) of the buckets; the last bucket has no upper edge. */
export const LATENCY_BUCKETS_MS = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000] as const;

/** The SQL that counts `column` into the buckets, as a JSON array (for an aggregate query). */
export function bucketsSql(column: string): string {
  const edges = [0, ...LATENCY_BUCKETS_MS];
  const counts = edges.map((low, i) => {
    const high = LATENCY_BUCKETS_MS[i];
    return high === undefined ? `SUM(${column} >= ${low})` : `SUM(${column} >= ${low} AND ${column} < ${high})`;
  });
  return `json_array(${counts.join(", ")})`;
}

/**
 * The nearest-rank percentile `p` (0–100) of a sketch, as its bucket's upper edge (the last
 * bucket: `maxMs`); null for an empty sketch.
 *
 * @example
 * percentileOf([0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 50, 80); // 50 (the third bucket is [25, 50))
 */
export function percentileOf(buckets: readonly number[], p: number, maxMs: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= rank) return Math.min(LATENCY_BUCKETS_MS[i] ?? maxMs, maxMs);
  }
  return maxMs;
}
