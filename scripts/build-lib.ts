/**
 * `npm run build` (and `npm pack`, through `prepack`): the package's dist/, JS and .d.ts, from
 * src/lib/index.ts and what it imports. tsc keeps import paths as written, and the source uses
 * extensionless paths (and a few `.ts` ones, for the Node benches), so every relative path in
 * dist/ is then made explicit (`./app` → `./app.js`, `./config` → `./config/index.js`): the
 * output resolves under any resolver (wrangler's bundler, vite, Node, TypeScript's `nodenext`).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const root = path.resolve(import.meta.dirname, "..");
const dist = path.join(root, "dist");

rmSync(dist, { recursive: true, force: true });
execFileSync(path.join(root, "node_modules", ".bin", "tsc"), ["-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit" });

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"']*)\2/g;

/** The explicit path of a relative import in `dir`, for the file that exists in dist/. */
export function explicitPath(dir: string, specifier: string): string {
  const bare = specifier.replace(/\.(ts|tsx|js)$/, "");
  for (const candidate of [`${bare}.js`, `${bare}/index.js`]) {
    if (existsSync(path.join(dir, candidate))) return candidate;
  }
  throw new Error(`dist/: ${specifier} (imported in ${path.relative(dist, dir) || "."}) has no built file`);
}

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* files(full);
    else if (name.endsWith(".js") || name.endsWith(".d.ts")) yield full;
  }
}

let rewritten = 0;
for (const file of files(dist)) {
  const source = readFileSync(file, "utf8");
  const next = source.replace(SPECIFIER, (_match, lead: string, quote: string, specifier: string) => `${lead}${quote}${explicitPath(path.dirname(file), specifier)}${quote}`);
  if (next !== source) {
    writeFileSync(file, next);
    rewritten += 1;
  }
}

// The `foreman-agents` bin (`npx foreman-agents init`): one Node-only file, apart from the worker
// code and its tsconfig, typechecked by tsconfig.node.json. Transpiled alone: it imports only node:*.
const cliSource = path.join(root, "src", "cli", "init.ts");
const cli = ts.transpileModule(readFileSync(cliSource, "utf8"), {
  fileName: cliSource,
  compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
});
const cliOut = path.join(dist, "cli", "init.js");
mkdirSync(path.dirname(cliOut), { recursive: true });
writeFileSync(cliOut, cli.outputText);
chmodSync(cliOut, 0o755);

console.log(`dist/ built: ${rewritten} files with explicit import paths, and the init command`);
