#!/usr/bin/env node
/**
 * `npx foreman-agents init <dir>`: writes a new project running Foreman into `<dir>`, from the
 * package's template/ (wrangler.toml with every binding, src/index.ts with one agent, a test
 * against a local fake model, .dev.vars.example, a README). Node only: this runs on the
 * developer's machine, never in a worker.
 *
 * @example
 * npx foreman-agents init my-agent && cd my-agent && npm install && npm test
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The template's placeholder for the project's name, in package.json, wrangler.toml and the README. */
const TEMPLATE_NAME = "my-agent";
/** Files whose text names the project. */
const NAMED_FILES = new Set(["package.json", "wrangler.toml", "README.md"]);

const USAGE = `Usage: foreman-agents init <dir> [--package <spec>]

Writes a new worker running Foreman into <dir> (which must be empty or absent).
  --package <spec>  what the project's package.json installs foreman-agents from:
                    a version range, a tarball path or a URL (default: ^<this version>)`;

/** What `init` writes, where, and from which package. */
export interface InitOptions {
  /** The directory to write; created when absent, refused when it holds anything. */
  dir: string;
  /** The `foreman-agents` dependency's spec. A relative tarball path is resolved from the working directory. */
  packageSpec?: string;
  /** Where template/ and package.json are: the installed package's root. */
  packageRoot?: string;
}

/**
 * A request `init` refuses (a non-empty directory, a tarball that is not there): its message
 * names the problem and the fix, and nothing has been written.
 *
 * @example
 * try { init({ dir: "taken" }); } catch (err) { if (err instanceof InitError) console.error(err.message); }
 */
export class InitError extends Error {
  override name = "InitError";
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

const defaultRoot = () => path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The project's name, from its directory: an npm package name and a worker name both accept
 * lowercase letters, digits and dashes.
 *
 * @example
 * projectName("./Acme Bakery"); // "acme-bakery"
 */
export function projectName(dir: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 54);
  if (!name) throw new InitError(`${dir}: the directory's name must contain a letter or digit (it names the worker)`);
  return name;
}

/** A spec that is a file on disk (a packed tarball) is made absolute, so it resolves from `<dir>`. */
function dependencySpec(spec: string | undefined, version: string): string {
  if (spec === undefined) return `^${version}`;
  if (spec.trim() === "") throw new InitError("--package: must not be empty: give a version range, a tarball path or a URL");
  const local = spec.startsWith("file:") ? spec.slice("file:".length) : spec;
  if (/\.(tgz|tar\.gz)$/.test(local) && !/^[a-z]+:\/\//.test(local)) {
    const absolute = path.resolve(local);
    if (!existsSync(absolute)) throw new InitError(`--package: ${absolute} does not exist: run \`npm pack\` in a Foreman checkout first`);
    return `file:${absolute}`;
  }
  return spec;
}

/**
 * The template's package.json with the project's name and the versions this package is built
 * and tested with. The dev tools (wrangler, vitest and its workerd pool, the Workers types) are
 * pinned exactly: their releases move together, and a newer wrangler may require Workers types
 * not yet published, which fails `npm install`. Upgrading them is a deliberate step.
 */
function projectPackageJson(template: PackageJson, own: PackageJson, name: string, spec: string): string {
  const ours = (dep: string) => own.dependencies?.[dep] ?? own.devDependencies?.[dep];
  const ranged = (deps: Record<string, string> | undefined) => Object.fromEntries(Object.entries(deps ?? {}).map(([dep, range]) => [dep, ours(dep) ?? range]));
  const exact = (deps: Record<string, string> | undefined) => Object.fromEntries(Object.entries(deps ?? {}).map(([dep, range]) => [dep, (ours(dep) ?? range).replace(/^[\^~]/, "")]));
  const dependencies = { ...ranged(template.dependencies), [own.name]: spec };
  return `${JSON.stringify({ ...template, name, dependencies, devDependencies: exact(template.devDependencies) }, null, 2)}\n`;
}

/** npm leaves dotfiles such as .gitignore out of a package: the template names them `_gitignore`. */
const targetName = (name: string) => (name.startsWith("_") ? `.${name.slice(1)}` : name);

