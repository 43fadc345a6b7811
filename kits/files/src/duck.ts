import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * The instance's memory bound. Without one DuckDB's buffer pool takes up to 80% of the machine's memory, and a
 * Parquet file of `file_max_rows` rows converted from its staged CSV held all of it (726–816 MB of peak RSS for 1M
 * rows); past the limit DuckDB spills to `temp_directory`, so memory stays bounded whatever the file's size.
 */
export const DUCK_MEMORY_LIMIT = '128MB';

/** Threads of the instance (the machines this runs on have few cores to share). */
export const DUCK_THREADS = 2;

/**
 * `read_csv` options for the longest line it takes (16 MiB, one record) and its buffer, which must be at least that.
 * DuckDB's buffer defaults to 16× `max_line_size` (a block a limited instance cannot allocate), and the buffers live
 * outside the limit: converting a 1M-row staged CSV to Parquet peaked at 556–665 MB RSS with 64 MiB buffers and a
 * 256MB limit, 269 MB with 16 MiB and 128MB.
 */
export const CSV_LINE_OPTIONS = 'max_line_size = 16777216, buffer_size = 16777216';

/**
 * An in-memory DuckDB for Parquet, on local files only. Extension auto-install and auto-load are off: httpfs and
 * the cloud extensions would download themselves at first use, and objects are moved by the storage SDKs instead.
 * Times are read and written in UTC.
 */
export class Duck {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly spill: string,
  ) {}

  static async open(): Promise<Duck> {
    // Spilled blocks go to a private directory (an in-memory database would otherwise use ./.tmp in the working directory).
    const spill = mkdtempSync(join(tmpdir(), 'mage-int-duck-'));
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      threads: String(DUCK_THREADS),
      memory_limit: DUCK_MEMORY_LIMIT,
      temp_directory: spill,
    });
    const connection = await instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return new Duck(instance, connection, spill);
  }

  /** Another connection to the instance (a statement of its own, run at the same time as others); the caller closes it. */
  async connect(): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    return connection;
  }

  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    rmSync(this.spill, { recursive: true, force: true });
  }
}

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A SQL identifier. */
export function sqlName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
