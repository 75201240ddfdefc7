// Bindings that exist only under test (vitest.config.ts), beside the ones `wrangler types` writes.
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    SHOP_HTTP_SECRET: string;
  }
}
