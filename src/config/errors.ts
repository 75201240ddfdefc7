/**
 * Config errors as people read them: one `path: rule` line per problem, e.g.
 * `trust.initial: must be between 0 and 1`. Rules that the schema states carry their own
 * messages; this file words the structural ones (wrong type, unknown field, bad option) and
 * flattens zod's nested union and record-key issues into the branch the user meant.
 */
import type { z } from "zod";

/** One problem in a config: where it is and which rule it breaks. */
export interface ConfigIssue {
  /** Dotted path (`channels.0.type`); odd keys in brackets (`trust.permissions["1.5"]`); `(root)` for the whole config. */
  path: string;
  message: string;
}

type Issue = z.core.$ZodIssue;
type PathSegment = PropertyKey;

/** The path shown for the config object itself. */
export const ROOT_PATH = "(root)";

/**
 * Joins a zod path for humans. Keys like `0.1` or `1.5` would read as two segments after a dot,
 * so keys that are not plain names go in brackets.
 *
 * @example
 * formatPath(["channels", 0, "type"]); // "channels.0.type"
 * formatPath(["trust", "permissions", "1.5"]); // 'trust.permissions["1.5"]'
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += out ? `.${seg}` : String(seg);
    else if (typeof seg === "string" && /^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || ROOT_PATH;
}

/**
 * Joins issues into one line, the message of a {@link ConfigError}.
 *
 * @example
 * formatIssues([{ path: "trust.initial", message: "must be between 0 and 1" }]);
 * // "trust.initial: must be between 0 and 1"
 */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("; ");
}

/**
 * Thrown by `defineAgent` for a config that does not validate; `issues` lists every problem.
 *
 * @example
 * try { defineAgent({ trust: { initial: 2 } }); }
 * catch (e) { if (e instanceof ConfigError) console.log(e.issues); }
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "invalid_config";
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super(formatIssues(issues), options);
    this.issues = issues;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

const quoteAll = (values: readonly unknown[]): string => values.map((v) => JSON.stringify(v)).join(", ");

/**
 * Words the structural issues zod raises where the schema sets no message of its own. Pass it
 * as the `error` option when parsing with the schema directly, as `parseAgentConfig` does.
 *
 * @example
 * agentConfigSchema.safeParse(input, { error: configErrorMap });
 */
export const configErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case "invalid_type":
      if (iss.input === undefined) return "is required";
      if (iss.expected === "int" && typeof iss.input === "number") return "must be a whole number";
      return `expected ${iss.expected === "int" ? "whole number" : iss.expected}, received ${describe(iss.input)}`;
    case "invalid_value":
      return iss.values.length === 1 ? `must be ${quoteAll(iss.values)}` : `must be one of ${quoteAll(iss.values)}`;
    case "too_small":
      return iss.origin === "array" || iss.origin === "string"
        ? `must have at least ${String(iss.minimum)} ${iss.origin === "array" ? "items" : "characters"}`
        : `must be at least ${String(iss.minimum)}`;
    case "too_big":
      return iss.origin === "array" || iss.origin === "string"
        ? `must have at most ${String(iss.maximum)} ${iss.origin === "array" ? "items" : "characters"}`
        : `must be at most ${String(iss.maximum)}`;
    default:
      return undefined;
  }
};

/**
 * Turns zod issues into config issues: one per unknown field, record-key problems under the
 * key, and a failed union reported through the one branch whose fields fit (else its own
 * message), so `{ pattern, ttl: "1", response }` says `ttl: expected number`, not "no match".
 *
 * @example
 * const r = agentConfigSchema.safeParse(input, { error: configErrorMap });
 * if (!r.success) toConfigIssues(r.error.issues);
 */
export function toConfigIssues(issues: readonly Issue[], prefix: readonly PathSegment[] = [], schema?: z.core.$ZodType): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    switch (issue.code) {
      case "unrecognized_keys": {
        const known = schema ? knownKeys(schema, path) : [];
        for (const key of issue.keys) out.push({ path: formatPath(path), message: unknownFieldMessage(key, known) });
        break;
      }
      case "invalid_key":
        out.push({ path: formatPath(path), message: issue.issues[0]?.message ?? issue.message });
        break;
      case "invalid_union": {
        const fitting = issue.errors.filter((branch) => !branch.some((i) => i.code === "unrecognized_keys" && i.path.length === 0));
        const [only] = fitting;
        if (fitting.length === 1 && only) out.push(...toConfigIssues(only, path, schema));
        else out.push({ path: formatPath(path), message: issue.message });
        break;
      }
      default:
        out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}

/**
 * The one wording for a field nobody reads, with the nearest known name when one is close
 * (a typo or a British spelling).
 *
 * @example
 * unknownFieldMessage("optimisation", ["trust", "optimization"]); // 'unknown field "optimisation": did you mean "optimization"?'
 */
export function unknownFieldMessage(key: string, known: readonly string[]): string {
  const near = closest(key, known);
  return near ? `unknown field "${key}": did you mean "${near}"?` : `unknown field "${key}"`;
}

/** The known name within a small edit distance of `word` (case ignored), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 2.5)));
  for (const name of candidates) {
    // A name that is known yet unknown here belongs to another branch of a union: no advice.
    if (name === word) return undefined;
    const distance = editDistance(word.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

type Def = { type: string; shape?: Record<string, z.core.$ZodType>; innerType?: z.core.$ZodType; in?: z.core.$ZodType; element?: z.core.$ZodType; valueType?: z.core.$ZodType; options?: z.core.$ZodType[] };
const defOf = (schema: z.core.$ZodType): Def => schema._zod.def as unknown as Def;

/** The schemas a value at this point may follow, with wrappers (default, optional, pipe) removed. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType[] {
  const def = defOf(schema);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === "pipe" && def.in) return unwrap(def.in);
  if (def.type === "union" && def.options) return def.options.flatMap(unwrap);
  return [schema];
}

/** The field names an object at `path` may have, for suggestions; empty when unknown. */
export function knownKeys(schema: z.core.$ZodType, path: readonly PathSegment[]): string[] {
  let current = unwrap(schema);
  for (const segment of path) {
    current = current.flatMap((s) => {
      const def = defOf(s);
      if (def.shape && typeof segment === "string" && Object.hasOwn(def.shape, segment)) return unwrap(def.shape[segment]!);
      if (def.element && typeof segment === "number") return unwrap(def.element);
      if (def.valueType && def.type === "record") return unwrap(def.valueType);
      return [];
    });
  }
  return [...new Set(current.flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}
