import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
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
          },
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
    },
  };
});
