/**
 * `npm run check:layout`: the folders of src/ must not import each other in a circle, and no
 * source file may pass the size STYLE.md sets. dependency-cruiser reads the imports (types
 * included); this script folds its module graph into folders and looks for cycles there, so
 * `a/x.ts → b/y.ts` and `b/z.ts → a/w.ts` fail even though no two files form a circle.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Lines above which a file should be split (STYLE.md: "when a file passes ~400 lines"). */
const MAX_LINES = 400;

interface Cruised {
  modules: Array<{ source: string; dependencies: Array<{ resolved: string; coreModule?: boolean; couldNotResolve?: boolean }> }>;
}

const json = execFileSync("node_modules/.bin/depcruise", ["src", "--no-config", "--ts-pre-compilation-deps", "--output-type", "json"], {
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
const cruised = JSON.parse(json) as Cruised;

/** `src/cost/budget.ts` → `cost`; files at the top of src/ are the root. */
const folderOf = (path: string): string | null => {
  const m = /^src\/([^/]+)\//.exec(path);
  return m ? m[1]! : path.startsWith("src/") ? "(root)" : null;
};

const edges = new Map<string, Map<string, string>>();
for (const mod of cruised.modules) {
  const from = folderOf(mod.source);
  if (!from) continue;
  for (const dep of mod.dependencies) {
    const to = folderOf(dep.resolved);
    if (!to || to === from || dep.coreModule || dep.couldNotResolve) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, `${mod.source} → ${dep.resolved}`);
  }
}

/** Every folder cycle, found by depth-first search from each folder (small graph: a dozen nodes). */
function cycles(): string[][] {
  const found = new Map<string, string[]>();
  const walk = (start: string, node: string, path: string[]) => {
    for (const next of edges.get(node)?.keys() ?? []) {
      if (next === start) {
        const cycle = [...path];
        const key = [...cycle].sort().join(",");
        if (!found.has(key)) found.set(key, cycle);
      } else if (!path.includes(next) && next > start) {
        walk(start, next, [...path, next]);
      }
    }
  };
  for (const start of edges.keys()) walk(start, start, [start]);
  return [...found.values()];
}

const problems: string[] = [];
for (const cycle of cycles()) {
  const links = cycle.map((from, i) => {
    const to = cycle[(i + 1) % cycle.length]!;
    return `    ${from} → ${to}: ${edges.get(from)!.get(to)}`;
  });
  problems.push(`folder cycle ${[...cycle, cycle[0]].join(" → ")}:\n${links.join("\n")}`);
}
for (const mod of cruised.modules) {
  if (!mod.source.startsWith("src/") || mod.source.endsWith(".d.ts")) continue;
  const lines = readFileSync(mod.source, "utf8").split("\n").length;
  if (lines > MAX_LINES) problems.push(`${mod.source} has ${lines} lines (over ${MAX_LINES}): split it`);
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`layout ok: ${cruised.modules.filter((m) => m.source.startsWith("src/")).length} modules, ${edges.size} folders, no folder cycle, no file over ${MAX_LINES} lines`);
