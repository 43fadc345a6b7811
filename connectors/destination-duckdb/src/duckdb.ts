import type { DuckDBInstance, Json } from '@duckdb/node-api';
import {
  createLogger,
  defineDestination,
  DestinationClient,
  type CheckResult,
  type Logger,
  type SourceMessage,
  type StateMessage,
  type WriteContext,
} from '@mage-int/core';
import { ansiQuoteLiteral, quoteIdentifier } from '@mage-int/core/sql';
import { configSpec, resolveConfig, type Config } from './options.js';
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

/** Runs a pipeline's after_load SQL, unqualified names resolving to the target schema. */
export async function executeDuckDB(config: Config, sql: string): Promise<void> {
  const resolved = resolveConfig(config);
  const session = await Session.open(resolved.path);
  try {
    await session.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(resolved.schema)}; SET schema = ${ansiQuoteLiteral(resolved.schema)}`);
    await session.run(sql);
  } finally {
    await session.close(true);
  }
}

export interface DuckDBOptions {
  config?: Config;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * The DuckDB destination as an object: load Singer messages (checked as the runner checks them), then query what
 * arrived. It keeps its database open between calls (so `":memory:"` works across them) until `close()`.
 *
 * ```ts
 * const db = new DuckDB({ config: { path: 'warehouse.duckdb' } });
 * for await (const state of db.write(messages)) saveState(state.value);
 * console.log(await db.query('SELECT count(*) AS n FROM users'));
 * await db.close();
 * ```
 */
export class DuckDB extends DestinationClient<Config> {
  private instance?: Promise<DuckDBInstance>;

  constructor({ config = {}, logger, signal }: DuckDBOptions = {}) {
    // The connector, loading into this object's open database rather than opening `path` for each write.
    const bound = defineDestination<Config>({
      kind: 'destination',
      name: 'duckdb',
      spec: configSpec,
      check: async (resolved) => checkDuckDB(resolved, await this.open()),
      write: (resolved, messages, ctx) => bindInstance(resolved, messages, ctx, () => this.open()),
    });
    super(bound, { config, logger: logger ?? createLogger({ name: 'duckdb' }), ...(signal ? { signal } : {}) });
  }

  private open(): Promise<DuckDBInstance> {
    this.instance ??= openInstance(resolveConfig(this.config).path);
    return this.instance;
  }

  /** Runs SQL and returns the rows as JSON values (big integers and decimals as exact strings). */
  async query(sql: string): Promise<Record<string, Json>[]> {
    const session = await Session.open(resolveConfig(this.config).path, await this.open());
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
    const path = resolveConfig(this.config).path;
    if (path !== MEMORY) {
      const session = await Session.open(path, db);
      await session.close(true);
    }
    db.closeSync();
  }
}

async function* bindInstance(
  config: Config,
  messages: AsyncIterable<SourceMessage>,
  ctx: WriteContext,
  open: () => Promise<DuckDBInstance>,
): AsyncGenerator<StateMessage> {
  yield* writeToDuckDB(config, messages, ctx, await open());
}
