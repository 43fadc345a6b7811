// MySQL 8 paths (caching_sha2_password, the json type, GTID sets with server UUIDs, the position read before the
// snapshot) against a real MySQL, when MYSQL_URL points at one: mysql://user:password@host:3306 (the user needs
// CREATE/DROP DATABASE, REPLICATION SLAVE and REPLICATION CLIENT). Skipped otherwise: this machine has MariaDB only.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Catalog } from '@mage-int/core';
import source from '../src/index.js';
import { MySQL } from '../src/index.js';
import type { Config } from '../src/generated/config.js';
import { collect, lastState, recordsOf, select } from './helpers.js';

const url = process.env['MYSQL_URL'];

describe.skipIf(!url)('MySQL 8 (MYSQL_URL)', () => {
  const name = `mage_src_my8_${randomBytes(4).toString('hex')}`;
  let admin: mysql.Connection;
  let config: Config;
  let catalog: Catalog;
  const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal, pipelineId: name });

  beforeAll(async () => {
    const parsed = new URL(url as string);
    admin = await mysql.createConnection({
      host: parsed.hostname,
      port: Number(parsed.port || 3306),
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      multipleStatements: true,
    });
    await admin.query(`CREATE DATABASE \`${name}\`; USE \`${name}\`;
      CREATE TABLE t (id bigint unsigned PRIMARY KEY, doc json, at timestamp(6) NULL, amount decimal(65,30));
      INSERT INTO t VALUES (18446744073709551615, '{"n": 18446744073709551617}', '2024-01-02 03:04:05.123456', 1.5)`);
    config = {
      host: parsed.hostname,
      port: Number(parsed.port || 3306),
      username: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      database: name,
    };
    catalog = await new MySQL({ config }).discover();
  });
  afterAll(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin?.end();
  });

  it('connects (caching_sha2_password included) and reports the server', async () => {
    const result = await source.check(config, ctx());
    expect(result.ok, result.message).toBe(true);
    expect(result.message).toMatch(/MySQL/);
  });

  it('announces json as json and reads it exactly', async () => {
    expect(catalog.streams[0]?.schema.properties?.['doc']).toMatchObject({ 'sql-datatype': 'json' });
    const records = recordsOf(
      await collect(source.read(config, select(catalog, { t: { method: 'FULL_TABLE' } }), { bookmarks: {} }, ctx())),
      't',
    );
    expect(records[0]).toMatchObject({ id: 18446744073709551615n, at: '2024-01-02T03:04:05.123456+00:00' });
    expect(String((records[0]!['doc'] as { text: string }).text)).toContain('18446744073709551617');
  });

  it('snapshots, then reads the binlog with the GTID set and server uuid in the state', async () => {
    const cat = select(catalog, { t: { method: 'LOG_BASED' } });
    const first = await collect(source.read(config, cat, { bookmarks: {} }, ctx()));
    const state = lastState(first);
    const bookmark = state.bookmarks[`${name}-t`]!;
    expect(bookmark['server_uuid']).toMatch(/^[0-9a-f-]{36}$/);
    await admin.query(`INSERT INTO \`${name}\`.t VALUES (1, '[]', NULL, 2); DELETE FROM \`${name}\`.t WHERE id = 18446744073709551615`);
    const next = await collect(source.read(config, cat, state, ctx()));
    const changes = recordsOf(next, 't');
    expect(changes.map((r) => [r['id'], r['_sdc_deleted_at'] === null])).toEqual([
      [1, true],
      [18446744073709551615n, false],
    ]);
    const gtid = lastState(next).bookmarks[`${name}-t`]!['gtid'];
    if (gtid !== undefined) expect(String(gtid)).toMatch(/^[0-9a-f-]{36}:/);
  });
});
