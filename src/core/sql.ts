/**
 * Schema upkeep for Durable Object SQLite storage. Objects live across deployments, so a table
 * created by an older version must gain the columns a newer version reads: `CREATE TABLE IF NOT
 * EXISTS` alone would leave it as it was.
 */

/** The columns a table has. */
export function columnsOf(sql: SqlStorage, table: string): Set<string> {
  return new Set(sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray().map((c) => c.name));
}

/**
 * Adds the columns a table lacks. Each definition must be valid for `ALTER TABLE … ADD COLUMN`
 * (a NOT NULL column needs a default).
 *
 * @example
 * ensureColumns(sql, "claims", { fingerprint: "TEXT", owner: "TEXT" });
 */
export function ensureColumns(sql: SqlStorage, table: string, columns: Record<string, string>): string[] {
  const have = columnsOf(sql, table);
  const added: string[] = [];
  for (const [name, definition] of Object.entries(columns)) {
    if (have.has(name)) continue;
    sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${definition}`);
    added.push(name);
  }
  return added;
}
