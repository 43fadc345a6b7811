// Mage's destination-postgres keys (`table`, `skip_schema_creation`, `allow_reserved_words`) in a config written the
// way Mage documents it, against the local PostgreSQL.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceMessage } from '@mage-int/core';
import { createDatabase, load, query, readTable } from './helpers.js';

let database: { name: string; drop: () => Promise<void> };
const role = `dpg_mage_${process.pid}`;
beforeAll(async () => {
  database = await createDatabase('dpg_mage_keys');
});
afterAll(async () => {
  await database?.drop();
  await query('postgres', `DROP ROLE IF EXISTS ${role}`);
});

/** A Mage destination block: `username`, `lower_case` and the keys under test, as a Mage pipeline carries them. */
function mageConfig(schema: string, extra: Record<string, unknown> = {}, username = 'postgres') {
  return { host: '127.0.0.1', port: 5432, database: database.name, schema, username, password: '', lower_case: true, ...extra };
}

const orders = (stream = 'orders'): SourceMessage[] => [
  {
    type: 'SCHEMA',
    stream,
    schema: { type: 'object', properties: { id: { type: 'integer' }, default: { type: ['null', 'string'] } } },
    key_properties: ['id'],
  },
  { type: 'RECORD', stream, record: { id: 1, default: 'yes' } },
  { type: 'RECORD', stream, record: { id: 2, default: null } },
];

describe("Mage's destination keys", () => {
  it('table: the one stream loads the named table; a second stream is refused', async () => {
    await load(mageConfig('mage_table', { table: 'Orders_Copy' }) as never, orders());
    const tables = await query<{ table_name: string }>(
      database.name,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'mage_table' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(['Orders_Copy']);
    expect((await readTable(database.name, 'mage_table', 'Orders_Copy')).map((r) => r['id'])).toEqual([1, 2]);

    // Mage's template writes an empty table: each stream loads its own
    await load(mageConfig('mage_table_empty', { table: '' }) as never, orders());
    expect((await readTable(database.name, 'mage_table_empty', 'orders')).map((r) => r['id'])).toEqual([1, 2]);

    const two = [...orders('orders'), ...orders('customers')];
    await expect(load(mageConfig('mage_table', { table: 'orders_copy' }) as never, two)).rejects.toThrow(
      /"table" names one table \(orders_copy\) but streams "orders" and "customers" both arrived/,
    );
  });

  it('allow_reserved_words: false gives a reserved column name the `_` prefix Mage gives it; true (the default) keeps it', async () => {
    await load(mageConfig('mage_reserved', { allow_reserved_words: false }) as never, orders());
    const prefixed = await readTable(database.name, 'mage_reserved', 'orders');
    expect(prefixed.map((r) => [r['id'], r['_default']])).toEqual([
      [1, 'yes'],
      [2, null],
    ]);
    expect(prefixed[0]).not.toHaveProperty('default');

    await load(mageConfig('mage_reserved_kept', { allow_reserved_words: true }) as never, orders());
    expect((await readTable(database.name, 'mage_reserved_kept', 'orders')).map((r) => r['default'])).toEqual(['yes', null]);
  });

  it('skip_schema_creation: a user who may not create schemas loads into its existing schema; a missing schema is named', async () => {
    // A user with CREATE on its own schema only: PostgreSQL refuses it even `CREATE SCHEMA IF NOT EXISTS` of that schema.
    await query('postgres', `DROP ROLE IF EXISTS ${role}`);
    await query('postgres', `CREATE ROLE ${role} LOGIN`);
    await query(database.name, `REVOKE CREATE ON DATABASE ${database.name} FROM PUBLIC`);
    await query(database.name, `CREATE SCHEMA mage_own AUTHORIZATION ${role}`);

    await expect(load(mageConfig('mage_own', {}, role) as never, orders())).rejects.toThrow(/permission denied for database/);

    await load(mageConfig('mage_own', { skip_schema_creation: true }, role) as never, orders());
    expect((await readTable(database.name, 'mage_own', 'orders')).map((r) => r['id'])).toEqual([1, 2]);

    await expect(load(mageConfig('mage_absent', { skip_schema_creation: true }) as never, orders())).rejects.toThrow(
      /schema "mage_absent" does not exist, and skip_schema_creation says not to create it/,
    );
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: database.name });
    await client.connect();
    try {
      // Nothing was created for the refused run.
      expect((await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'mage_absent'`)).rowCount).toBe(0);
      await client.query(`DROP SCHEMA mage_own CASCADE`);
    } finally {
      await client.end();
    }
  });
});
