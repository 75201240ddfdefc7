/**
 * `npm run dev [-- <wrangler dev args>]`: local Foreman in one command.
 *  1. applies the D1 migrations locally, and says so in one line (wrangler's tables when it fails);
 *  2. starts the fake Messages API unless a model endpoint is given (ANTHROPIC_API_KEY, or
 *     `--var ANTHROPIC_BASE_URL:<url>`), and says so: its answers are simulated;
 *  3. starts `wrangler dev` on 127.0.0.1:8787 with the arguments given after `--` (`--port`,
 *     `--ip`, `--persist-to`, which the migrations of step 1 follow too, and any other);
 *  4. creates the demo agent (the seed's example config) once the worker answers, and prints the
 *     dashboard's URL with the key to sign in with.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { SEED_EXAMPLE_CONFIG } from "../config/seed-example.ts";
import { startFakeAnthropic } from "./fake-anthropic.ts";
import { LOCAL_DEFAULTS, readDevVars, setting } from "./local-env.ts";
import { QUIET_WRANGLER_ENV, summarizeMigrations } from "./output.ts";
import { shardBindings } from "./shard-bindings.ts";

const WRANGLER = "node_modules/.bin/wrangler";
const userArgs = process.argv.slice(2);
const devVars = readDevVars();

/** The value of `--var NAME:value` (or `--var=NAME:value`) among wrangler's arguments. */
function varArg(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    const value = a === "--var" ? args[i + 1] : a.startsWith("--var=") ? a.slice(6) : undefined;
    if (value?.startsWith(`${name}:`)) return value.slice(name.length + 1);
  }
  return undefined;
}

function flagArg(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/** Runs a command to its end and keeps what it printed. No stdin: wrangler takes its defaults. */
function capture(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...QUIET_WRANGLER_ENV, ...process.env } });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? 1, output }));
  });
}

const children: ChildProcess[] = [];
let fakeClose: (() => Promise<void>) | undefined;
async function shutdown(code: number): Promise<never> {
  for (const c of children) c.kill("SIGTERM");
  await fakeClose?.();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(130));
process.on("SIGTERM", () => void shutdown(143));

// `--persist-to <dir>` keeps local state elsewhere (tests use a throwaway one): migrate that state.
const persistTo = flagArg(userArgs, "persist-to");
// Every D1 shard that D1_SHARDS names gets the migrations.
const configArg = flagArg(userArgs, "config");
for (const binding of shardBindings(configArg ?? "wrangler.toml")) {
  const args = ["d1", "migrations", "apply", binding, "--local", ...(configArg ? ["--config", configArg] : []), ...(persistTo ? ["--persist-to", persistTo] : [])];
  const migrations = await capture(WRANGLER, args);
  const migrated = migrations.code === 0 ? summarizeMigrations(migrations.output) : undefined;
  if (migrated) console.log(`[foreman] ${binding === "DB" ? "" : `${binding}: `}${migrated}`);
  else process.stderr.write(migrations.output);
  if (migrations.code !== 0) {
    console.error(`[foreman] migrations of ${binding} failed`);
    process.exit(1);
  }
}

