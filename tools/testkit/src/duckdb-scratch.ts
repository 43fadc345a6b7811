import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStateStore, pipeline, silentLogger, type PipelineDefinition, type RunSummary } from '@mage-int/core';

/**
 * Rows of a query against a DuckDB file, opened and closed again so a pipeline or the CLI can open it next.
 * `@duckdb/node-api` is imported when called: only tests that load DuckDB need it installed.
 */
export async function duckdbRows(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A DuckDB file in a temporary directory of its own, its rows, and `remove()` for afterAll. */
export interface DuckdbScratch {
  readonly path: string;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  remove(): void;
}

/** A scratch DuckDB file `<name>.duckdb` in a new temporary directory (removed again by `remove()`). */
export function duckdbScratch(name: string): DuckdbScratch {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const path = join(dir, `${name}.duckdb`);
  return { path, rows: (sql) => duckdbRows(path, sql), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A pipeline run that can be repeated, the state kept in memory from one run to the next (so the second run is
 * incremental, as a scheduled run is), logging nothing.
 */
export function repeatableRun(definition: Omit<PipelineDefinition, 'stateStore'>): () => Promise<RunSummary> {
  const stateStore = new MemoryStateStore();
  return () => pipeline({ ...definition, stateStore }).run({ logger: silentLogger });
}
