import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection, type Json } from '@duckdb/node-api';
import { ConnectorError } from '@mage-int/core';

export const MEMORY = ':memory:';

/**
 * Opens the database at `path`. Files go through DuckDB's in-process instance cache, so a program that loads
 * and queries the same file at once shares one database instead of fighting over its lock.
 */
export async function openInstance(path: string): Promise<DuckDBInstance> {
  try {
    if (path === MEMORY) return await DuckDBInstance.create(MEMORY);
    await makeDirectory(dirname(path));
    return await DuckDBInstance.fromCache(path);
  } catch (error) {
    throw new ConnectorError('DUCKDB_OPEN_FAILED', `cannot open DuckDB database ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: /lock/i.test((error as Error).message)
        ? 'another process (a DuckDB shell, a notebook, another load) holds the file open; close it and retry'
        : 'check that the path is a writable DuckDB file (set "path" in the destination config)',
    });
  }
}

/**
 * `mkdir -p` one level at a time. Node's recursive mkdir never returns for some unwritable parents (under /proc it
 * retries forever), which turned a mistyped path into a run that hung instead of failing.
 */
async function makeDirectory(directory: string): Promise<void> {
  const exists = await stat(directory).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (exists) return;
  const parent = dirname(directory);
  if (parent !== directory) await makeDirectory(parent);
  await mkdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}

/** One connection to a DuckDB database: statements, queries, transactions and appenders. */
export class Session {
  private constructor(
    readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly ownsInstance: boolean,
  ) {}

  /** Connects to `instance`, or opens the database at `path` (and closes it again on `close`). */
  static async open(path: string, instance?: DuckDBInstance): Promise<Session> {
    const db = instance ?? (await openInstance(path));
    const connection = await db.connect();
    // Timestamps without an offset mean UTC, whatever the machine's zone.
    await connection.run("SET SESSION TimeZone = 'UTC'");
    return new Session(db, connection, instance === undefined);
  }

  async run(sql: string): Promise<number> {
    const result = await this.connection.run(sql);
    return result.rowsChanged;
  }

  async rows(sql: string): Promise<Record<string, Json>[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJson();
  }

  /** Runs `fn` in one transaction: all of it commits, or none of it. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.connection.run('BEGIN TRANSACTION');
    try {
      const result = await fn();
      await this.connection.run('COMMIT');
      return result;
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  appender(table: string, schema: string, catalog?: string): Promise<DuckDBAppender> {
    return this.connection.createAppender(table, schema, catalog);
  }

  /** Closes the connection; with `checkpoint`, first folds the write-ahead log into the database file. */
  async close(checkpoint = false): Promise<void> {
    try {
      if (checkpoint) await this.connection.run('CHECKPOINT');
    } finally {
      this.connection.closeSync();
      if (this.ownsInstance) this.instance.closeSync();
    }
  }
}
