// The SQL the source sends, captured by the stand-in, as a golden file (test/golden/source-snowflake.sql) reviewed
// against Snowflake's documented syntax (links in its header): the session setup, discovery, a query stream's
// LIMIT 0, a full-table read resumed after a key, an incremental read continued after a row (the tie-breaker), and a
// whole-table read with OBJECT/ARRAY columns cast to VARIANT. The stand-in runs each on DuckDB; the golden file is
// what a reviewer compares with Snowflake's documentation.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyState, setMetadata, silentLogger, type Catalog, type State } from '@mage-int/core';
import type { SnowflakeSession } from '@mage-int/snowflake';
import { readAll, type SnowflakeStandIn } from '@mage-int/testkit';
import snowflakeSource, { type Config } from '../src/index.js';
import { seededStandIn } from './seed.js';

const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });
const golden = new URL('./golden/source-snowflake.sql', import.meta.url);

function select(catalog: Catalog, incremental?: string): Catalog {
  for (const entry of catalog.streams) {
    setMetadata(entry, [], { selected: entry.tap_stream_id === 'ORDERS' });
    if (incremental) setMetadata(entry, [], { 'replication-method': 'INCREMENTAL', 'replication-key': incremental });
  }
  return catalog;
}

describe('the SQL source-snowflake sends', () => {
  let standIn: SnowflakeStandIn;
  let config: Config;
  let admin: SnowflakeSession;
  beforeAll(async () => {
    ({ standIn, config, admin } = await seededStandIn());
    config = { ...config, queries: [{ name: 'recent', sql: 'SELECT "ID", "NOTE" FROM "SALES"."ORDERS" WHERE "ID" > 1' }] };
  });
  afterAll(async () => {
    await admin?.close();
    await standIn?.close();
  });

  it('is test/golden/source-snowflake.sql (UPDATE_GOLDEN=1 rewrites it for review)', async () => {
    const cases: [string, string[]][] = [];
    const capture = async (name: string, work: () => Promise<unknown>) => {
      const from = standIn.statements.length;
      await work();
      cases.push([name, standIn.statements.slice(from)]);
    };
    await capture('discover (login setup, warehouse/database check, INFORMATION_SCHEMA, keys, a query stream)', () =>
      snowflakeSource.discover(config, ctx()),
    );
    const catalog = select(await snowflakeSource.discover(config, ctx()));
    const discovery = standIn.statements.length;
    const afterKey: State = { bookmarks: { ORDERS: { version: 1, last_pk_fetched: { ID: 2 } } }, currently_syncing: 'ORDERS' };
    await capture('full table resumed after the last committed key', () => readAll(snowflakeSource, config, catalog, afterKey));
    const incremental = select(await snowflakeSource.discover(config, ctx()), 'UPDATED_AT');
    const afterRow: State = {
      bookmarks: {
        ORDERS: { replication_key: 'UPDATED_AT', replication_key_value: '2024-01-03T12:30:00.123456Z', replication_key_pk: { ID: 3 } },
      },
    };
    await capture('incremental continued after a row (replication key, then key)', () =>
      readAll(snowflakeSource, config, incremental, afterRow),
    );
    const first: State = { bookmarks: { ORDERS: { replication_key: 'UPDATED_AT', replication_key_value: '2024-01-02T00:00:00Z' } } };
    await capture('incremental from a bookmark', () => readAll(snowflakeSource, config, incremental, first));
    void discovery;
    // Only the reads are kept for the read cases: their discovery repeats the first case.
    const reads = cases.map(([name, statements], i): [string, string[]] => [
      name,
      i === 0 ? statements : statements.filter((s) => s.includes('FROM "MAGE_TEST_DB"."SALES"."ORDERS"')),
    ]);
    const header = readFileSync(golden, 'utf8').split('\n-- case: ')[0] as string;
    const text = `${header}${reads.map(([name, statements]) => `\n-- case: ${name}\n${statements.map((s) => `${s};\n`).join('')}`).join('')}`;
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
    expect(emptyState()).toBeDefined();
  });
});
