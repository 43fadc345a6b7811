// The DuckDB behind the warehouse stand-ins (BigQuery, Snowflake): an in-memory database on one connection, every
// statement run in turn (a stand-in serves one request at a time to it, as a single session would), and results
// read back as JSON-safe values. Each stand-in translates its vendor's SQL to DuckDB before handing it here.
type DuckConnection = import('@duckdb/node-api').DuckDBConnection;
type DuckReader = import('@duckdb/node-api').DuckDBResultReader;

/** A result: the column names and DuckDB types, and the rows as JSON values (DuckDB's own JSON forms). */
export interface DuckResult {
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
}

export class DuckEngine {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly db: DuckConnection,
    private readonly closeDb: () => void,
  ) {}

  /** A fresh in-memory database. */
  static async start(): Promise<DuckEngine> {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    return new DuckEngine(db, () => {
      db.closeSync();
      instance.closeSync();
    });
  }

  /** Runs `work` once everything queued before it has finished (failed or not). */
  serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  /** Runs one statement (not queued: call inside `serial`). */
  async run(sql: string): Promise<void> {
    await this.db.run(sql);
  }

  /** Runs one statement and reads its whole result (not queued: call inside `serial`). */
  async read(sql: string): Promise<DuckResult> {
    return resultOf(await this.db.runAndReadAll(sql));
  }

  close(): void {
    this.closeDb();
  }
}

/** A DuckDB reader's columns and rows. */
export function resultOf(reader: DuckReader): DuckResult {
  const names = reader.columnNames();
  const types = reader.columnTypes();
  return {
    columns: names.map((name, i) => ({ name, type: String(types[i]) })),
    rows: reader.getRowObjectsJson() as Record<string, unknown>[],
  };
}
