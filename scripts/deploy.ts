/**
 * `npm run deploy [-- <wrangler deploy args>]`: applies the D1 migrations to every shard that
 * `D1_SHARDS` in wrangler.toml names (remote databases), then deploys the worker. A failed
 * migration stops it before the deploy, so new code never meets an old schema.
 */
import { spawnSync } from "node:child_process";
import { shardBindings } from "../src/dev/shard-bindings.ts";

const WRANGLER = "node_modules/.bin/wrangler";
const run = (args: string[]) => spawnSync(WRANGLER, args, { stdio: "inherit" }).status ?? 1;

for (const binding of shardBindings()) {
  console.log(`[foreman] migrating D1 shard ${binding}`);
  if (run(["d1", "migrations", "apply", binding, "--remote"]) !== 0) {
    console.error(`[foreman] migrating ${binding} failed: nothing was deployed`);
    process.exit(1);
  }
}
process.exit(run(["deploy", ...process.argv.slice(2)]));
