import { defineConfig } from "vitest/config";

/**
 * `npm run test:package`: the packed package (`npm pack`) installed in a fresh project, which
 * typechecks and bundles a worker importing it. Node environment: it runs npm, tar, tsc and
 * wrangler, which the workerd pool of vitest.config.ts cannot.
 */
export default defineConfig({
  test: {
    include: ["test/package/**/*.test.ts"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
