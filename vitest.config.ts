import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * Drops one warning of Vite's: some dependencies (the MCP SDK, standardwebhooks) publish source
 * maps naming source files they do not ship. Nothing here can fix or use that, and it printed a
 * line per file on every run. A plugin, since vitest replaces any `customLogger` with its own.
 */
function quietDependencySourcemaps(): Plugin {
  return {
    name: "foreman:quiet-dependency-sourcemaps",
    configResolved(config) {
      const warnOnce = config.logger.warnOnce.bind(config.logger);
      config.logger.warnOnce = (msg, options) => {
        if (/^Sourcemap for ".*\/node_modules\/.*" points to missing source files$/.test(msg)) return;
        warnOnce(msg, options);
      };
    },
  };
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      quietDependencySourcemaps(),
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        // Vectorize and Workers AI have no local simulator; tests use the local implementations.
        remoteBindings: false,
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ANTHROPIC_BASE_URL: inject("fakeAnthropicUrl"),
            ANTHROPIC_API_KEY: "test-key",
            ADMIN_TOKEN: "test-admin-token",
            ENCRYPTION_KEYS: "t1:AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=",
            SLACK_API_URL: `${inject("fakeSlackUrl")}/api`,
            TWILIO_API_URL: inject("fakeTwilioUrl"),
            // The fake MCP server, Slack and Twilio run on 127.0.0.1 over http (src/config/urls.ts).
            ALLOW_PRIVATE_URLS: "true",
            EMBEDDINGS: "local",
            VECTOR_INDEX: "local",
            // Two shards under test (wrangler.toml has one): about half the agents live in DB_2,
            // so a query that reads DB instead of the agent's shard fails a test.
            D1_SHARDS: "DB,DB_2",
          },
          // Merged with wrangler.toml's d1_databases: DB stays, DB_2 is added.
          d1Databases: { DB_2: "foreman-shard-2" },
        },
      })),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      // Browser tests drive Chromium from Node: vitest.browser.config.ts runs them; the package
      // test packs and builds from Node: vitest.package.config.ts runs it.
      exclude: ["test/browser/**", "test/package/**", "**/node_modules/**"],
      globalSetup: ["./test/support/node/global-setup.ts"],
      setupFiles: ["./test/support/apply-migrations.ts"],
      // The worker logs a JSON line per request: shown for a failing test, where it explains the
      // failure, and dropped for a passing one, so the run ends on the summary.
      silent: "passed-only" as const,
      // One isolate per test file (the default, chosen): files apply their own migrations and
      // never share storage. Said here so vitest does not advise turning it off after each run.
      isolate: true,
      // A hang guard, not a speed check: tests assert behaviour, and a test that drives a hundred
      // requests through the runtime can outgrow vitest's 5 s default on a busy two-core machine.
      testTimeout: 30_000,
    },
  };
});
