import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Foreman's tables, from the migrations the package ships (vitest.config.ts reads them).
// Setup files may run more than once; only migrations not yet applied are applied.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
