// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): every scenario gets a fresh DuckDB
// file in a temp directory; readTable reads a stream's table back as plain values.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseExactJson } from '@mage-int/core';
import { normalizeIdentifier, quoteIdentifier as q } from '@mage-int/core/sql';
import { defineTestConfig } from '@mage-int/testkit';
import type { Config } from '../src/index.js';

/** A column as the comparison wants it: numbers as exact text, instants as ISO UTC, bytes as base64, JSON parsed. */
function readable(column: string, dataType: string): string {
  const c = q(column);
  if (dataType === 'TIMESTAMP WITH TIME ZONE') return `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
  if (dataType === 'TIMESTAMP') return `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%f')`;
  if (dataType === 'BLOB') return `base64(${c})`;
  if (dataType === 'DOUBLE' || dataType === 'BOOLEAN' || dataType === 'VARCHAR') return c;
  return `${c}::VARCHAR`;
}

export default defineTestConfig<Config>({
  kind: 'destination',
  setup() {
    const dir = mkdtempSync(join(tmpdir(), 'mage-duckdb-conformance-'));
    return {
      config: { path: join(dir, 'target.duckdb'), schema: 'conformance' },
      teardown: () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  async readTable(config, stream) {
    const instance = await DuckDBInstance.fromCache(String(config.path));
    const connection = await instance.connect();
    try {
      const table = normalizeIdentifier(stream, { maxBytes: 255, lowercase: config.lowercase_identifiers ?? true });
      const columns = (
        await connection.runAndReadAll(
          `SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = '${config.schema}' AND table_name = '${table}' ORDER BY column_index`,
        )
      ).getRowObjectsJson();
      if (columns.length === 0) return undefined;
      const select = columns
        .map((c) => `${readable(String(c['column_name']), String(c['data_type']))} AS ${q(String(c['column_name']))}`)
        .join(', ');
      const rows = (await connection.runAndReadAll(`SELECT ${select} FROM ${q(String(config.schema))}.${q(table)}`)).getRowObjectsJson();
      const json = columns.filter((c) => c['data_type'] === 'JSON').map((c) => String(c['column_name']));
      return rows.map((row) => {
        const out: Record<string, unknown> = { ...row };
        for (const name of json) if (typeof out[name] === 'string') out[name] = parseExactJson(out[name]);
        return out;
      });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  },
});
