// Bindings that exist only under test (see vitest.config.ts).
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** The second D1 shard (`D1_SHARDS` is "DB,DB_2" under test). */
    DB_2: D1Database;
  }
}
interface Env {
  TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  DB_2: D1Database;
}
