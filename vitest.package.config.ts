import { defineConfig } from "vitest/config";

/**
 * `npm run test:package`: the packed package (`npm pack`) installed in a fresh project, which
 * typechecks and bundles a worker importing it; `npx foreman-agents init` and the project it
 * writes, installed and tested; examples/shop-worker installed against the tarball, tested and
 * bundled. Node environment: it runs npm, tar, tsc and wrangler, which the workerd pool of
 * vitest.config.ts cannot.
 */
export default defineConfig({
  test: {
    include: ["test/package/**/*.test.ts"],
    environment: "node",
    // Packs once (npm pack builds dist/ first) for every file here.
    globalSetup: ["./test/package/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