const ip = flagArg(userArgs, "ip") ?? "127.0.0.1";
const port = flagArg(userArgs, "port") ?? "8787";
const workerUrl = `http://${ip === "0.0.0.0" ? "127.0.0.1" : ip}:${port}`;
const wranglerArgs = ["dev"];
if (!flagArg(userArgs, "ip")) wranglerArgs.push("--ip", ip);
if (!flagArg(userArgs, "port")) wranglerArgs.push("--port", port);
// Workers AI and Vectorize are remote-only; locally Foreman uses its own implementations.
if (!userArgs.includes("--remote") && !userArgs.includes("-r")) {
  wranglerArgs.push("--local", "--var", "EMBEDDINGS:local", "--var", "VECTOR_INDEX:local");
}
let baseUrl = varArg(userArgs, "ANTHROPIC_BASE_URL") ?? process.env.ANTHROPIC_BASE_URL ?? devVars.ANTHROPIC_BASE_URL;
const apiKey = process.env.ANTHROPIC_API_KEY ?? devVars.ANTHROPIC_API_KEY ?? varArg(userArgs, "ANTHROPIC_API_KEY");
if (!apiKey && !baseUrl) {
  const port = Number(process.env.FAKE_ANTHROPIC_PORT ?? LOCAL_DEFAULTS.fakePort);
  const fake = await startFakeAnthropic({ port });
  fakeClose = fake.close;
  baseUrl = fake.url;
  console.log(`[foreman] no ANTHROPIC_API_KEY set: answers come from the local fake Messages API at ${fake.url}.`);
  console.log("[foreman] They are SIMULATED, not Claude. Put ANTHROPIC_API_KEY in .dev.vars to use the real API.");
}
if (baseUrl && !varArg(userArgs, "ANTHROPIC_BASE_URL")) wranglerArgs.push("--var", `ANTHROPIC_BASE_URL:${baseUrl}`);
// The fake ignores the key's value but the SDK needs one; a real key stays in .dev.vars or the environment.
if (!apiKey) wranglerArgs.push("--var", "ANTHROPIC_API_KEY:local-fake-key");
else if (!devVars.ANTHROPIC_API_KEY && process.env.ANTHROPIC_API_KEY) wranglerArgs.push("--var", `ANTHROPIC_API_KEY:${apiKey}`);
const adminToken = setting("ADMIN_TOKEN", LOCAL_DEFAULTS.adminToken, devVars);
if (!devVars.ADMIN_TOKEN) wranglerArgs.push("--var", `ADMIN_TOKEN:${adminToken}`);
if (!devVars.ENCRYPTION_KEYS && !varArg(userArgs, "ENCRYPTION_KEYS")) {
  wranglerArgs.push("--var", `ENCRYPTION_KEYS:${setting("ENCRYPTION_KEYS", LOCAL_DEFAULTS.encryptionKeys, devVars)}`);
}
// Local MCP servers and webhooks run on 127.0.0.1 over http; a deployment refuses such URLs.
if (!devVars.ALLOW_PRIVATE_URLS && !varArg(userArgs, "ALLOW_PRIVATE_URLS")) {
  wranglerArgs.push("--var", `ALLOW_PRIVATE_URLS:${setting("ALLOW_PRIVATE_URLS", "true", devVars)}`);
}
wranglerArgs.push(...userArgs);

const wrangler = spawn(WRANGLER, wranglerArgs, { stdio: "inherit", env: { ...QUIET_WRANGLER_ENV, ...process.env } });
children.push(wrangler);
wrangler.on("exit", (code) => void shutdown(code ?? 0));

await createDemoAgent();

async function createDemoAgent(): Promise<void> {
  const agentId = setting("FOREMAN_AGENT", LOCAL_DEFAULTS.agentId, devVars);
  const secret = setting("FOREMAN_HTTP_SECRET", LOCAL_DEFAULTS.httpSecret, devVars);
  for (let attempt = 0; attempt < 240; attempt++) {
    try {
      const res = await fetch(`${workerUrl}/v1/agents/${agentId}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({
          config: { ...SEED_EXAMPLE_CONFIG, name: "Demo agent" },
          systemPrompt: "You are the demo agent of a small bakery. Answer briefly and kindly.",
          secrets: { http: secret },
        }),
      });
      if (!res.ok) {
        console.error(`[foreman] creating the demo agent failed: ${res.status} ${await res.text()}`);
        return;
      }
      console.log(`[foreman] demo agent "${agentId}" is ready at ${workerUrl}. Try:  npm run send -- "Hello!"`);
      const keySource = devVars.ADMIN_TOKEN ? "the ADMIN_TOKEN in .dev.vars" : process.env.ADMIN_TOKEN ? "the ADMIN_TOKEN of your environment" : `the local ADMIN_TOKEN "${adminToken}"`;
      console.log(`[foreman] dashboard: ${workerUrl}/dashboard (sign in with ${keySource})`);
      return;
    } catch {
      await sleep(500);
    }
  }
  console.error(`[foreman] the worker did not answer at ${workerUrl}; the demo agent was not created`);
}
