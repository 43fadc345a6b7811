import { spawn } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseExactJson, silentLogger, type SourceMessage, type StateMessage, type StreamLoadOptions } from '@mage-int/core';
import destination, { type Config } from '../src/index.js';

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const BIN = join(PACKAGE_DIR, 'dist/bin.js');
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };

/** A scratch database of its own for one test file; dropped by `drop()`. */
export async function createDatabase(prefix: string): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    drop: async () => {
      const client = new pg.Client({ ...PG, database: 'postgres' });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export function baseConfig(database: string, schema: string, extra: Partial<Config> = {}): Config {
  return { host: PG.host, port: PG.port, username: PG.user, database, schema, ...extra };
}

export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(
  database: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ ...PG, database });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** Runs the destination in process like the runner does; returns the state values it yielded. */
export async function load(
  config: Config,
  messages: AsyncIterable<SourceMessage> | SourceMessage[],
  streams: Record<string, StreamLoadOptions> = {},
  onState?: (state: StateMessage) => Promise<void>,
): Promise<unknown[]> {
  const input = Array.isArray(messages)
    ? (async function* () {
        yield* messages;
      })()
    : messages;
  const states: unknown[] = [];
  const ctx = { logger: silentLogger, signal: new AbortController().signal, streams };
  for await (const state of destination.write(config, input, ctx)) {
    states.push(state.value);
    await onState?.(state);
  }
  return states;
}

/**
 * Every row of a table as JSON (numbers exact, timestamps ISO in UTC, bytea as base64), read through
 * to_jsonb so no driver conversion gets in the way.
 */
export async function readTable(database: string, schema: string, table: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ ...PG, database });
  await client.connect();
  try {
    await client.query(`SET TimeZone TO 'UTC'`);
    const qualified = `"${schema}"."${table}"`;
    const bytea = await client.query<{ name: string }>(
      `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND atttypid = 'bytea'::regtype`,
      [qualified],
    );
    const overrides = bytea.rows.map(
      (r) => `'${r.name.replace(/'/g, "''")}', translate(encode(fixture_row."${r.name.replace(/"/g, '""')}", 'base64'), E'\\n', '')`,
    );
    const expr = overrides.length > 0 ? `to_jsonb(fixture_row) || jsonb_build_object(${overrides.join(', ')})` : 'to_jsonb(fixture_row)';
    const rows = await client.query<{ row: string }>(`SELECT (${expr})::text AS row FROM ${qualified} fixture_row`);
    return rows.rows.map((r) => parseExactJson(r.row) as Record<string, unknown>);
  } finally {
    await client.end();
  }
}

/** Column name → formatted type of a table. */
export async function columnTypes(database: string, schema: string, table: string): Promise<Record<string, string>> {
  const rows = await query<{ name: string; type: string }>(
    database,
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [`"${schema}"."${table}"`],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.type]));
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than src/ (the bin tests run the built target, as users do). */
export function ensureBuilt(): void {
  const stale = !existsSync(BIN) || statSync(BIN).mtimeMs < newestMtime(join(PACKAGE_DIR, 'src'));
  if (stale) execFileSync('npm', ['run', 'build'], { cwd: PACKAGE_DIR, stdio: 'ignore' });
}

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built Singer target with `configPath`, feeding `input` on stdin. */
export function runBin(configPath: string, input: string | Buffer): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--config', configPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}
