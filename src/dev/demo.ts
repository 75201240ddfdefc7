/**
 * `npm run demo [-- --url http://127.0.0.1:8787 --learn 500 --serve 300 --intents 8]`: the cost
 * story against a running `npm run dev`. A demo agent of its own answers banking77 questions with
 * the model, learns patterns from them, then answers questions it never saw, mostly without the
 * model; prints the tiers that answered and the cost cut (src/dev/demo-core.ts).
 */
import { parseArgs } from "node:util";
import { BANKING77_DIR } from "./banking77.ts";
import { type DemoPhase, formatDemoReport, runDemo } from "./demo-core.ts";
import { LOCAL_DEFAULTS, readDevVars, setting } from "./local-env.ts";

const devVars = readDevVars();
let values;
try {
  ({ values } = parseArgs({
    options: {
      url: { type: "string", default: setting("FOREMAN_URL", LOCAL_DEFAULTS.url, devVars) },
      learn: { type: "string", default: "500" },
      serve: { type: "string", default: "300" },
      intents: { type: "string", default: "8" },
      concurrency: { type: "string", default: "16" },
      seed: { type: "string", default: "77" },
    },
  }));
} catch (err) {
  console.error(`${(err as Error).message}\nusage: npm run demo -- [--url URL] [--learn N] [--serve N] [--intents N] [--concurrency N] [--seed N]`);
  process.exit(2);
}
const numbers = { learn: values.learn, serve: values.serve, intents: values.intents, concurrency: values.concurrency, seed: values.seed };
for (const [name, raw] of Object.entries(numbers)) {
  if (!/^\d+$/.test(raw) || (name !== "seed" && Number(raw) < 1)) {
    console.error(`--${name} must be a whole number${name === "seed" ? "" : " of at least 1"} (got "${raw}")`);
    process.exit(2);
  }
}

const PHASES: Record<DemoPhase, string> = { learn: "learning", serve: "serving " };
function progress(phase: DemoPhase, done: number, total: number): void {
  const width = 30;
  const filled = Math.round((width * done) / Math.max(1, total));
  const line = `${PHASES[phase]} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? "\n" : ""}`);
  else if (done === total || done % Math.max(1, Math.ceil(total / 4)) === 0) process.stderr.write(`${line}\n`);
}

console.log("Foreman cost demo: banking77 questions through the signed HTTP channel of a demo agent.");
console.log("DEMO SETTINGS: this agent serves the patterns it proves at once (learning.capabilities.requireApproval: false,");
console.log('learning.deployment.strategy: "immediate"), where a real agent waits for a person to approve each one, and it');
console.log("proves them to 85% precision (learning.patterns.confidenceThreshold: 0.85), not the 95% of the example config.");
if (!values.url.includes("127.0.0.1") && !values.url.includes("localhost")) console.log(`(against ${values.url})`);
console.log("");
try {
  const report = await runDemo({
    url: values.url.replace(/\/+$/, ""),
    adminToken: setting("ADMIN_TOKEN", LOCAL_DEFAULTS.adminToken, devVars),
    dataDir: BANKING77_DIR,
    learn: Number(values.learn),
    serve: Number(values.serve),
    intents: Number(values.intents),
    concurrency: Number(values.concurrency),
    seed: Number(values.seed),
    onProgress: progress,
    onStep: (line) => console.error(line),
  });
  console.log(`\n${formatDemoReport(report)}`);
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exit(1);
}
