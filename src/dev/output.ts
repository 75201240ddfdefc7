/**
 * What `npm run dev` prints: the lines a person needs (the worker's URL, the dashboard key,
 * errors), not wrangler's per-migration tables or its network lookups on a machine offline.
 */

/**
 * Environment for the wrangler processes `npm run dev` starts. Each setting turns off a network
 * lookup whose failure offline prints a warning or a stack trace; the caller's own environment
 * wins over these (spread it after).
 * - `WRANGLER_SEND_METRICS=false`: no usage metrics.
 * - `WRANGLER_HIDE_BANNER=true`: no version banner, and with it no npm registry lookup for a
 *   newer wrangler (wrangler's `printWranglerBanner` runs the update check).
 * - `CLOUDFLARE_CF_FETCH_ENABLED=false`: miniflare keeps its placeholder `Request.cf` instead of
 *   fetching one from workers.cloudflare.com (miniflare's `setupCf`); Foreman never reads `cf`.
 */
export const QUIET_WRANGLER_ENV: Readonly<Record<string, string>> = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * One line for the output of `wrangler d1 migrations apply` that succeeded, in place of its
 * table per migration; undefined when the output is not one wrangler prints on success (then
 * print it as it is).
 *
 * @example
 * summarizeMigrations("✅ No migrations to apply!"); // "D1 migrations are up to date"
 */
export function summarizeMigrations(output: string): string | undefined {
  const text = output.replace(ANSI, "");
  if (/No migrations to apply/.test(text)) return "D1 migrations are up to date";
  const tables = text.split(/^┌/m).slice(1);
  const last = tables.at(-1);
  if (!last) return undefined;
  // The last table is the final status: one row per migration of this run, ✅ once applied.
  const rows = [...last.matchAll(/^│\s*(\S+)\s*│\s*(\S+)\s*│$/gm)].filter((m) => m[1] !== "name");
  if (rows.length === 0 || rows.some((m) => m[2] !== "✅")) return undefined;
  const names = rows.map((m) => m[1]);
  const span = names.length === 1 ? names[0] : `${names[0]} to ${names.at(-1)}`;
  return `applied ${names.length} D1 migration${names.length === 1 ? "" : "s"} (${span})`;
}

/**
 * Lines of wrangler's local output that should never reach a person, each with the reason. A
 * match in `npm run dev`'s output is a regression: `npm run check:dev` fails on it.
 */
export const NOISE: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /bindings always access remote resources/, why: "Workers AI is declared `remote = true`: local runs use EMBEDDINGS=local" },
  { pattern: /bindings do not support local development/, why: "Vectorize is declared `remote = true`: local runs use VECTOR_INDEX=local" },
  { pattern: /Unable to fetch the `Request\.cf` object/, why: "CLOUDFLARE_CF_FETCH_ENABLED=false" },
  { pattern: /getaddrinfo (ENOTFOUND|EAI_AGAIN)/, why: "no network lookups in local runs" },
  { pattern: /update available/, why: "WRANGLER_HIDE_BANNER=true skips the update check" },
  { pattern: /Migrations to be applied/, why: "migrations are summarized in one line" },
];

/**
 * The noisy lines of some output, each with why it should not be there.
 *
 * @example
 * noiseIn("Ready on http://127.0.0.1:8787"); // []
 */
export function noiseIn(output: string): { line: string; why: string }[] {
  const found: { line: string; why: string }[] = [];
  for (const line of output.replace(ANSI, "").split(/\r?\n/)) {
    const hit = NOISE.find((n) => n.pattern.test(line));
    if (hit) found.push({ line: line.trim(), why: hit.why });
  }
  return found;
}
