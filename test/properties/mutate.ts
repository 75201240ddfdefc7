import fc from "fast-check";
import { anyJson } from "./support";

/** One change to a JSON document: at the path its numbers choose, delete a key, replace a value, or add an unknown key. */
export interface Mutation {
  steps: number[];
  kind: "delete" | "replace" | "add";
  value: unknown;
  key: string;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  steps: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
  kind: fc.constantFrom("delete", "replace", "add"),
  value: anyJson,
  key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "initial", "0.5")),
});

const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] => typeof v === "object" && v !== null;

/** A copy of `doc` with the mutations applied, each at a path chosen by its numbers. */
export function mutate<T>(doc: T, mutations: Mutation[]): unknown {
  const copy = structuredClone(doc) as unknown;
  for (const m of mutations) {
    let node: unknown = copy;
    let parent: Record<string, unknown> | unknown[] | null = null;
    let key: string | number | null = null;
    for (const step of m.steps) {
      if (!isContainer(node)) break;
      const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
      if (keys.length === 0) break;
      parent = node;
      key = keys[step % keys.length]!;
      node = (node as Record<string | number, unknown>)[key];
    }
    if (m.kind === "add" && isContainer(node) && !Array.isArray(node)) {
      Object.defineProperty(node, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    } else if (parent !== null && key !== null) {
      if (m.kind === "delete" && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[key as string];
      else (parent as Record<string | number, unknown>)[key] = m.value;
    }
  }
  return copy;
}
