import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger, type Catalog } from '@mage-int/core';
import source from '../src/index.js';
import { PostgreSQL } from '../src/index.js';
import { explainError } from '../src/connection.js';
import { collect, createTestDatabase, select, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let catalog: Catalog;
const role = `mage_reader_${Math.random().toString(36).slice(2, 8)}`;
const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`
    CREATE TABLE secret (id int PRIMARY KEY, v text);
    CREATE TABLE doomed (id int PRIMARY KEY);
    CREATE ROLE ${role} LOGIN PASSWORD 'pw-${role}';
    GRANT USAGE ON SCHEMA public TO ${role};
  `);
  catalog = await new PostgreSQL({ config: db.config }).discover();
});
afterAll(async () => {
  await db.drop();
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

describe('errors that say what to fix', () => {
  it('reports a missing SELECT permission with the GRANT to run', async () => {
    const config = { ...db.config, username: role, password: `pw-${role}` };
    const error = await collect(source.read(config, select(catalog, { secret: { method: 'FULL_TABLE' } }), { bookmarks: {} }, ctx())).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED', stream: 'public-secret', hint: expect.stringContaining('GRANT SELECT') });
    expect(String((error as Error).message)).not.toContain(`pw-${role}`);
  });

  it('reads with column-level SELECT on exactly the selected columns, and refuses when one is missing', async () => {
    await db.sql(
      `CREATE TABLE partly (id int PRIMARY KEY, public_note text, salary int); INSERT INTO partly VALUES (1, 'hi', 100); GRANT SELECT (id, public_note) ON partly TO ${role}`,
    );
    const config = { ...db.config, username: role, password: `pw-${role}` };
    const cat = select(await new PostgreSQL({ config: db.config }).discover(), { partly: { method: 'FULL_TABLE' } });
    const allowed = structuredClone(cat);
    const salary = allowed.streams
      .find((s) => s.stream === 'partly')!
      .metadata.find((m) => m.breadcrumb.join('.') === 'properties.salary')!;
    salary.metadata['selected'] = false;
    const records = (await collect(source.read(config, allowed, { bookmarks: {} }, ctx()))).flatMap((m) =>
      m.type === 'RECORD_BATCH' ? m.records : [],
    );
    expect(records).toEqual([{ id: 1, public_note: 'hi' }]);
    await expect(collect(source.read(config, cat, { bookmarks: {} }, ctx()))).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      stream: 'public-partly',
    });
  });

  it('reports LOG_BASED without the REPLICATION attribute', async () => {
    const config = { ...db.config, username: role, password: `pw-${role}` };
    await expect(
      collect(source.read(config, select(catalog, { secret: { method: 'LOG_BASED' } }), { bookmarks: {} }, ctx())),
    ).rejects.toMatchObject({
      code: 'REPLICATION_PERMISSION_MISSING',
      hint: expect.stringContaining('WITH REPLICATION'),
    });
  });

  it('reports a dropped table', async () => {
    const cat = select(catalog, { doomed: { method: 'FULL_TABLE' } });
    await db.sql(`DROP TABLE doomed`);
    await expect(collect(source.read(db.config, cat, { bookmarks: {} }, ctx()))).rejects.toMatchObject({
      code: 'TABLE_NOT_FOUND',
      stream: 'public-doomed',
    });
  });

  it('explains wal_level and wrong passwords', () => {
    const wal = explainError(Object.assign(new Error('logical decoding requires wal_level >= logical'), { code: '55000' }), db.config);
    expect(wal).toMatchObject({ code: 'WAL_LEVEL_NOT_LOGICAL', hint: expect.stringContaining('wal_level = logical') });
    const auth = explainError(Object.assign(new Error('password authentication failed for user "x"'), { code: '28P01' }), {
      ...db.config,
      password: 'hunter22',
    });
    expect(auth).toMatchObject({ code: 'AUTH_FAILED' });
    expect(auth.message).not.toContain('hunter22');
  });

  it('never logs the password', async () => {
    const lines: string[] = [];
    const logger = createLogger({ secrets: ['pw-never-shown'], write: (l) => lines.push(l), level: 'debug' });
    const config = { ...db.config, password: 'pw-never-shown' };
    const result = await source.check(config, { logger, signal: new AbortController().signal });
    expect(result.ok).toBe(true);
    for await (const _ of source.read(
      config,
      select(catalog, { secret: { method: 'FULL_TABLE' } }),
      { bookmarks: {} },
      { logger, signal: new AbortController().signal },
    ))
      void _;
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('pw-never-shown');
  });
});
