/**
 * The real worker for the browser tests, started as `npm run dev` starts it (src/dev/dev.ts:
 * local D1 migrations, wrangler dev, the demo agent), but on free ports, with its own fake
 * Messages API and a throwaway `--persist-to` directory, so it never meets a developer's running
 * `npm run dev` (8787, 9000) or its local state. Its fake knows the questions of the repository's
 * own labelled fixture, not banking77's: the shared data directory is absent where CI clones.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startFakeAnthropic } from "../../src/dev/fake-anthropic.ts";
import { LOCAL_DEFAULTS, readDevVars, setting } from "../../src/dev/local-env.ts";

/**
 * Made-up customer questions of a small shop, labelled by intent, in banking77's `text,category`
 * form (`train.csv`): the fake Messages API answers each with its intent's facts, and the tests of
 * the demo and the fake read them in place of banking77.
 */
export const LABELLED_QUERIES_DIR = resolve(import.meta.dirname, "../fixtures/labelled-queries");

export interface DevServer {
  url: string;
  adminToken: string;
  agentId: string;
  httpSecret: string;
  /** The fake Messages API the worker calls (its `/_fake` control API sets scripts and oracles). */
  fakeUrl: string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export async function startDevServer(): Promise<DevServer> {
  const devVars = readDevVars();
  const fake = await startFakeAnthropic({ port: 0, knownQuestions: LABELLED_QUERIES_DIR });
  const [port, inspector] = [await freePort(), await freePort()];
  const persist = mkdtempSync(join(tmpdir(), "foreman-browser-"));
  const args = ["src/dev/dev.ts", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", persist];
  // Simulated answers always, whatever .dev.vars says.
  args.push("--var", `ANTHROPIC_BASE_URL:${fake.url}`, "--var", "ANTHROPIC_API_KEY:local-fake-key");
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  let log = "";
  const stop = async () => {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // Already gone.
    }
    await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(null)));
    await fake.close();
    rmSync(persist, { recursive: true, force: true });
  };
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes("[foreman] dashboard:")) resolve();
      if (log.includes("creating the demo agent failed") || log.includes("did not answer")) reject(new Error("the demo agent was not created"));
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`npm run dev exited with ${code}`)));
  });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("npm run dev did not get ready within 90 s")), 90_000).unref());
  try {
    await Promise.race([ready, timeout]);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log.replace(/\x1b\[[0-9;]*m/g, "").slice(-4000)}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    adminToken: setting("ADMIN_TOKEN", LOCAL_DEFAULTS.adminToken, devVars),
    agentId: setting("FOREMAN_AGENT", LOCAL_DEFAULTS.agentId, devVars),
    httpSecret: setting("FOREMAN_HTTP_SECRET", LOCAL_DEFAULTS.httpSecret, devVars),
    fakeUrl: fake.url,
    stop,
  };
}
