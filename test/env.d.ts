// Bindings that exist only under test (see vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
}
interface Env {
  TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
}
