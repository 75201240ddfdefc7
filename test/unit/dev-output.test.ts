import { describe, expect, it } from "vitest";
import { noiseIn, summarizeMigrations } from "../../src/dev/output";
// What `wrangler d1 migrations apply DB --local` printed (test/fixtures/dev/), colours stripped:
// all 14 migrations of a fresh database, nothing left to apply, and a migration with an SQL error.
import appliedOutput from "../fixtures/dev/migrations-applied.txt?raw";
import failedOutput from "../fixtures/dev/migrations-failed.txt?raw";
import upToDateOutput from "../fixtures/dev/migrations-up-to-date.txt?raw";

describe("npm run dev: the migrations in one line", () => {
  it("sums up a run that applied every migration, naming the first and the last", () => {
    expect(summarizeMigrations(appliedOutput)).toBe("applied 14 D1 migrations (0000_init.sql to 0013_alert_acknowledgement.sql)");
  });

  it("says the database is up to date when there was nothing to apply", () => {
    expect(summarizeMigrations(upToDateOutput)).toBe("D1 migrations are up to date");
  });

  it("names a single migration on its own", () => {
    const one = ["┌───────────────┬────────┐", "│ name          │ status │", "├───────────────┼────────┤", "│ 0014_next.sql │ ✅     │", "└───────────────┴────────┘"].join("\n");
    expect(summarizeMigrations(one)).toBe("applied 1 D1 migration (0014_next.sql)");
  });

  it("gives no summary for a run that stopped on a failed migration, so the whole output is shown", () => {
    expect(summarizeMigrations(failedOutput)).toBeUndefined();
  });

  it("gives no summary for output it does not recognise", () => {
    expect(summarizeMigrations("")).toBeUndefined();
    expect(summarizeMigrations("✘ [ERROR] Couldn't find a D1 DB with the name or binding 'DB'")).toBeUndefined();
  });

  it("reads wrangler's coloured output as well as plain", () => {
    expect(summarizeMigrations("\x1b[32m✅ No migrations to apply!\x1b[39m")).toBe("D1 migrations are up to date");
  });
});

describe("npm run dev: noise", () => {
  it("finds the remote-binding warnings, the offline lookups and the migration tables", () => {
    const output = [
      " ⛅️ wrangler 4.164.0 (update available 4.168.0)",
      "▲ [WARNING] AI bindings always access remote resources, and so may incur usage charges even in local dev.",
      "▲ [WARNING] Vectorize Index bindings do not support local development, and so parts of your Worker may not work correctly.",
      "[wrangler:warn] Unable to fetch the `Request.cf` object! Falling back to a default placeholder...",
      "Error: getaddrinfo ENOTFOUND workers.cloudflare.com",
    ].join("\n");
    expect(noiseIn(output).map((n) => n.line)).toEqual(output.split("\n").map((l) => l.trim()));
    expect(noiseIn(appliedOutput).length).toBeGreaterThan(0);
  });

  it("leaves what a person needs: the URL, the dashboard key, the simulated-model notice, errors", () => {
    const output = [
      "[foreman] applied 14 D1 migrations (0000_init.sql to 0013_alert_acknowledgement.sql)",
      "[foreman] no ANTHROPIC_API_KEY set: answers come from the local fake Messages API at http://127.0.0.1:9000.",
      "[wrangler:info] Ready on http://127.0.0.1:8787",
      '[foreman] dashboard: http://127.0.0.1:8787/dashboard (sign in with the local ADMIN_TOKEN "dev-admin-token")',
      "✘ [ERROR] incomplete input: SQLITE_ERROR",
    ].join("\n");
    expect(noiseIn(output)).toEqual([]);
  });
});
