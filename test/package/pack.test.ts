/**
 * The package as a user gets it: `npm pack`'s tarball, unpacked into a fresh project's
 * node_modules, imported by a worker of the project's own, with no path into src/. Node side
 * (vitest.package.config.ts): it packs, unpacks and runs tsc and wrangler as a user would.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const repo = path.resolve(import.meta.dirname, "../..");
const bin = (name: string) => path.join(repo, "node_modules", ".bin", name);
const pkg = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as {
  name: string;
  dependencies: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
};

let work: string;
let project: string;
let tarballFiles: string[];

/** The worker a new user writes: the seed's config in `new ClaudeAgent`, mounted in their Hono app. */
const USER_WORKER = `import { Hono } from "hono";
import { ClaudeAgent, createForeman, SEED_EXAMPLE_CONFIG, type Logger } from "foreman-agents";
export { AgentState, Conversation, VectorIndexObject } from "foreman-agents";

const shop = new ClaudeAgent({ id: "shop", systemPrompt: "You help Acme's customers.", ...SEED_EXAMPLE_CONFIG, secretBindings: { http: "SHOP_HTTP_SECRET" } });
// A Logger of one's own, through the exported interface.
const quiet: Logger = { info() {}, warn() {}, error() {}, with: () => quiet };
const foreman = createForeman({ agents: [shop], logger: quiet });

const app = new Hono<{ Bindings: Env }>();
app.get("/", (c) => c.text("my shop"));
app.route("/foreman", foreman.app);
app.post("/chat", async (c) => c.json(await foreman.handle(c.env, c.executionCtx, "shop", { text: "hi", conversation: "c", from: "web" })));

export default { fetch: app.fetch, queue: foreman.queue, scheduled: foreman.scheduled, email: foreman.email } satisfies ExportedHandler<Env>;
`;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "foreman-pack-"));
  const tarball = inject("packedTarball");
  tarballFiles = tarball.files;

  project = path.join(work, "my-worker");
  const installed = path.join(project, "node_modules", pkg.name);
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", tarball.path, "-C", installed, "--strip-components=1"]);
  // The package's dependencies, as `npm install` would put them beside it.
  for (const dep of [...Object.keys(pkg.dependencies), "@cloudflare/workers-types"]) {
    const target = path.join(project, "node_modules", dep);
    mkdirSync(path.dirname(target), { recursive: true });
    symlinkSync(path.join(repo, "node_modules", dep), target);
  }
  mkdirSync(path.join(project, "src"));
  writeFileSync(path.join(project, "src", "index.ts"), USER_WORKER);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "my-worker", private: true, type: "module" }));
  // The bindings Foreman needs, as the user's wrangler.toml declares them.
  cpSync(path.join(repo, "wrangler.toml"), path.join(project, "wrangler.toml"));
  cpSync(path.join(installed, "migrations"), path.join(project, "migrations"), { recursive: true });
  writeFileSync(
    path.join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "es2022", module: "es2022", moduleResolution: "bundler", lib: ["es2023"], types: ["@cloudflare/workers-types"], strict: true, skipLibCheck: true, noEmit: true },
      include: ["src/**/*.ts", "worker-configuration.d.ts"],
    }),
  );
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("holds dist/ and the D1 migrations, and no source, tests or dev tools", () => {
    expect(tarballFiles).toContain("dist/lib/index.js");
    expect(tarballFiles).toContain("dist/lib/index.d.ts");
    expect(tarballFiles).toContain("migrations/0000_init.sql");
    expect(tarballFiles.filter((f) => /^(src|test|bench|scripts)\//.test(f))).toEqual([]);
    expect(tarballFiles.filter((f) => f.startsWith("migrations/meta/"))).toEqual([]);
  });

  it("holds the init command and the project template, with its dotfiles under names npm keeps", () => {
    expect(tarballFiles).toContain("dist/cli/init.js");
    for (const file of ["template/package.json", "template/wrangler.toml", "template/src/index.ts", "template/test/index.test.ts", "template/_gitignore", "template/_dev.vars.example"]) {
      expect(tarballFiles).toContain(file);
    }
  });

  it("has every exports target in the tarball", () => {
    const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)));
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) expect(tarballFiles, target).toContain(target.replace(/^\.\//, ""));
  });

  it("has its bin in the tarball, runnable by Node", () => {
    expect(Object.keys(pkg.bin)).toEqual(["foreman-agents"]);
    const bin = path.join(project, "node_modules", pkg.name, pkg.bin["foreman-agents"]!);
    expect(readFileSync(bin, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(execFileSync(process.execPath, [bin, "--help"], { encoding: "utf8" })).toContain("Usage: foreman-agents init <dir>");
  });

  it("imports nothing from src/, and every relative import in dist/ names a file that is there", () => {
    const dist = path.join(project, "node_modules", pkg.name, "dist");
    const files = (readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"));
    for (const file of files) {
      const source = readFileSync(path.join(dist, file), "utf8");
      expect(source, file).not.toMatch(/["'][^"']*\/src\//);
      for (const [, specifier] of source.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']*)["']/g)) {
        expect(existsSync(path.join(dist, path.dirname(file), specifier!)), `${file}: ${specifier}`).toBe(true);
      }
    }
  });
});

describe("a fresh project importing the packed package", () => {
  it("typechecks a worker that uses new ClaudeAgent, createForeman, its app and handle()", () => {
    execFileSync(bin("wrangler"), ["types", "--include-runtime=false"], { cwd: project, stdio: "pipe" });
    const result = (() => {
      try {
        execFileSync(bin("tsc"), ["-p", "tsconfig.json"], { cwd: project, encoding: "utf8", stdio: "pipe" });
        return "";
      } catch (err) {
        return String((err as { stdout?: string }).stdout ?? err);
      }
    })();
    expect(result).toBe("");
  });

  it("runs `export default createForeman(...)` as a whole worker in workerd", async () => {
    writeFileSync(
      path.join(project, "src", "plain.ts"),
      `import { createForeman } from "foreman-agents";\nexport { AgentState, Conversation, VectorIndexObject } from "foreman-agents";\nexport default createForeman({ agents: [] });\n`,
    );
    const out = path.join(work, "plain");
    execFileSync(bin("wrangler"), ["deploy", "--dry-run", "--outdir", out, "src/plain.ts"], { cwd: project, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    const { Miniflare, convertV4MiniflareOptions } = await import("miniflare");
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        modules: true,
        // Module names relative to the file system's root, so none needs ".." to be found.
        modulesRoot: "/",
        scriptPath: path.join(out, "plain.js"),
        compatibilityDate: "2026-10-01",
        compatibilityFlags: ["nodejs_compat"],
        durableObjects: { AGENT_STATE: "AgentState", CONVERSATION: "Conversation", VECTORS: "VectorIndexObject" },
      }),
    );
    try {
      const res = await mf.dispatchFetch("http://localhost/");
      expect(await res.json()).toEqual({ name: "foreman", status: "ok" });
    } finally {
      await mf.dispose();
    }
  });

  it("bundles with wrangler (deploy --dry-run), resolving the package from node_modules", () => {
    const out = path.join(work, "bundle");
    execFileSync(bin("wrangler"), ["deploy", "--dry-run", "--outdir", out], { cwd: project, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
    const bundle = readFileSync(path.join(out, "index.js"), "utf8");
    expect(bundle).toMatch(/class ClaudeAgent\b|ClaudeAgent = class\b/);
    expect(bundle).toMatch(/class AgentState\b|AgentState = class\b/);
    expect(bundle).not.toContain("/src/lib/");
  });
});
