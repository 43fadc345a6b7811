import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type SourceMessage } from '@mage-int/core';
import destination from '../src/index.js';
import { baseConfig, createDatabase, load, query } from './helpers.js';

const role = `mage_dest_low_${randomBytes(4).toString('hex')}`;
let db: { name: string; drop: () => Promise<void> };
const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });
const messages: SourceMessage[] = [
  { type: 'SCHEMA', stream: 'people', schema: { type: 'object', properties: { id: { type: 'integer' } } }, key_properties: ['id'] },
  { type: 'RECORD', stream: 'people', record: { id: 1 } },
  { type: 'STATE', value: { bookmarks: {} } },
];

beforeAll(async () => {
  db = await createDatabase('mage_dest_conn');
  await query(db.name, `CREATE ROLE ${role} LOGIN PASSWORD 'pw'; CREATE SCHEMA readonly; GRANT USAGE ON SCHEMA readonly TO ${role}`);
});
afterAll(async () => {
  await db.drop();
  await query('postgres', `DROP ROLE IF EXISTS ${role}`);
});

describe('destination-postgres connection', () => {
  const low = (schema: string) => baseConfig(db.name, schema, { username: role, password: 'pw' });

  it('check and a run both stop with the same message when the user may not create tables in the schema', async () => {
    const checked = await destination.check(low('readonly'), ctx());
    expect(checked).toMatchObject({
      ok: false,
      message: expect.stringContaining(`user ${role} cannot create tables in schema "readonly"`),
    });
    const error = await load(low('readonly'), messages).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SCHEMA_NOT_WRITABLE', hint: expect.stringContaining('GRANT USAGE, CREATE ON SCHEMA "readonly"') });
    expect(checked.message).toContain((error as Error).message);
  });

  it('and when the schema is missing and the user may not create it', async () => {
    const checked = await destination.check(low('brand_new'), ctx());
    expect(checked).toMatchObject({ ok: false, message: expect.stringContaining('schema "brand_new" does not exist and user') });
    await expect(load(low('brand_new'), messages)).rejects.toMatchObject({ code: 'SCHEMA_NOT_CREATABLE' });
  });

  it('passes once the user may create tables there', async () => {
    await query(db.name, `GRANT CREATE ON SCHEMA readonly TO ${role}`);
    expect(await destination.check(low('readonly'), ctx())).toMatchObject({ ok: true });
  });

  it('ssl_mode require against a server without SSL fails with what to change', async () => {
    const checked = await destination.check(baseConfig(db.name, 'public', { ssl_mode: 'require' }), ctx());
    expect(checked).toMatchObject({ ok: false, message: expect.stringContaining('does not support SSL') });
    const error = await load(baseConfig(db.name, 'public', { ssl_mode: 'require' }), messages).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONNECT_FAILED', hint: expect.stringContaining('ssl_mode: disable') });
  });
});
