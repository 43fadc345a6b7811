import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStateStore, runPipeline, silentLogger } from '@mage-int/core';
import postgres from '@mage-int/source-postgres';
import { S3Source } from '@mage-int/source-s3';
import destination from '../src/index.js';
import { startS3, type S3StandIn } from '@mage-int/files-s3/testing';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const NAME = `mage_dst_s3_${randomBytes(5).toString('hex')}`;

/** A throwaway database of this test file. */
async function createTestDatabase() {
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${NAME}`);
  await admin.end();
  const conn = new pg.Client({ ...ADMIN, database: NAME });
  await conn.connect();
  return {
    config: { host: '127.0.0.1', port: 5432, database: NAME, username: 'postgres', schema: 'public' },
    sql: (text: string) => conn.query(text),
    async drop() {
      await conn.end().catch(() => {});
      const a = new pg.Client(ADMIN);
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
      await a.end();
    },
  };
}
type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

let s3: S3StandIn;
let db: TestDatabase;
let client: S3Client;
const tmp = mkdtempSync(join(tmpdir(), 'mage-dest-s3-roundtrip-'));

beforeAll(async () => {
  s3 = await startS3();
  client = new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  db = await createTestDatabase();
});
afterAll(async () => {
  client.destroy();
  await db.drop();
  await s3.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function objects(prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key as string).sort();
}

async function download(key: string): Promise<string> {
  const path = join(tmp, key.replace(/\//g, '_'));
  writeFileSync(path, await buffer((await client.send(new GetObjectCommand({ Bucket: s3.settings.bucket, Key: key }))).Body as Readable));
  return path;
}

describe('PostgreSQL → S3 Parquet → DuckDB', () => {
  it('keeps every type exact', async () => {
    await db.sql(`
      CREATE TYPE mood AS ENUM ('sad', 'happy');
      CREATE TABLE every_type (id int PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, num numeric(20,6), num_small numeric(20,6), amount numeric(14,2), num_free numeric, num_wide numeric(50,10),
        r real, d double precision, b boolean, t text, vc varchar(10), ch char(5), u uuid, j json, jb jsonb, by bytea, dt date, tm time,
        ttz timetz, ts timestamp, tstz timestamptz, iv interval, arr_i int[], arr_t text[], en mood);
      INSERT INTO every_type VALUES
        (1, 32767, 2147483647, 9223372036854775807, 12345678901234.123456, 1.5, 12.34, 0.000000000000000000001, 1234567890123456789012345678901234567890.0123456789,
         1.5, 0.1, true, E'héllo\\ttab\\nnew line "q" ✓', 'abc', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
         '{"a": 12345678901234567890, "b": [1, 2.5]}', '[1, "x", null]', '\\x00ff10', '2024-02-29', '23:59:59.999999', '12:00:00.5+05:30',
         '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456+02', '1 year 2 mons 3 days 04:05:06.789', '{1,NULL,3}', '{"a b","c,d",NULL}', 'happy'),
        (2, -32768, -2147483648, -9223372036854775808, -0.000001, -0.25, -0.01, -1.5, -1, -2.25, -1e300, false, '', '', '', NULL, 'null', '{}', '\\x',
         '0001-01-01', '00:00:00', '00:00:00-03', '1970-01-01 00:00:00', '1969-12-31 23:59:59.999999+00', '-1 days', '{}', '{}', 'sad'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    `);
    await runPipeline({
      pipelineId: 'pg-to-s3',
      source: postgres,
      sourceConfig: db.config,
      destination,
      destinationConfig: { ...s3.settings, prefix: 'lake', format: 'parquet', compression: 'zstd' },
      stateStore: new MemoryStateStore(),
      logger: silentLogger,
    });
    const keys = await objects('lake/');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^lake\/every_type\/\d{8}T\d{6}Z-[0-9a-f]{6}-00001\.parquet$/);
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`SET TimeZone = 'UTC'`);
    const file = await download(keys[0] as string);
    const types = (
      await duck.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${file}'))`)
    ).getRowObjectsJS();
    expect(Object.fromEntries(types.map((t) => [t['column_name'], t['column_type']]))).toEqual({
      id: 'INTEGER',
      i2: 'SMALLINT',
      i4: 'INTEGER',
      i8: 'BIGINT',
      num: 'DECIMAL(20,6)',
      // The declared precision and scale, not the fewer digits the values need (DECIMAL(7,6) / DECIMAL(4,2)).
      num_small: 'DECIMAL(20,6)',
      amount: 'DECIMAL(14,2)',
      num_free: 'DECIMAL(22,21)',
      // More digits than DECIMAL(38): exact text.
      num_wide: 'VARCHAR',
      r: 'DOUBLE',
      d: 'DOUBLE',
      b: 'BOOLEAN',
      t: 'VARCHAR',
      vc: 'VARCHAR',
      ch: 'VARCHAR',
      u: 'UUID',
      j: 'JSON',
      jb: 'JSON',
      by: 'BLOB',
      dt: 'DATE',
      tm: 'TIME',
      ttz: 'VARCHAR',
      ts: 'TIMESTAMP',
      tstz: 'TIMESTAMP WITH TIME ZONE',
      iv: 'VARCHAR',
      arr_i: 'JSON',
      arr_t: 'JSON',
      en: 'VARCHAR',
    });
    const rows = (await duck.runAndReadAll(`SELECT COLUMNS(*)::VARCHAR FROM read_parquet('${file}') ORDER BY id`)).getRowObjectsJS();
    expect(rows[0]).toEqual({
      id: '1',
      i2: '32767',
      i4: '2147483647',
      i8: '9223372036854775807',
      num: '12345678901234.123456',
      num_small: '1.500000',
      amount: '12.34',
      num_free: '0.000000000000000000001',
      num_wide: '1234567890123456789012345678901234567890.0123456789',
      r: '1.5',
      d: '0.1',
      b: 'true',
      t: 'héllo\ttab\nnew line "q" ✓',
      vc: 'abc',
      ch: 'ab   ',
      u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      j: '{"a": 12345678901234567890, "b": [1, 2.5]}',
      jb: '[1, "x", null]',
      by: '\\x00\\xFF\\x10',
      dt: '2024-02-29',
      tm: '23:59:59.999999',
      ttz: '12:00:00.5+05:30',
      ts: '2024-01-02 03:04:05.123456',
      tstz: '2024-01-02 01:04:05.123456+00',
      iv: 'P1Y2M3DT4H5M6.789S',
      arr_i: '[1,null,3]',
      arr_t: '["a b","c,d",null]',
      en: 'happy',
    });
    expect(rows[1]).toEqual({
      id: '2',
      i2: '-32768',
      i4: '-2147483648',
      i8: '-9223372036854775808',
      num: '-0.000001',
      num_small: '-0.250000',
      amount: '-0.01',
      num_free: '-1.500000000000000000000',
      num_wide: '-1.0000000000',
      r: '-2.25',
      d: '-1e+300',
      b: 'false',
      t: '',
      vc: '',
      ch: '     ',
      u: null,
      j: 'null',
      jb: '{}',
      by: '',
      dt: '0001-01-01',
      tm: '00:00:00',
      ttz: '00:00:00-03:00',
      ts: '1970-01-01 00:00:00',
      tstz: '1969-12-31 23:59:59.999999+00',
      iv: 'P-1D',
      arr_i: '[]',
      arr_t: '[]',
      en: 'sad',
    });
    expect(Object.values(rows[2] as object).filter((v) => v !== null)).toEqual(['3']);

    // And source-s3 reads the object back with its exact types.
    const back = new S3Source({
      config: { ...s3.settings, prefix: 'lake', streams: [{ name: 'every_type', pattern: 'every_type/*.parquet' }] },
    });
    const records = [];
    for await (const message of back.read()) if (message.type === 'RECORD_BATCH') records.push(...message.records);
    expect(records[0]).toMatchObject({
      i8: 9223372036854775807n,
      tstz: '2024-01-02T01:04:05.123456Z',
      ts: '2024-01-02T03:04:05.123456',
      by: Buffer.from('00ff10', 'hex').toString('base64'),
    });
    expect(String(records[0]?.['num'])).toBe('12345678901234.123456');
  });
});
