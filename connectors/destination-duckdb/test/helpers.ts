import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type Json } from '@duckdb/node-api';
import {
  silentLogger,
  type ConflictMethod,
  type JsonSchema,
  type SourceMessage,
  type StateMessage,
  type WriteContext,
} from '@mage-int/core';
import destination, { type Config } from '../src/index.js';

/** A temp directory for one test file, removed by `cleanup`. */
export function tempDir(prefix: string): { dir: string; db: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `mage-duckdb-${prefix}-`));
  return { dir, db: (name) => join(dir, `${name}.duckdb`), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeCtx(streams: Record<string, ConflictMethod> = {}): WriteContext {
  return {
    logger: silentLogger,
    signal: new AbortController().signal,
    streams: Object.fromEntries(Object.entries(streams).map(([stream, conflictMethod]) => [stream, { conflictMethod }])),
  };
}

/** Runs the connector's `write` over `messages` and returns the states it yielded. */
export async function load(
  config: Config,
  messages: SourceMessage[] | AsyncIterable<SourceMessage>,
  streams: Record<string, ConflictMethod> = {},
): Promise<StateMessage[]> {
  const states: StateMessage[] = [];
  for await (const state of destination.write(config, toAsync(messages), writeCtx(streams))) states.push(state);
  return states;
}

async function* toAsync<T>(items: T[] | AsyncIterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** Queries a database file (sharing the in-process instance a running load may hold). */
export async function query(path: string, sql: string): Promise<Record<string, Json>[]> {
  const instance = await DuckDBInstance.fromCache(path);
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Column name → DuckDB type of a table. */
export async function columnTypes(path: string, table: string, schema = 'main'): Promise<Record<string, string>> {
  const rows = await query(
    path,
    `SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = '${schema}' AND table_name = '${table}' ORDER BY column_index`,
  );
  return Object.fromEntries(rows.map((r) => [String(r['column_name']), String(r['data_type'])]));
}

export const schema = (stream: string, properties: Record<string, JsonSchema>, keys: string[] = []): SourceMessage => ({
  type: 'SCHEMA',
  stream,
  schema: { type: 'object', properties },
  key_properties: keys,
});
export const record = (
  stream: string,
  data: Record<string, unknown>,
  extra: { version?: number; time_extracted?: string } = {},
): SourceMessage => ({ type: 'RECORD', stream, record: data, ...extra });
export const state = (value: unknown): SourceMessage => ({ type: 'STATE', value });
export const activate = (stream: string, version: number): SourceMessage => ({ type: 'ACTIVATE_VERSION', stream, version });
