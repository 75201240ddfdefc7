import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/** Drops Vite's warning about dependencies whose source maps name files they do not ship. */
function quietDependencySourcemaps(): Plugin {
  return {
    name: "quiet-dependency-sourcemaps",
    configResolved(config) {
      const warnOnce = config.logger.warnOnce.bind(config.logger);
      config.logger.warnOnce = (msg, options) => {
        if (!/^Sourcemap for ".*\/node_modules\/.*" points to missing source files$/.test(msg)) warnOnce(msg, options);
      };
    },
  };
}

// The tests run the worker in workerd (Miniflare), with wrangler.toml's bindings simulated
// locally, Foreman's D1 migrations applied, and a local fake of the Messages API for the model.
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "node_modules/foreman-agents/migrations"));
  return {
    plugins: [
      quietDependencySourcemaps(),
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        // Vectorize and Workers AI have no local simulator: the tests use Foreman's local ones.
        remoteBindings: false,
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ANTHROPIC_BASE_URL: inject("fakeAnthropicUrl"),
            ANTHROPIC_API_KEY: "test-key",
            ADMIN_TOKEN: "test-admin-token",
            SHOP_HTTP_SECRET: "test-http-secret",
            // audit.compliance.encryption is on: the audit trail is encrypted with this key.
            ENCRYPTION_KEYS: "t1:AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=",
            // The seed's Slack channel reads process.env.SLACK_WEBHOOK.
            SLACK_WEBHOOK: "https://hooks.slack.com/services/T000/B000/XXX",
            EMBEDDINGS: "local",
            VECTOR_INDEX: "local",
          },
        },
      })),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      globalSetup: ["./test/node/fake-anthropic.ts"],
      setupFiles: ["./test/apply-migrations.ts"],
      // The worker logs a JSON line per request: shown for a failing test, where it explains why.
      silent: "passed-only" as const,
    },
  };
});
