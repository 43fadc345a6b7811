import { DuckDBInstance } from '@duckdb/node-api';

/** Runs one query against a DuckDB file (opened and closed again, so the CLI can open it next). */
export { duckdbRows as query } from '@mage-int/testkit';

export interface TableCounts {
  rows: number;
  distinct: number;
}

/** Rows and distinct ids of each table (0/0 for a table that does not exist). */
export async function tableCounts(path: string, tables: readonly string[]): Promise<Record<string, TableCounts>> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    const existing = new Set(
      (
        (
          await connection.runAndReadAll("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
        ).getRowObjectsJS() as { table_name: string }[]
      ).map((r) => r.table_name),
    );
    const out: Record<string, TableCounts> = {};
    for (const table of tables) {
      if (!existing.has(table)) {
        out[table] = { rows: 0, distinct: 0 };
        continue;
      }
      const [row] = (await connection.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM "${table}"`)).getRowObjectsJS() as {
        n: bigint;
        d: bigint;
      }[];
      out[table] = { rows: Number(row?.n ?? 0), distinct: Number(row?.d ?? 0) };
    }
    return out;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
