/**
 * `foreman-agents init`'s checks and what it writes, from the repository's template/ (the same
 * files the package ships). The project written is installed and tested in template.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { init, InitError, main, projectName } from "../../src/cli/init.ts";

const repo = path.resolve(import.meta.dirname, "../..");
const own = JSON.parse(readFileSync(path.join(repo, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };
let work: string;

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), "foreman-init-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const run = (dir: string, packageSpec?: string) => init({ dir: path.join(work, dir), packageSpec, packageRoot: repo });
const read = (...parts: string[]) => readFileSync(path.join(work, ...parts), "utf8");

/** Runs the command line, returning its exit code and what it printed. */
function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("foreman-agents init", () => {
  it("writes the template, with .gitignore and .dev.vars.example under their real names", () => {
    const written = run("my-agent");
    expect(written.sort()).toEqual(
      [".dev.vars.example", ".gitignore", "README.md", "package.json", "src/index.ts", "test/apply-migrations.ts", "test/env.d.ts", "test/index.test.ts", "test/node/fake-anthropic.ts", "tsconfig.json", "vitest.config.ts", "wrangler.toml"].sort(),
    );
    expect(read("my-agent", "src", "index.ts")).toContain("new ClaudeAgent({");
    expect(read("my-agent", "src", "index.ts")).toContain("export default createForeman({ agents: [assistant] })");
  });

  it("names the project, the worker and its resources after the directory", () => {
    run("Acme Bakery");
    const pkg = JSON.parse(read("Acme Bakery", "package.json")) as { name: string };
    expect(pkg.name).toBe("acme-bakery");
    const toml = read("Acme Bakery", "wrangler.toml");
    expect(toml).toContain(`name = "acme-bakery"`);
    expect(toml).toContain(`database_name = "acme-bakery"`);
    expect(toml).toContain(`bucket_name = "acme-bakery-audit"`);
    expect(toml).not.toContain("my-agent");
  });

  it("depends on this version of foreman-agents by default, and pins the dev tools it is tested with", () => {
    run("app");
    const pkg = JSON.parse(read("app", "package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.dependencies["foreman-agents"]).toBe(`^${own.version}`);
    expect(pkg.devDependencies.wrangler).toBe(own.devDependencies.wrangler!.replace(/^\^/, ""));
    expect(pkg.devDependencies["@cloudflare/vitest-plugin"]).toBe(own.devDependencies["@cloudflare/vitest-plugin"]!.replace(/^\^/, ""));
  });

  it("installs foreman-agents from a packed tarball given by --package, as an absolute file: spec", () => {
    const tarball = path.join(work, "foreman-agents-0.1.0.tgz");
    writeFileSync(tarball, "");
    expect(cli("init", path.join(work, "app"), "--package", tarball).code).toBe(0);
    expect(JSON.parse(read("app", "package.json")).dependencies["foreman-agents"]).toBe(`file:${tarball}`);
  });

  it("refuses a directory that holds anything, naming it, and writes nothing", () => {
    mkdirSync(path.join(work, "taken"));
    writeFileSync(path.join(work, "taken", "notes.txt"), "mine");
    const result = cli("init", path.join(work, "taken"));
    expect(result.code).toBe(1);
    expect(result.err).toContain("is not empty (it holds notes.txt)");
    expect(readdirSync(path.join(work, "taken"))).toEqual(["notes.txt"]);
  });

  it("writes into an existing empty directory", () => {
    mkdirSync(path.join(work, "empty"));
    run("empty");
    expect(existsSync(path.join(work, "empty", "wrangler.toml"))).toBe(true);
  });

  it("refuses a tarball that does not exist, before writing anything", () => {
    const missing = path.join(work, "nowhere.tgz");
    expect(() => run("app", missing)).toThrow(new InitError(`--package: ${missing} does not exist: run \`npm pack\` in a Foreman checkout first`));
    expect(existsSync(path.join(work, "app"))).toBe(false);
  });

  it("says how to use it when the directory or the command is missing", () => {
    expect(cli("init")).toMatchObject({ code: 2, err: expect.stringContaining("init: give the directory to create") });
    expect(cli("create", "x")).toMatchObject({ code: 2, err: expect.stringContaining(`Unknown command "create"`) });
    expect(cli("init", "a", "--package")).toMatchObject({ code: 2, err: expect.stringContaining("--package: needs a value") });
    expect(cli("--help")).toMatchObject({ code: 0, out: expect.stringContaining("Usage: foreman-agents init <dir>") });
  });

  it("refuses a directory name with no letter or digit", () => {
    expect(() => projectName("---")).toThrow("the directory's name must contain a letter or digit");
  });
});

describe("the template", () => {
  /** Binding names, Durable Object classes and queue names a wrangler.toml declares. */
  const declared = (toml: string) =>
    [...toml.matchAll(/^\s*(?:binding|name|class_name|queue|dead_letter_queue|new_sqlite_classes|crons)\s*=\s*(.+)$/gm)].map((m) => m[0]!.replace(/\s+/g, " ").trim()).filter((line) => !line.startsWith("name = \"foreman\""));

  it("declares every binding, class, queue and cron of Foreman's own wrangler.toml", () => {
    const ours = new Set(declared(readFileSync(path.join(repo, "wrangler.toml"), "utf8")));
    const template = new Set(declared(readFileSync(path.join(repo, "template", "wrangler.toml"), "utf8")));
    expect([...ours].filter((line) => !template.has(line))).toEqual([]);
  });

  it("declares every [vars] entry of Foreman's own wrangler.toml", () => {
    const vars = (toml: string) => [...(toml.split("[vars]")[1]!.split(/^\[/m)[0]!).matchAll(/^([A-Z_]+)\s*=/gm)].map((m) => m[1]);
    expect(vars(readFileSync(path.join(repo, "template", "wrangler.toml"), "utf8"))).toEqual(vars(readFileSync(path.join(repo, "wrangler.toml"), "utf8")));
  });

  it("is what examples/shop-worker is built from: the shared files are the same", () => {
    const example = path.join(repo, "examples", "shop-worker");
    for (const file of ["tsconfig.json", "test/apply-migrations.ts", "test/node/fake-anthropic.ts"]) {
      expect(readFileSync(path.join(example, file), "utf8"), file).toBe(readFileSync(path.join(repo, "template", file), "utf8"));
    }
    expect(readFileSync(path.join(example, "wrangler.toml"), "utf8")).toBe(readFileSync(path.join(repo, "template", "wrangler.toml"), "utf8").replaceAll("my-agent", "shop-worker"));
    const examplePkg = JSON.parse(readFileSync(path.join(example, "package.json"), "utf8"));
    const templatePkg = JSON.parse(readFileSync(path.join(repo, "template", "package.json"), "utf8"));
    expect(examplePkg.devDependencies).toEqual(templatePkg.devDependencies);
    expect(examplePkg.scripts).toEqual(templatePkg.scripts);
  });
});
