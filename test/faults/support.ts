import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { jsonLogger, type Logger } from "../../src/core/logger";
import type { Target } from "../support/agents";

/** The error an injected fault throws, recognisable in logs and assertions. */
export class InjectedFault extends Error {
  constructor(what: string) {
    super(`injected fault: ${what}`);
    this.name = "InjectedFault";
  }
}

/**
 * A binding whose next call to `method` (whose arguments `when` accepts) throws once, or `times`
 * times; every other call, and every later one, reaches the real binding. `failures()` says how
 * many were thrown.
 */
export function failingOnce<T extends object>(
  binding: T,
  method: string,
  opts: { times?: number; when?: (args: unknown[]) => boolean } = {},
): { binding: T; failures(): number } {
  const { times = 1, when = () => true } = opts;
  let thrown = 0;
  const proxy = new Proxy(binding, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop !== method) return value.bind(target);
      return (...args: unknown[]) => {
        if (thrown < times && when(args)) {
          thrown += 1;
          // Asynchronous like the real binding's failures (a rejected promise, not a synchronous throw).
          return Promise.reject(new InjectedFault(`${String(prop)}`));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { binding: proxy, failures: () => thrown };
}

/**
 * A D1 database whose next query fails: the next statement run (`run`, `all`, `first`, `raw`,
 * as drizzle and raw statements do) or the next `batch`, whichever comes first.
 */
export function d1FailingOnce(db: D1Database, times = 1): { binding: D1Database; failures(): number } {
  let thrown = 0;
  const failNow = () => {
    if (thrown >= times) return false;
    thrown += 1;
    return true;
  };
  const real = new WeakMap<object, D1PreparedStatement>();
  const statement = (s: D1PreparedStatement): D1PreparedStatement => {
    const wrapped = new Proxy(s, {
      get(t, p) {
        if (p === "bind") return (...args: unknown[]) => statement(t.bind(...args));
        const v = Reflect.get(t, p);
        if (p === "run" || p === "all" || p === "first" || p === "raw") {
          return (...args: unknown[]) => (failNow() ? Promise.reject(new InjectedFault("D1 statement")) : (v as (...a: unknown[]) => unknown).apply(t, args));
        }
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
    real.set(wrapped, s);
    return wrapped;
  };
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") {
        return (sql: string) => statement(target.prepare(sql));
      }
      if (prop === "batch") {
        // D1 wants its own statements in a batch; a failed batch writes none of them.
        return (statements: D1PreparedStatement[]) =>
          failNow() ? Promise.reject(new InjectedFault("D1 batch")) : target.batch(statements.map((s) => unwrap(s)));
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const unwrap = (s: D1PreparedStatement): D1PreparedStatement => real.get(s) ?? s;
  return { binding: proxy, failures: () => thrown };
}

/** The worker's bindings with some replaced. */
export function envWith(overrides: Partial<Record<keyof Env, unknown>>): Env {
  return new Proxy(env, { get: (target, prop) => (prop in overrides ? overrides[prop as keyof Env] : Reflect.get(target, prop)) }) as Env;
}

/** Every line a JSON logger wrote, parsed. */
export function capturedLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const push = (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>);
  return { logger: jsonLogger({}, { log: push, warn: push, error: push }), lines };
}

/** The real app over the given bindings, answering once its background work has settled. */
export function appOver(bindings: Env, logger: Logger): Target {
  const app = createApp({ logger });
  return {
    async fetch(request) {
      const ctx = createExecutionContext();
      const response = await app.fetch(request, bindings, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
    now: () => Date.now(),
  };
}
