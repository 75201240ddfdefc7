/**
 * What the documentation must name, derived from the code: every field path of the agent config
 * schema and every route the app registers. The checks are plain functions over the text of the
 * docs, so a test can also show that they notice a missing entry.
 */
import type { z } from "zod";

/** A schema node as zod 4 describes itself; only the parts the walk reads. */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** How a record's keys are written in a path (`tools.mcpServers.<server>.url`); `<name>` otherwise. */
const RECORD_KEYS: Record<string, string> = {
  "tools.mcpServers": "<server>",
  "tools.mcpServers.<server>.headers": "<header>",
  "trust.permissions": "<level>",
};

/**
 * Every field path of a config schema: each object key, nested keys joined with `.`, an array's
 * elements as `[]` (`trust.rules[].metric`), a record's keys as a placeholder, and the arms of a
 * union merged (the channel types share `channels[].features`).
 *
 * @example
 * configPaths(z.strictObject({ budget: z.strictObject({ daily: z.number() }) }));
 * // ["budget", "budget.daily"]
 */
export function configPaths(schema: z.ZodType): string[] {
  const paths = new Set<string>();
  const walk = (node: z.ZodType, path: string): void => {
    const def = defOf(node);
    switch (def.type) {
      case "object":
        for (const [key, child] of Object.entries(def.shape ?? {})) {
          const childPath = path ? `${path}.${key}` : key;
          paths.add(childPath);
          walk(child, childPath);
        }
        return;
      case "array":
        if (def.element) walk(def.element, `${path}[]`);
        return;
      case "record":
        if (def.valueType) walk(def.valueType, `${path}.${RECORD_KEYS[path] ?? "<name>"}`);
        return;
      case "union":
        for (const option of def.options ?? []) walk(option, path);
        return;
      case "optional":
      case "nullable":
      case "default":
      case "prefault":
      case "readonly":
      case "catch":
      case "nonoptional":
        if (def.innerType) walk(def.innerType, path);
        return;
      case "pipe":
        if (def.in) walk(def.in, path);
        return;
      case "lazy":
        if (def.getter) walk(def.getter(), path);
        return;
      default:
        return;
    }
  };
  walk(schema, "");
  return [...paths].sort();
}

/** The config paths a page does not name as code (`` `optimization.budget.daily` ``). */
export function undocumentedConfigPaths(paths: readonly string[], page: string): string[] {
  return paths.filter((path) => !page.includes(`\`${path}\``));
}

/** A route as the app registers it: `GET /v1/agents/:agentId`. */
export interface Route {
  method: string;
  path: string;
}

/** The routes a person calls: middleware entries (`ALL /v1/*`) are left out, duplicates merged. */
export function callableRoutes(routes: readonly Route[]): string[] {
  const names = routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`);
  return [...new Set(names)].sort();
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The ways docs may write one route. Hono's `:action{approve|reject|rollback}` is written as the
 * pattern itself, as its alternatives (`approve|reject|rollback`, `\|` inside a Markdown table),
 * or as each alternative spelt out on its own.
 */
function spellings(route: string): string[][] {
  const alternation = /:[A-Za-z]+\{([^}]+)\}/.exec(route);
  if (!alternation) return [[route]];
  const alternatives = alternation[1]!.split("|");
  const replace = (by: string) => route.replace(alternation[0], by);
  return [[route], [replace(alternatives.join("|"))], [replace(alternatives.join("\\|"))], alternatives.map(replace)];
}

/** Whether `text` names the route, not merely a longer one it starts (`GET /v1/agents` in `GET /v1/agents/:agentId`). */
function names(text: string, route: string): boolean {
  return new RegExp(`${escapeRe(route)}(?![A-Za-z0-9_\\-/:.{])`).test(text);
}

/** The routes no page names as `METHOD /path` (or an equivalent spelling, see `spellings`). */
export function undocumentedRoutes(routes: readonly string[], pages: readonly string[]): string[] {
  const text = pages.join("\n");
  return routes.filter((route) => !spellings(route).some((forms) => forms.every((form) => names(text, form))));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as `-`. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a Markdown page's headings (outside code blocks), with GitHub's `-1` suffixes. */
export function pageAnchors(page: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of page.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = headingAnchor(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Relative links of a page (`[text](target)`), outside code blocks; web and mail links left out. */
export function relativeLinks(page: string): string[] {
  const links: string[] = [];
  let fenced = false;
  for (const line of page.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    for (const match of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (!/^[a-z]+:/i.test(target)) links.push(target);
    }
  }
  return links;
}

/** Resolves `target` against the folder of `from` (both repository-relative, `/`-separated). */
export function resolveLink(from: string, target: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}
