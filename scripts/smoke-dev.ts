/**
 * `npm run check:dev`: the README's quick start, run as a new user would: `npm run dev` must
 * serve, and `npm run send` must get an answer from the demo agent. The test suite runs the
 * worker inside vitest's pool, which forgives what `wrangler dev` refuses (random values or
 * I/O at global scope, a missing binding), so this boots the real thing. Stops the server after.
 * Fails too when the output carries noise (src/dev/output.ts): a newcomer must see the URLs.
 */
import { spawn, spawnSync } from "node:child_process";
import { LOCAL_DEFAULTS } from "../src/dev/local-env.ts";
import { noiseIn } from "../src/dev/output.ts";

const dev = spawn("npm", ["run", "dev"], { stdio: ["ignore", "pipe", "pipe"], detached: true });
let log = "";
dev.stdout.on("data", (d: Buffer) => (log += d.toString()));
dev.stderr.on("data", (d: Buffer) => (log += d.toString()));
const stop = () => {
  try {
    process.kill(-dev.pid!, "SIGTERM");
  } catch {
    // Already gone.
  }
};

try {
  let up = false;
  for (let i = 0; i < 120 && !up; i++) {
    up = await fetch(`${LOCAL_DEFAULTS.url}/`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 1_000));
  }
  if (!up) throw new Error(`npm run dev did not serve ${LOCAL_DEFAULTS.url} within 2 minutes`);
  const sent = spawnSync("npm", ["run", "send", "--", "When do you open?"], { encoding: "utf8" });
  if (sent.status !== 0 || !sent.stdout.includes('"tier"')) throw new Error(`npm run send failed (${sent.status}):\n${sent.stdout}\n${sent.stderr}`);
  // What a newcomer reads first: warnings meant for other setups and offline lookups bury it.
  const noise = noiseIn(log);
  if (noise.length > 0) throw new Error(`npm run dev printed noise:\n${noise.map((n) => `  ${n.line}\n    (${n.why})`).join("\n")}`);
  console.log("quick start ok: npm run dev serves quietly, npm run send got an answer");
} catch (err) {
  console.error(String(err));
  console.error(log.replace(/\x1b\[[0-9;]*m/g, "").slice(-4_000));
  process.exitCode = 1;
} finally {
  stop();
}
