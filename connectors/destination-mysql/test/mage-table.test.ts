// Mage's MySQL destination keys `table` (a one-stream pipeline's table) and `skip_schema_creation` (never create the
// database), in a config as Mage's template writes it, against the local MariaDB.
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceMessage } from '@mage-int/core';
import { MySQL } from '../src/index.js';
import { dropDatabase, readRows, SERVER, uniqueDatabase, withServer } from './mysql-server.js';

const database = uniqueDatabase('mage_table');
const missing = uniqueDatabase('mage_missing');
afterAll(async () => {
  await dropDatabase(database);
  await dropDatabase(missing);
});

const users = (stream: string): SourceMessage[] => [
  {
    type: 'SCHEMA',
    stream,
    key_properties: ['id'],
    schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
  },
  { type: 'RECORD', stream, record: { id: 1, name: 'ada' } },
];

/** Mage's MySQL destination template: database, host, password, port, table, username, use_lowercase. */
const mage = (extra: Record<string, unknown>) => ({ ...SERVER, use_lowercase: true, ...extra }) as never;

describe("Mage's table and skip_schema_creation (destination-mysql)", () => {
  it('table: the one stream loads the table it names; a second stream is refused', async () => {
    await new MySQL({ config: mage({ database, table: 'Users_Export', table_prefix: 'raw_' }) }).load(users('public-users'));
    // named as any stream's table is (lower case), without the prefix
    expect(await readRows(database, 'users_export')).toEqual([{ id: '1', name: 'ada' }]);
    expect(await readRows(database, 'raw_public_users')).toBeUndefined();
    // Mage's template writes table: "": each stream loads its own table
    await new MySQL({ config: mage({ database, table: '' }) }).load(users('own_table'));
    expect(await readRows(database, 'own_table')).toEqual([{ id: '1', name: 'ada' }]);
    await expect(new MySQL({ config: mage({ database, table: 'users_export' }) }).load([...users('a'), ...users('b')])).rejects.toThrow(
      /"table" names one table \(users_export\) but streams "a" and "b" both arrived/,
    );
  });

  it('skip_schema_creation: a missing database is not created and the run stops naming it; an existing one is loaded', async () => {
    await expect(new MySQL({ config: mage({ database: missing, skip_schema_creation: true }) }).load(users('users'))).rejects.toThrow(
      new RegExp(`database "${missing}" does not exist and skip_schema_creation says not to create it`),
    );
    const exists = await withServer(async (client) => {
      const [rows] = (await client.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
        missing,
      ])) as unknown as [unknown[]];
      return rows.length;
    });
    expect(exists).toBe(0);
    await new MySQL({ config: mage({ database, skip_schema_creation: true }) }).load(users('kept'));
    expect(await readRows(database, 'kept')).toEqual([{ id: '1', name: 'ada' }]);
  });
});
