/**
 * `npm run check:bundle`: bundles the worker as `wrangler deploy` would (`--dry-run`, nothing is
 * uploaded), prints its size raw and gzipped, and fails when the gzipped size passes what
 * Workers accepts: 3 MB on the Free plan (a warning: deploys there would fail) and 10 MB on
 * paid plans (an error). Limits: https://developers.cloudflare.com/workers/platform/limits/
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const FREE_LIMIT = 3 * 1024 * 1024;
const PAID_LIMIT = 10 * 1024 * 1024;

const out = mkdtempSync(join(tmpdir(), "foreman-bundle-"));
try {
  execFileSync("node_modules/.bin/wrangler", ["deploy", "--dry-run", "--outdir", out], { stdio: ["ignore", "ignore", "inherit"] });
  const files = (function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  })(out).filter((f) => !f.endsWith(".map"));
  let raw = 0;
  let gzipped = 0;
  for (const f of files) {
    const bytes = readFileSync(f);
    raw += bytes.length;
    gzipped += gzipSync(bytes, { level: 9 }).length;
  }
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
  console.log(`worker bundle: ${files.length} file(s), ${mb(raw)} raw, ${mb(gzipped)} gzipped (Workers limit: ${mb(FREE_LIMIT)} Free, ${mb(PAID_LIMIT)} paid)`);
  if (gzipped > PAID_LIMIT) {
    console.error(`the bundle is over the ${mb(PAID_LIMIT)} Workers accept on any plan`);
    process.exitCode = 1;
  } else if (gzipped > FREE_LIMIT) {
    console.warn(`warning: over the Free plan's ${mb(FREE_LIMIT)}; deploy on a paid plan`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
