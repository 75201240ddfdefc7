/**
 * The two ways a team starts, as they would on their machine, against the packed package:
 * `npx foreman-agents init my-agent && cd my-agent && npm install && npm test`, and
 * examples/shop-worker (the seed's config in `new ClaudeAgent`) installed, tested and bundled.
 * npm prefers its local cache (`--prefer-offline`); the registry is asked only for what it lacks.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const repo = path.resolve(import.meta.dirname, "../..");
const NPM_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund"];
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NO_COLOR: "1" };

let work: string;
let tarball: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "foreman-template-"));
  tarball = inject("packedTarball").path;
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs a command in `cwd`; on failure, the error carries what it printed. */
function run(cwd: string, command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd, env: childEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

/** vitest's summary line, e.g. "Tests  2 passed (2)". */
const testsLine = (output: string) => /Tests\s+(.+)/.exec(output)?.[1]?.trim();

describe("npx foreman-agents init my-agent && cd my-agent && npm install && npm test", () => {
  it("writes a project whose own tests pass, answering a signed message against a local fake model", () => {
    const printed = run(work, "npx", ["--yes", ...NPM_FLAGS, "--package", tarball, "foreman-agents", "init", "my-agent", "--package", tarball]);
    expect(printed).toContain("Created my-agent.");
    const project = path.join(work, "my-agent");
    expect(JSON.parse(readFileSync(path.join(project, "package.json"), "utf8")).dependencies["foreman-agents"]).toBe(`file:${tarball}`);

    run(project, "npm", ["install", ...NPM_FLAGS]);
    const output = run(project, "npm", ["test"]);
    expect(testsLine(output)).toBe("2 passed (2)");
  });
});

describe("examples/shop-worker against the packed package", () => {
  let example: string;

  beforeAll(() => {
    example = path.join(work, "shop-worker");
    cpSync(path.join(repo, "examples", "shop-worker"), example, {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|\.wrangler|dist)$/.test(source) && !source.endsWith("worker-configuration.d.ts"),
    });
    // package.json names the tarball beside the checkout (file:../../foreman-agents-<version>.tgz):
    // here it is this run's.
    const pkgPath = path.join(example, "package.json");
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { dependencies: Record<string, string> };
    expect(pkg.dependencies["foreman-agents"]).toMatch(/^file:\.\.\/\.\.\/foreman-agents-.*\.tgz$/);
    pkg.dependencies["foreman-agents"] = `file:${tarball}`;
    writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
    run(example, "npm", ["install", ...NPM_FLAGS]);
  }, 300_000);

  it("passes its own tests: the seed's config answers signed messages", () => {
    expect(testsLine(run(example, "npm", ["test"]))).toBe("4 passed (4)");
  });

  it("bundles with wrangler deploy --dry-run", () => {
    const out = path.join(work, "shop-bundle");
    run(example, "npx", ["wrangler", "deploy", "--dry-run", "--outdir", out]);
    expect(existsSync(path.join(out, "index.js"))).toBe(true);
    const bundle = readFileSync(path.join(out, "index.js"), "utf8");
    expect(bundle).toMatch(/class ClaudeAgent\b|ClaudeAgent = class\b/);
    expect(bundle).toContain("Hello! How can I help?");
  });
});
