import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Catalog } from '@mage-int/core';
import source from '../src/index.js';
import { MySQL } from '../src/index.js';
import { createTestDatabase, select, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let catalog: Catalog;
const user = `mage_ro_${randomBytes(4).toString('hex')}`;
const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`CREATE TABLE t (id int PRIMARY KEY, v int)`);
  // A user who may read the tables but not the binlog.
  await db.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY 'secret-pw'`);
  await db.sql(`GRANT SELECT ON \`${db.name}\`.* TO '${user}'@'%'`);
  catalog = await new MySQL({ config: db.config }).discover();
});
afterAll(async () => {
  await db?.sql(`DROP USER IF EXISTS '${user}'@'%'`).catch(() => {});
  await db?.drop();
});

describe('check', () => {
  it('connects and says whether LOG_BASED is available', async () => {
    const result = await source.check(db.config, ctx());
    expect(result).toEqual({ ok: true, message: expect.stringMatching(/^connected to MariaDB .*; LOG_BASED available$/) });
  });

  it('names a database that does not exist, and a wrong password, without printing it', async () => {
    expect(await source.check({ ...db.config, database: 'no_such_db_here' }, ctx())).toMatchObject({
      ok: false,
      message: expect.stringContaining('no_such_db_here'),
    });
    const denied = await source.check({ ...db.config, username: user, password: 'wrong-pw' }, ctx());
    expect(denied.ok).toBe(false);
    expect(denied.message).toMatch(/AUTH_FAILED|authentication failed/);
    expect(denied.message).not.toContain('wrong-pw');
  });

  it('says to set ssl_mode: disable when SSL is required and the server offers none', async () => {
    const result = await source.check({ ...db.config, ssl_mode: 'require' }, ctx());
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/SSL/);
    expect(result.message).toContain('ssl_mode: disable');
  });

  it('the read preflight refuses LOG_BASED for a user without REPLICATION SLAVE/CLIENT, naming the grant', async () => {
    const config = { ...db.config, username: user, password: 'secret-pw' };
    await expect(
      source.operations!.preflight!(config, select(catalog, { t: { method: 'FULL_TABLE' } }), { bookmarks: {} }, ctx()),
    ).resolves.toBeUndefined();
    await expect(
      source.operations!.preflight!(config, select(catalog, { t: { method: 'LOG_BASED' } }), { bookmarks: {} }, ctx()),
    ).rejects.toMatchObject({
      code: 'REPLICATION_PERMISSION_MISSING',
      hint: expect.stringContaining('GRANT REPLICATION SLAVE, REPLICATION CLIENT'),
    });
  });

  it('refuses LOG_BASED for a view', async () => {
    await db.sql(`CREATE VIEW v AS SELECT id FROM t`);
    const cat = await new MySQL({ config: { ...db.config, key_properties: { [`${db.name}.v`]: ['id'] } } }).discover();
    await expect(
      source.operations!.preflight!(db.config, select(cat, { v: { method: 'LOG_BASED' } }), { bookmarks: {} }, ctx()),
    ).rejects.toMatchObject({ code: 'LOG_BASED_UNSUPPORTED' });
  });
});
