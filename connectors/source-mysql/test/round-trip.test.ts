// Every MySQL type through the runner into PostgreSQL, DuckDB and MySQL: the values a user reads there are the source's.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline, silentLogger } from '@mage-int/core';
import postgres from '@mage-int/destination-postgres';
import duckdb from '@mage-int/destination-duckdb';
import destinationMysql from '@mage-int/destination-mysql';
import source from '../src/index.js';
import { createTestDatabase, SERVER, type TestDatabase } from './helpers.js';
import mysql from 'mysql2/promise';

let db: TestDatabase;
const pgName = `mage_src_my_rt_${randomBytes(4).toString('hex')}`;
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const dir = mkdtempSync(join(tmpdir(), 'mage-src-my-rt-'));

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`CREATE TABLE zoo (
    id int PRIMARY KEY, flag tinyint(1), bits bit(12), tiu tinyint unsigned, iu int unsigned, bi bigint, biu bigint unsigned,
    exact decimal(65,30), price decimal(10,2), f float, d double,
    day date, at6 datetime(6), ts6 timestamp(6) NULL, clock time(6), yr year,
    label varchar(20), note text, emoji varchar(10), raw varbinary(10), mood enum('sad','ok','happy'), tags set('a','b','c'),
    doc json, pt point)`);
  await db.sql(`INSERT INTO zoo VALUES
    (1, 1, b'101010101010', 255, 4294967295, -9223372036854775808, 18446744073709551615,
     '12345678901234567890123456789012345.123456789012345678901234567890', 19.99, 1.5, 0.1,
     '2024-02-29', '2024-01-02 03:04:05.123456', '2038-01-19 03:14:07.999999', '-838:59:59', 2155,
     'short', 'tab\\tnew\\nline "q" \\\\', '😀🎉', x'00ff10', 'happy', 'a,c', '{"a": [1, 2.50, null], "n": 18446744073709551617}', POINT(1.5, -2.25)),
    (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pgName}`);
  await admin.end();
});
afterAll(async () => {
  await db?.drop();
  const admin = new pg.Client({ ...PG, database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

const expected = {
  id: '1',
  flag: 'true',
  bits: '2730',
  tiu: '255',
  iu: '4294967295',
  bi: '-9223372036854775808',
  biu: '18446744073709551615',
  exact: '12345678901234567890123456789012345.123456789012345678901234567890',
  price: '19.99',
  f: '1.5',
  d: '0.1',
  day: '2024-02-29',
  clock: '-838:59:59.000000',
  yr: '2155',
  label: 'short',
  note: 'tab\tnew\nline "q" \\',
  emoji: '😀🎉',
  mood: 'happy',
  tags: 'a,c',
  pt: 'POINT(1.5 -2.25)',
};

describe('MySQL → PostgreSQL and DuckDB', () => {
  it('PostgreSQL holds every value exactly', async () => {
    // PostgreSQL's time holds 00:00–24:00 only: a MySQL time beyond that is refused by the load (see the README).
    await db.sql(`UPDATE zoo SET clock = '12:34:56.5' WHERE id = 1`);
    try {
      await runPipeline({
        pipelineId: 'rt-pg',
        source,
        sourceConfig: db.config,
        destination: postgres,
        destinationConfig: { host: PG.host, port: PG.port, username: PG.user, database: pgName, schema: 'rt' },
        logger: silentLogger,
      });
    } finally {
      await db.sql(`UPDATE zoo SET clock = '-838:59:59' WHERE id = 1`);
    }
    const client = new pg.Client({ ...PG, database: pgName });
    await client.connect();
    try {
      await client.query(`SET timezone = 'UTC'`);
      const cols = Object.keys(expected)
        .map((c) => `${c}::text AS ${c}`)
        .join(', ');
      const { rows } = await client.query(
        `SELECT ${cols}, to_char(at6, 'YYYY-MM-DD HH24:MI:SS.US') AS at6, to_char(ts6, 'YYYY-MM-DD HH24:MI:SS.US') AS ts6, encode(raw, 'hex') AS raw, doc::text AS doc FROM rt.zoo ORDER BY id`,
      );
      expect(rows[0]).toMatchObject({
        ...expected,
        clock: '12:34:56.5',
        at6: '2024-01-02 03:04:05.123456',
        ts6: '2038-01-19 03:14:07.999999',
        raw: '00ff10',
      });
      expect(rows[0].doc).toContain('18446744073709551617');
      expect(
        Object.entries(rows[1] as Record<string, unknown>)
          .filter(([k]) => k !== 'id')
          .every(([, v]) => v === null),
      ).toBe(true);
    } finally {
      await client.end();
    }
  }, 60_000);

  it('DuckDB holds every value exactly', async () => {
    const path = join(dir, 'rt.duckdb');
    await runPipeline({
      pipelineId: 'rt-duck',
      source,
      sourceConfig: db.config,
      destination: duckdb,
      destinationConfig: { path },
      logger: silentLogger,
    });
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.fromCache(path);
    const connection = await instance.connect();
    try {
      const cols = Object.keys(expected)
        .map((c) => `${c}::VARCHAR AS ${c}`)
        .join(', ');
      const rows = (
        await connection.runAndReadAll(
          `SELECT ${cols}, strftime(at6, '%Y-%m-%d %H:%M:%S.%f') AS at6, strftime(ts6 AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S.%f') AS ts6, hex(raw) AS raw FROM zoo ORDER BY id`,
        )
      ).getRowObjectsJson();
      expect(rows[0]).toMatchObject({
        ...expected,
        flag: 'true',
        at6: '2024-01-02 03:04:05.123456',
        ts6: '2038-01-19 03:14:07.999999',
        raw: '00FF10',
      });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }, 60_000);

  it('MySQL holds every value and every column type exactly', async () => {
    const target = `${db.name}_copy`;
    await runPipeline({
      pipelineId: 'rt-my',
      source,
      sourceConfig: db.config,
      destination: destinationMysql,
      destinationConfig: { host: SERVER.host, port: SERVER.port, username: SERVER.user, database: target },
      logger: silentLogger,
    });
    const client = await mysql.createConnection({ ...SERVER, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
    try {
      const types = async (database: string) =>
        (
          await client.query(
            `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'zoo' AND COLUMN_NAME NOT LIKE '\\_sdc\\_%' ORDER BY ORDINAL_POSITION`,
            [database],
          )
        )[0];
      // destination-mysql keeps every declared type but `text`, which it creates as `longtext` (its README: `text` is also PostgreSQL's name).
      const sourceTypes = ((await types(db.name)) as { name: string; type: string }[]).map((c) =>
        c.type === 'text' ? { ...c, type: 'longtext' } : c,
      );
      expect(await types(target)).toEqual(sourceTypes);
      const values = async (database: string) =>
        (
          await client.query(
            `SELECT id, flag, bits + 0 AS bits, tiu, iu, bi, biu, exact, price, f, d, day, at6, ts6, clock, yr, label, note, emoji, HEX(raw) AS raw, mood, tags, CAST(doc AS char) AS doc, ST_AsText(pt) AS pt FROM \`${database}\`.zoo ORDER BY id`,
          )
        )[0];
      expect(await values(target)).toEqual(await values(db.name));
    } finally {
      await client.query(`DROP DATABASE IF EXISTS \`${target}\``);
      await client.end();
    }
  }, 60_000);
});
