/**
 * The D1 shards a wrangler config declares (its `D1_SHARDS` var, `"DB"` when absent), for the
 * commands that migrate every shard: `npm run dev` locally and `npm run deploy` remotely.
 */
import { readFileSync } from "node:fs";
import { parseShardList } from "../db/placement.ts";

/**
 * The binding names of the shards in `wrangler.toml` (or `configPath`): every one of them gets
 * the migrations, weight 0 or not.
 *
 * @example
 * shardBindings(); // ["DB"] for the default config
 */
export function shardBindings(configPath = "wrangler.toml"): string[] {
  const toml = readFileSync(configPath, "utf8");
  const spec = /^\s*D1_SHARDS\s*=\s*"([^"]*)"/m.exec(toml)?.[1];
  return parseShardList(spec).map((s) => s.name);
}
