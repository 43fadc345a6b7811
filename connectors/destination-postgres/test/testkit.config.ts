// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts):
// every scenario gets a fresh schema in a shared scratch database, dropped afterwards; readTable reads a
// stream's table through to_jsonb, so numbers stay exact, timestamps are ISO in UTC and bytes come as base64.
import pg from 'pg';
import { parseExactJson } from '@mage-int/core';
import { normalizeIdentifier } from '@mage-int/core/sql';
import { defineTestConfig } from '@mage-int/testkit';
import type { Config } from '../src/generated/config.js';

const SERVER = {
  host: process.env['PGHOST'] ?? '127.0.0.1',
  port: Number(process.env['PGPORT'] ?? 5432),
  user: process.env['PGUSER'] ?? 'postgres',
};
const DATABASE = 'mage_int_conformance_postgres';
let counter = 0;

async function withClient<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...SERVER, database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function ensureDatabase(): Promise<void> {
  await withClient('postgres', async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) {
      // Two test files may race to create it; the loser's duplicate_database error is fine.
      await client.query(`CREATE DATABASE ${DATABASE}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  });
}

export default defineTestConfig<Config>({
  kind: 'destination',
  async setup() {
    await ensureDatabase();
    const schema = `conformance_${process.pid}_${Date.now().toString(36)}_${++counter}`;
    return {
      config: { host: SERVER.host, port: SERVER.port, username: SERVER.user, database: DATABASE, schema },
      teardown: () => withClient(DATABASE, async (client) => void (await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))),
    };
  },
  async readTable(config, stream) {
    const table = normalizeIdentifier(`${config.table_prefix ?? ''}${stream}`, {
      maxBytes: 63,
      lowercase: config.lowercase_identifiers ?? true,
    });
    const qualified = `"${(config.schema ?? 'public').replace(/"/g, '""')}"."${table.replace(/"/g, '""')}"`;
    return withClient(config.database, async (client) => {
      await client.query(`SET TimeZone TO 'UTC'`);
      const bytea = await client.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND atttypid = 'bytea'::regtype`,
        [qualified],
      );
      const exists = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [qualified]);
      if (!exists.rows[0]?.found) return undefined;
      const base64 = bytea.rows.map(
        (r) => `'${r.name.replace(/'/g, "''")}', translate(encode(fixture_row."${r.name.replace(/"/g, '""')}", 'base64'), E'\\n', '')`,
      );
      const row = base64.length > 0 ? `to_jsonb(fixture_row) || jsonb_build_object(${base64.join(', ')})` : 'to_jsonb(fixture_row)';
      const result = await client.query<{ row: string }>(`SELECT (${row})::text AS row FROM ${qualified} fixture_row`);
      return result.rows.map((r) => parseExactJson(r.row) as Record<string, unknown>);
    });
  },
});
