import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shards } from "../../src/db/shards";

// Setup files may run more than once; only migrations not yet applied are applied. Every shard
// holds the whole schema, as in production.
for (const shard of shards(env).all) await applyD1Migrations(shard.db, env.TEST_MIGRATIONS);
