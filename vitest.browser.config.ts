import { defineConfig } from "vitest/config";

/**
 * `npm run test:browser`: the dashboard in headless Chromium against the real worker, started the
 * way `npm run dev` starts it (test/browser/global-setup.ts). Node environment: these tests drive
 * a browser, so they cannot run inside the workerd pool of vitest.config.ts.
 */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    globalSetup: ["./test/browser/global-setup.ts"],
    // One worker, one browser: the files share the dev server and the machine.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
