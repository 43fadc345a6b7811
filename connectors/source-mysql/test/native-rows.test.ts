// Native rows: the PostgreSQL COPY text source-mysql writes from MySQL's row packets decodes to exactly the records
// the driver's rows convert to, goes out only for batches PostgreSQL reads back as those records, and loads into
// PostgreSQL (through destination-postgres, unchanged) the same table the records make.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline, silentLogger, type Logger, type RecordData, type Source } from '@mage-int/core';
import duckdb from '@mage-int/destination-duckdb';
import postgres from '@mage-int/destination-postgres';
import mysqlSource, { MySQL } from '../src/index.js';
import { connect } from '../src/connection.js';
import { NativeRowsWriter } from '../src/native-rows.js';
import { queryBatches, type RowBatch } from '../src/query-rows.js';
import { planTable } from '../src/table-plan.js';
import { fullTableQuery } from '../src/table-streams.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

let db: TestDatabase;
const pgName = `mage_src_my_native_${randomBytes(4).toString('hex')}`;
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const dir = mkdtempSync(join(tmpdir(), 'mage-src-my-native-'));

/** source-mysql with its batches' native rows removed: the records path, for comparison. */
const withoutNative: Source<never> = {
  ...(mysqlSource as Source<never>),
  async *read(config, catalog, state, ctx) {
    for await (const message of mysqlSource.read(config as never, catalog, state, ctx))
      yield message.type === 'RECORD_BATCH' ? { ...message, records: [...message.records], native: undefined } : message;
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`SET SESSION sql_mode = ''`);
  await db.sql(`
    CREATE TABLE every (
      id int PRIMARY KEY,
      flag tinyint(1), b1 bit(1), b12 bit(12), ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned,
      mi mediumint, i int, iu int unsigned, bi bigint, biu bigint unsigned,
      exact decimal(65,30), price decimal(10,2), f float, d double,
      day date, at6 datetime(6), at0 datetime, ts6 timestamp(6) NULL, clock time(6), yr year,
      label varchar(20), fixed char(4), note text, raw varbinary(10), blobby blob,
      mood enum('sad','ok','happy'), tags set('a','b','c'), doc json, pt point
    )`);
  const row = (id: number, changes: Record<string, string> = {}) => {
    const values: Record<string, string> = {
      flag: '1',
      b1: "b'1'",
      b12: "b'101010101010'",
      ti: '-128',
      tiu: '255',
      si: '-32768',
      siu: '65535',
      mi: '-8388608',
      i: '-2147483648',
      iu: '4294967295',
      bi: '-9223372036854775808',
      biu: '9223372036854775807',
      exact: "'-12345678901234567890123456789012345.123456789012345678901234567890'",
      price: '19.99',
      f: '1.5',
      d: '0.1',
      day: "'2024-02-29'",
      at6: "'2024-01-02 03:04:05.123456'",
      at0: "'1000-01-01 00:00:00'",
      ts6: "'2038-01-19 03:14:07.999999'",
      clock: "'23:59:59.999999'",
      yr: '2155',
      label: `'tab\\tnew\\nline\\rcr "q" \\\\ back'`,
      fixed: "'ab'",
      note: "'ünïcödé 日本語 😀 \\\\N'",
      raw: "x'005c0a09ff'",
      blobby: "x'cafe'",
      mood: "'happy'",
      tags: "'a,c'",
      doc: `'{"a": [1, 2.50, null], "n": 18446744073709551617, "s": "x\\\\ty \\\\"q\\\\""}'`,
      pt: "ST_GeomFromText('POINT(1.5 -2.25)')",
      ...changes,
    };
    return `(${id}, ${Object.values(values).join(', ')})`;
  };
  const nulls = Object.fromEntries(
    'flag b1 b12 ti tiu si siu mi i iu bi biu exact price f d day at6 at0 ts6 clock yr label fixed note raw blobby mood tags doc pt'
      .split(' ')
      .map((c) => [c, 'NULL']),
  );
  await db.sql(`INSERT INTO every VALUES
    ${row(1)},
    ${row(2, nulls)},
    ${row(3, { biu: '18446744073709551615' })},
    ${row(4, { clock: "'-838:59:59'" })},
    ${row(5, { note: "'nul \\0 byte'" })},
    ${row(6, { doc: `'{"a": "\\\\u0000"}'` })},
    ${row(7, { day: "'0000-00-00'", at6: "'0000-00-00 00:00:00'", at0: "'2024-00-10 00:00:00'", flag: '5', d: '-1.5e-300', f: '-3.25' })},
    ${row(8, { b12: "b'111111111111'", d: '1e308', price: '-0.01', label: "''", note: "''", raw: "x''", doc: "'null'" })}`);
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

/** The table's batches, one row each, through the native writer or (without it) the driver's row parser. */
async function readBatches(native: boolean): Promise<RowBatch[]> {
  const client = await connect({ ...db.config, port: db.config.port ?? 3306 } as never);
  try {
    const catalog = await new MySQL({ config: db.config }).discover();
    const entry = catalog.streams.find((s) => s.stream === 'every');
    if (!entry) throw new Error('no stream');
    const plan = await planTable(client, { ...db.config, zero_dates: 'null' } as never, entry, silentLogger);
    const writer = native ? NativeRowsWriter.forColumns(plan.columns) : undefined;
    if (native && !writer) throw new Error('every column of the table has a COPY text form');
    const batches: RowBatch[] = [];
    for await (const batch of queryBatches(
      client,
      plan,
      fullTableQuery(plan),
      [],
      1,
      new AbortController().signal,
      writer ? { native: writer } : {},
    ))
      batches.push(batch);
    return batches;
  } finally {
    await client.end();
  }
}

describe('native rows', () => {
  it('decode to exactly the records the driver gives, and go out only where PostgreSQL reads them back as those', async () => {
    const driver = await readBatches(false);
    const native = await readBatches(true);
    expect(native).toHaveLength(8);
    // One record read alone (the source kit reads the last record's keys) before the whole batch.
    expect(native[0]?.records[0]).toEqual(driver[0]?.records[0]);
    expect(native.map((b) => [...b.records])).toEqual(driver.map((b) => b.records));
    for (const batch of native) if (batch.native) expect(batch.native.decode?.(batch.native.data)).toEqual([...batch.records]);
    // 3: bigint unsigned beyond int8; 4: a time beyond 24 h; 5: a NUL byte in text; 6: `\u0000` in JSON.
    expect(native.map((b, i) => (b.native ? i + 1 : -(i + 1)))).toEqual([1, 2, -3, -4, -5, -6, 7, 8]);
    expect(native[1]?.native?.filledFields).toEqual(['id']);
    expect(native[0]?.native?.types).toEqual([
      'integer',
      'boolean',
      'boolean',
      'bigint',
      'bigint',
      'bigint',
      'smallint',
      'bigint',
      'integer',
      'integer',
      'bigint',
      'bigint',
      'bigint',
      'numeric(65,30)',
      'numeric(10,2)',
      'double precision',
      'double precision',
      'date',
      'timestamp without time zone',
      'timestamp without time zone',
      'timestamp without time zone',
      'time without time zone',
      'bigint',
      'character varying(20)',
      'character(4)',
      'text',
      'bytea',
      'bytea',
      'text',
      'text',
      'json',
      'text',
    ]);
  }, 60_000);

  it('load into PostgreSQL unchanged and make the table the records make', async () => {
    await db.sql(`DELETE FROM every WHERE id = 4`); // PostgreSQL's time refuses -838:59:59 on either path
    const debug: string[] = [];
    const logger = { ...silentLogger, debug: (message: string) => debug.push(message), child: () => logger } as unknown as Logger;
    for (const [schema, from] of [
      ['native', mysqlSource],
      ['records', withoutNative],
    ] as const) {
      await runPipeline({
        pipelineId: `native-${schema}`,
        source: from as Source<never>,
        // A batch a row: the rows PostgreSQL reads back as their records go as native rows, the others as records.
        sourceConfig: { ...db.config, batch_size: 1 },
        destination: postgres,
        destinationConfig: { host: PG.host, port: PG.port, username: PG.user, database: pgName, schema, nul_characters: 'strip' },
        streams: { every: { selected: true, replication_method: 'FULL_TABLE' } },
        logger: schema === 'native' ? logger : silentLogger,
      });
    }
    expect(debug.some((m) => m.includes("loading the source database's COPY text as it is"))).toBe(true);
    const client = new pg.Client({ ...PG, database: pgName });
    await client.connect();
    try {
      await client.query(`SET timezone = 'UTC'`);
      // The metadata columns differ by run (batched-at times): the columns read from MySQL are compared.
      const table = async (schema: string) => {
        const { rows: names } = await client.query(
          `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'every' AND column_name NOT LIKE '\\_sdc\\_%' ORDER BY ordinal_position`,
          [schema],
        );
        expect(names).toHaveLength(32);
        const list = names.map((n: RecordData) => `"${n['c']}"`).join(', ');
        return (await client.query(`SELECT (${list})::text AS row FROM ${schema}.every ORDER BY id`)).rows.map((r: RecordData) => r['row']);
      };
      const types = async (schema: string) =>
        (
          await client.query(
            `SELECT string_agg(format_type(atttypid, atttypmod), ', ' ORDER BY attnum) AS t FROM pg_attribute WHERE attrelid = '${schema}.every'::regclass AND attnum > 0 AND NOT attisdropped`,
          )
        ).rows[0]?.t;
      const rows = await table('native');
      expect(rows).toHaveLength(7);
      expect(rows).toEqual(await table('records'));
      expect(await types('native')).toEqual(await types('records'));
    } finally {
      await client.end();
    }
  }, 60_000);

  // destination-duckdb loads PostgreSQL COPY text too (loadsNativeRows): its tables must agree the same way.
  it('load into DuckDB the table the records make', async () => {
    const tables: string[][] = [];
    for (const [name, from] of [
      ['native', mysqlSource],
      ['records', withoutNative],
    ] as const) {
      const path = join(dir, `${name}.duckdb`);
      await runPipeline({
        pipelineId: `native-duck-${name}`,
        source: from as Source<never>,
        sourceConfig: { ...db.config, batch_size: 1 },
        destination: duckdb,
        destinationConfig: { path },
        streams: { every: { selected: true, replication_method: 'FULL_TABLE' } },
        logger: silentLogger,
      });
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const instance = await DuckDBInstance.fromCache(path);
      const connection = await instance.connect();
      try {
        const rows = (
          await connection.runAndReadAll(`SELECT COLUMNS(c -> NOT starts_with(c, '_sdc_')) FROM every ORDER BY id`)
        ).getRowsJson();
        tables.push(rows.map((row) => JSON.stringify(row)));
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    }
    expect(tables[0]).toHaveLength(7);
    expect(tables[0]).toEqual(tables[1]);
  }, 60_000);
});
