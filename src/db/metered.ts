/**
 * A D1 database that counts what its queries cost, from D1's own result metadata: rows read, rows
 * written, queries. The jobs consumer logs it per page (docs/scale.md's figures come from it).
 */

export interface Meter {
  queries: number;
  rowsRead: number;
  rowsWritten: number;
}

export function newMeter(): Meter {
  return { queries: 0, rowsRead: 0, rowsWritten: 0 };
}

type Meta = { rows_read?: number; rows_written?: number } | undefined;

/**
 * `db` with every statement's cost added to `meter`. `first()` is answered from `all()` (D1 gives
 * `first()` no metadata), so it returns the same row.
 *
 * @example
 * const meter = newMeter();
 * await metered(env.DB, meter).prepare("SELECT COUNT(*) FROM agents").all();
 * meter.rowsRead; // what D1 says the query read
 */
export function metered(db: D1Database, meter: Meter): D1Database {
  const count = (meta: Meta) => {
    meter.queries += 1;
    meter.rowsRead += meta?.rows_read ?? 0;
    meter.rowsWritten += meta?.rows_written ?? 0;
  };
  const inner = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        switch (prop) {
          case "bind":
            return (...values: unknown[]) => wrap(target.bind(...values));
          case "all":
          case "run":
            return async () => {
              const result = await target[prop]();
              count(result.meta as Meta);
              return result;
            };
          case "first":
            return async (column?: string) => {
              const result = await target.all<Record<string, unknown>>();
              count(result.meta as Meta);
              const row = result.results[0] ?? null;
              return column === undefined || row === null ? row : (row[column] ?? null);
            };
          default: {
            const value = Reflect.get(target, prop, target) as unknown;
            return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          }
        }
      },
    });
    inner.set(proxy, stmt);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql));
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements.map((s) => inner.get(s) ?? s));
          for (const r of results) count(r.meta as Meta);
          return results;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