function* templateFiles(dir: string, prefix = ""): Generator<string> {
  for (const entry of readdirSync(dir).sort()) {
    const relative = path.join(prefix, entry);
    if (statSync(path.join(dir, entry)).isDirectory()) yield* templateFiles(path.join(dir, entry), relative);
    else yield relative;
  }
}

/**
 * Writes the project; returns the files written, relative to `dir`. Nothing is written when a
 * check fails.
 *
 * @example
 * init({ dir: "my-agent", packageSpec: "../foreman/foreman-agents-0.1.0.tgz" });
 * // [".dev.vars.example", ".gitignore", "README.md", "package.json", "src/index.ts", ...]
 */
export function init(options: InitOptions): string[] {
  const root = options.packageRoot ?? defaultRoot();
  const templateDir = path.join(root, "template");
  if (!existsSync(templateDir)) throw new InitError(`${templateDir} is missing: reinstall foreman-agents`);
  const own = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as PackageJson;

  const dir = path.resolve(options.dir);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new InitError(`${options.dir} is a file: give the name of a new directory`);
    const present = readdirSync(dir);
    if (present.length > 0) {
      throw new InitError(`${options.dir} is not empty (it holds ${present.slice(0, 3).join(", ")}${present.length > 3 ? ", …" : ""}): give a new or empty directory, so nothing of yours is overwritten`);
    }
  }
  const name = projectName(dir);
  const spec = dependencySpec(options.packageSpec, own.version);

  // Everything is read and rendered before the first write.
  const files = [...templateFiles(templateDir)].map((relative) => {
    const source = readFileSync(path.join(templateDir, relative), "utf8");
    const target = path.join(path.dirname(relative), targetName(path.basename(relative)));
    let text = source;
    if (relative === "package.json") text = projectPackageJson(JSON.parse(source) as PackageJson, own, name, spec);
    else if (NAMED_FILES.has(relative)) text = source.replaceAll(TEMPLATE_NAME, name);
    return { target, text };
  });
  for (const { target, text } of files) {
    mkdirSync(path.dirname(path.join(dir, target)), { recursive: true });
    writeFileSync(path.join(dir, target), text);
  }
  return files.map((f) => f.target);
}

/**
 * The command line: `init <dir> [--package <spec>]`. Returns the exit code: 0 done, 1 refused
 * (the message says why), 2 a usage error.
 *
 * @example
 * process.exitCode = main(["init", "my-agent"]);
 */
export function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    out(USAGE);
    return 0;
  }
  if (command !== "init") {
    err(command === undefined ? USAGE : `Unknown command "${command}": the only command is init.\n\n${USAGE}`);
    return 2;
  }
  let dir: string | undefined;
  let packageSpec = process.env.FOREMAN_AGENTS_PACKAGE || undefined;
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i]!;
    if (arg === "--package") {
      packageSpec = rest[i + 1];
      if (packageSpec === undefined) {
        err("--package: needs a value: a version range, a tarball path or a URL");
        return 2;
      }
      i += 1;
    } else if (arg.startsWith("--package=")) packageSpec = arg.slice("--package=".length);
    else if (arg.startsWith("-")) {
      err(`Unknown option "${arg}".\n\n${USAGE}`);
      return 2;
    } else if (dir === undefined) dir = arg;
    else {
      err(`One directory at a time: got "${dir}" and "${arg}".`);
      return 2;
    }
  }
  if (dir === undefined) {
    err(`init: give the directory to create, e.g. \`npx foreman-agents init my-agent\`.\n\n${USAGE}`);
    return 2;
  }
  try {
    init({ dir, packageSpec });
  } catch (error) {
    if (error instanceof InitError) {
      err(`foreman-agents init: ${error.message}`);
      return 1;
    }
    throw error;
  }
  out(`Created ${dir}. Next:\n\n  cd ${dir}\n  npm install\n  npm test\n\nThen copy .dev.vars.example to .dev.vars, fill it in, and run \`npm run dev\`. See README.md in ${dir}.`);
  return 0;
}

// Run as the package's bin (or `node dist/cli/init.js`), not when imported by a test.
// npx and npm link the bin through node_modules/.bin, so the real paths are compared.
const invoked = process.argv[1] && existsSync(process.argv[1]) ? realpathSync(process.argv[1]) : "";
if (invoked === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = main(process.argv.slice(2));
}
