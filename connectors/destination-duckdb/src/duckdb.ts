import type { DuckDBInstance, Json } from '@duckdb/node-api';
import { createLogger, type CheckResult, type Logger, type SourceMessage, type StateMessage, type StreamLoadOptions } from '@mage-int/core';
import { quoteIdentifier } from '@mage-int/core/sql';
import { resolveConfig, type Config, type ResolvedConfig } from './options.js';
import { MEMORY, openInstance, Session } from './session.js';
import { writeToDuckDB } from './write.js';

/** Tests that the database opens and the target schema can be created. */
export async function checkDuckDB(config: Config, instance?: DuckDBInstance): Promise<CheckResult> {
  try {
    const resolved = resolveConfig(config);
    const session = await Session.open(resolved.path, instance);
    try {
      await session.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(resolved.schema)}`);
      const [row] = await session.rows('SELECT version() AS version');
      return { ok: true, message: `DuckDB ${String(row?.['version'] ?? '')} at ${resolved.path}, schema ${resolved.schema}` };
    } finally {
      await session.close();
    }
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

export interface DuckDBWriteOptions {
  streams?: Record<string, StreamLoadOptions>;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * The DuckDB destination as an object: load Singer messages, then query what arrived.
 * It keeps its database open between calls (so `":memory:"` works across them) until `close()`.
 *
 * ```ts
 * const db = new DuckDB({ config: { path: 'warehouse.duckdb' } });
 * for await (const state of db.write(messages)) saveState(state.value);
 * console.log(await db.query('SELECT count(*) AS n FROM users'));
 * db.close();
 * ```
 */
export class DuckDB {
  readonly config: ResolvedConfig;
  private instance?: Promise<DuckDBInstance>;

  constructor({ config = {} }: { config?: Config } = {}) {
    this.config = resolveConfig(config);
  }

  private open(): Promise<DuckDBInstance> {
    this.instance ??= openInstance(this.config.path);
    return this.instance;
  }

  async check(): Promise<CheckResult> {
    return checkDuckDB(this.config, await this.open());
  }

  /** Loads `messages`; yields each STATE once the records before it are committed. */
  async *write(messages: AsyncIterable<SourceMessage> | Iterable<SourceMessage>, options: DuckDBWriteOptions = {}): AsyncGenerator<StateMessage> {
    const instance = await this.open();
    yield* writeToDuckDB(this.config, messages, { logger: options.logger ?? createLogger({ name: 'duckdb' }), streams: options.streams, signal: options.signal, instance });
  }

  /** Runs SQL and returns the rows as JSON values (big integers and decimals as exact strings). */
  async query(sql: string): Promise<Record<string, Json>[]> {
    const session = await Session.open(this.config.path, await this.open());
    try {
      return await session.rows(sql);
    } finally {
      await session.close();
    }
  }

  /** Closes the database. */
  async close(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    if (!instance) return;
    const db = await instance;
    if (this.config.path !== MEMORY) {
      const session = await Session.open(this.config.path, db);
      await session.close(true);
    }
    db.closeSync();
  }
}
