import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  Decimal,
  encodeSingerMessage,
  parseExactJson,
  recordsDecoded,
  JsonText,
  MemoryStateStore,
  runPipeline,
  silentLogger,
  type Catalog,
  type ConnectorContext,
  type RecordData,
  type SourceMessage,
  type State,
} from '@mage-int/core';
import source from '../src/index.js';
import { PostgreSQL } from '../src/index.js';
import { createTestDatabase, lastState, recordsOf, select, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let catalog: Catalog;
const tmp = mkdtempSync(join(tmpdir(), 'mage-src-pg-types-'));

const COLUMNS = `
  id int PRIMARY KEY, i2 smallint, i4 integer, i8 bigint, num numeric(40,10), num_free numeric, r real, d double precision,
  b boolean, t text, vc varchar(10), ch char(5), u uuid, j json, jb jsonb, jscalar jsonb, by bytea, dt date, tm time,
  ttz timetz, ts timestamp, tstz timestamptz, iv interval, arr_i int[], arr_t text[], arr_2d int[][], arr_num numeric[],
  arr_ts timestamptz[], en mood, dom positive_price, ip inet, net cidr, mac macaddr, mny money, x xml, rng int4range, tsr tstzrange`;

const ROWS = `
  (1, 32767, 2147483647, 9007199254740993, 123456789012345678901234567890.0123456789, 0.000000000000000000001, 1.5, 0.1,
   true, E'héllo\\ttab\\nnew line \\\\ back "q" ✓', 'abc', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
   '{"a": 12345678901234567890, "b": [1, 2.5]}', '[1, "x", null]', '"just a string"', '\\x00ff10', '2024-02-29',
   '23:59:59.999999', '12:00:00.5+05:30', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456+02',
   '1 year 2 mons 3 days 04:05:06.789', '{1,NULL,3}', '{"a b","c,d","e\\"f",NULL,"NULL"}', '{{1,2},{3,4}}', '{1.10,2.20}',
   '{"2024-01-01 00:00:00.000001+00"}', 'happy', 12.50, '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', 1234.56,
   '<a>1</a>', '[1,10)', '[2024-01-01 00:00:00+00,2024-02-01 00:00:00+00)'),
  (2, -32768, -2147483648, -9223372036854775808, 'NaN', -1.5, 'Infinity', '-Infinity', false, '', '', '', NULL, 'null',
   '{}', '42', '\\x', '0044-03-15 BC', '24:00:00', '00:00:00-03', '0001-01-01 00:00:00 BC', 'infinity', '-1 days',
   '{}', '{}', '{}', '{}', '{}', 'sad', 0.01, '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', -5.00, '<b/>', 'empty', '(,)'),
  (3, NULL, NULL, NULL, NULL, NULL, 'NaN', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'infinity', NULL, NULL,
   '-infinity', '-infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;

/** What each row must look like in a record. */
const EXPECTED: RecordData[] = [
  {
    id: 1,
    i2: 32767,
    i4: 2147483647,
    i8: 9007199254740993n,
    num: new Decimal('123456789012345678901234567890.0123456789'),
    num_free: new Decimal('0.000000000000000000001'),
    r: 1.5,
    d: 0.1,
    b: true,
    t: 'héllo\ttab\nnew line \\ back "q" ✓',
    vc: 'abc',
    ch: 'ab   ',
    u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    j: new JsonText('{"a": 12345678901234567890, "b": [1, 2.5]}'),
    jb: new JsonText('[1, "x", null]'),
    jscalar: new JsonText('"just a string"'),
    by: '00ff10',
    dt: '2024-02-29',
    tm: '23:59:59.999999',
    ttz: '12:00:00.5+05:30',
    ts: '2024-01-02T03:04:05.123456',
    tstz: '2024-01-02T01:04:05.123456+00:00',
    iv: 'P1Y2M3DT4H5M6.789S',
    arr_i: [1, null, 3],
    arr_t: ['a b', 'c,d', 'e"f', null, 'NULL'],
    arr_2d: [
      [1, 2],
      [3, 4],
    ],
    arr_num: [new Decimal('1.10'), new Decimal('2.20')],
    arr_ts: ['2024-01-01T00:00:00.000001+00:00'],
    en: 'happy',
    dom: new Decimal('12.50'),
    ip: '192.168.0.1/24',
    net: '10.0.0.0/8',
    mac: '08:00:2b:01:02:03',
    mny: new Decimal('1234.56'),
    x: '<a>1</a>',
    rng: '[1,10)',
    tsr: '["2024-01-01 00:00:00+00","2024-02-01 00:00:00+00")',
  },
  {
    id: 2,
    i2: -32768,
    i4: -2147483648,
    i8: -9223372036854775808n,
    num: Number.NaN,
    num_free: new Decimal('-1.5'),
    r: Infinity,
    d: -Infinity,
    b: false,
    t: '',
    vc: '',
    ch: '     ',
    u: null,
    j: new JsonText('null'),
    jb: new JsonText('{}'),
    jscalar: new JsonText('42'),
    by: '',
    dt: '-0043-03-15',
    tm: '24:00:00',
    ttz: '00:00:00-03:00',
    ts: '0000-01-01T00:00:00',
    tstz: 'infinity',
    iv: 'P-1D',
    arr_i: [],
    arr_t: [],
    arr_2d: [],
    arr_num: [],
    arr_ts: [],
    en: 'sad',
    dom: new Decimal('0.01'),
    ip: '::1',
    net: '2001:db8::/32',
    mac: 'ff:ff:ff:ff:ff:ff',
    mny: new Decimal('-5.00'),
    x: '<b/>',
    rng: 'empty',
    tsr: '(,)',
  },
  {
    id: 3,
    i2: null,
    i4: null,
    i8: null,
    num: null,
    num_free: null,
    r: Number.NaN,
    d: null,
    b: null,
    t: null,
    vc: null,
    ch: null,
    u: null,
    j: null,
    jb: null,
    jscalar: null,
    by: null,
    dt: 'infinity',
    tm: null,
    ttz: null,
    ts: '-infinity',
    tstz: '-infinity',
    iv: null,
    arr_i: null,
    arr_t: null,
    arr_2d: null,
    arr_num: null,
    arr_ts: null,
    en: null,
    dom: null,
    ip: null,
    net: null,
    mac: null,
    mny: null,
    x: null,
    rng: null,
    tsr: null,
  },
];

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE DOMAIN positive_price AS numeric(10,2) CHECK (VALUE > 0);
    CREATE TABLE every_type (${COLUMNS});
    INSERT INTO every_type VALUES ${ROWS};
  `);
  catalog = await new PostgreSQL({ config: db.config }).discover();
});
afterAll(async () => {
  await db.drop();
  rmSync(tmp, { recursive: true, force: true });
});

async function read(cat: Catalog, state: State = { bookmarks: {} }): Promise<SourceMessage[]> {
  const controller = new AbortController();
  const ctx: ConnectorContext = { logger: silentLogger, signal: controller.signal };
  const out: SourceMessage[] = [];
  try {
    for await (const m of source.read(db.config, cat, state, ctx)) {
      out.push(m);
      if (m.type === 'STATE') await source.commit!(db.config, m.value as State, ctx);
    }
  } finally {
    controller.abort();
  }
  return out;
}

function withoutSdc(record: RecordData): RecordData {
  const { _sdc_lsn: _a, _sdc_deleted_at: _b, ...rest } = record;
  return rest;
}

/** Number literals as text, so exactness is compared digit for digit (NaN/Infinity have no JSON form: null). */
function numbersAsText(value: unknown): unknown {
  if (value instanceof JsonText) return numbersAsText(value.value);
  if (value instanceof Decimal) return { number: value.text };
  if (typeof value === 'bigint') return { number: value.toString() };
  if (typeof value === 'number') return Number.isFinite(value) ? { number: JSON.stringify(value) } : null;
  if (Array.isArray(value)) return value.map(numbersAsText);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, numbersAsText(v)]));
  return value;
}

describe('type round-trips', () => {
  it('reads every type exactly (COPY path)', async () => {
    const records = recordsOf(await read(select(catalog, { every_type: { method: 'FULL_TABLE' } })), 'every_type');
    expect(records).toEqual(EXPECTED);
    // json/jsonb travel as PostgreSQL's text; their value parses exactly.
    expect((records[0]?.['j'] as JsonText).value).toEqual({ a: 12345678901234567890n, b: [1, 2.5] });
  });

  it('decodes the native COPY text of a batch back into exactly its records (NativeRows.decode, for a destination that keeps only the text)', async () => {
    const batches = (await read(select(catalog, { every_type: { method: 'FULL_TABLE' } }))).filter((m) => m.type === 'RECORD_BATCH');
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) {
      const native = batch.native;
      expect(native?.decode).toBeTypeOf('function');
      expect(native?.decode?.(native.data)).toEqual(batch.records);
    }
  });

  it("writes every type into the tap's Singer JSON exactly, from the COPY text as from the decoded records", async () => {
    const batches = (await read(select(catalog, { every_type: { method: 'FULL_TABLE' } }))).filter((m) => m.type === 'RECORD_BATCH');
    const lines: string[] = [];
    for (const batch of batches) {
      // Written before anything decodes the batch (as the tap does), then again from its decoded records.
      expect(recordsDecoded(batch.records)).toBe(false);
      const fromText = encodeSingerMessage(batch).toString('utf8');
      expect(fromText).toBe(encodeSingerMessage({ ...batch, records: [...batch.records] }).toString('utf8'));
      lines.push(...fromText.trim().split('\n'));
    }
    // Every number as its literal: bigints beyond 2^53, 30-digit numerics digit for digit (trailing zeros kept).
    const records = lines.map(
      (line) =>
        (
          JSON.parse(line, (_k, v, ctx?: { source?: string }) => (typeof v === 'number' && ctx?.source ? { number: ctx.source } : v)) as {
            record: RecordData;
          }
        ).record,
    );
    // ... µs timestamps, jsonb with nested unicode and numbers, bytea, arrays, NULL vs ''.
    expect(records).toEqual(EXPECTED.map(numbersAsText));
    expect((parseExactJson(lines[0]!) as { record: RecordData }).record['i8']).toBe(9007199254740993n);
    // jsonb with nested unicode, escapes and exact numbers: the Singer line holds PostgreSQL's text of it.
    await db.sql(`CREATE TABLE tap_json (id int PRIMARY KEY, doc jsonb)`);
    await db.sql(`INSERT INTO tap_json VALUES (1, $1)`, ['{"ü": {"日本": ["é\\t😀\\n\\\\", 1.50, 123456789012345678901, null]}}']);
    const cat = select(await new PostgreSQL({ config: db.config }).discover(), { tap_json: { method: 'FULL_TABLE' } });
    const [batch] = (await read(cat)).filter((m) => m.type === 'RECORD_BATCH');
    const line = encodeSingerMessage(batch!).toString('utf8');
    const doc = (parseExactJson(line) as { record: { doc: unknown } }).record.doc;
    expect(doc).toEqual({ ü: { 日本: ['é\t😀\n\\', 1.5, 123456789012345678901n, null] } });
    expect(line).toContain('1.50, 123456789012345678901');
    expect(lines[1]).toContain('"t":"","vc":""');
    expect(lines[2]).toContain('"t":null,"vc":null');
  });

  it('decodes pgoutput changes to the same values as the snapshot', async () => {
    await db.sql(`CREATE TABLE every_type_cdc (LIKE every_type INCLUDING ALL)`);
    const cat = select(await new PostgreSQL({ config: db.config }).discover(), { every_type_cdc: { method: 'LOG_BASED' } });
    const first = await read(cat);
    expect(recordsOf(first, 'every_type_cdc')).toHaveLength(0);
    await db.sql(`INSERT INTO every_type_cdc SELECT * FROM every_type`);
    const changes = recordsOf(await read(cat, lastState(first)), 'every_type_cdc');
    expect(changes.map(withoutSdc)).toEqual(EXPECTED);
  });

  it('round-trips every type into JSON Lines, numbers digit for digit', async () => {
    const jsonl = (await import('@mage-int/destination-jsonl')).default;
    const dir = join(tmp, 'jsonl');
    await runPipeline({
      pipelineId: 'types-jsonl',
      source,
      sourceConfig: db.config,
      destination: jsonl,
      destinationConfig: { destination_path: dir },
      catalog: select(catalog, { every_type: { method: 'FULL_TABLE' } }),
      stateStore: new MemoryStateStore(),
      logger: silentLogger,
    } as never);
    const lines = readFileSync(join(dir, 'every_type.jsonl'), 'utf8').trim().split('\n');
    const parsed = lines.map(
      (line) =>
        JSON.parse(line, (_k, v, ctx?: { source?: string }) =>
          typeof v === 'number' && ctx?.source ? { number: ctx.source } : v,
        ) as RecordData,
    );
    expect(parsed.map((r) => Object.fromEntries(Object.keys(EXPECTED[0]!).map((k) => [k, r[k]])))).toEqual(EXPECTED.map(numbersAsText));
  });
});

/**
 * The same rows as DuckDB holds them, each value cast to VARCHAR: DuckDB's own spelling of the exact value
 * (BLOB escapes, `(BC)` dates, `inf`), with the column types the destination chose from the SCHEMA. JSON is
 * PostgreSQL's text of it, and a JSON `null` stays JSON, distinct from SQL NULL.
 */
const DUCKDB_ROWS: (string | null)[][] = [
  [
    '1',
    '32767',
    '2147483647',
    '9007199254740993',
    '123456789012345678901234567890.0123456789',
    '0.000000000000000000001',
    '1.5',
    '0.1',
    'true',
    'héllo\ttab\nnew line \\ back "q" ✓',
    'abc',
    'ab   ',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '{"a": 12345678901234567890, "b": [1, 2.5]}',
    '[1, "x", null]',
    '"just a string"',
    '\\x00\\xFF\\x10',
    '2024-02-29',
    '23:59:59.999999',
    '12:00:00.5+05:30',
    '2024-01-02 03:04:05.123456',
    '2024-01-02 01:04:05.123456+00',
    'P1Y2M3DT4H5M6.789S',
    '[1,null,3]',
    '["a b","c,d","e\\"f",null,"NULL"]',
    '[[1,2],[3,4]]',
    '[1.10,2.20]',
    '["2024-01-01T00:00:00.000001+00:00"]',
    'happy',
    '12.50',
    '192.168.0.1/24',
    '10.0.0.0/8',
    '08:00:2b:01:02:03',
    '1234.56',
    '<a>1</a>',
    '[1,10)',
    '["2024-01-01 00:00:00+00","2024-02-01 00:00:00+00")',
  ],
  [
    '2',
    '-32768',
    '-2147483648',
    '-9223372036854775808',
    'NaN',
    '-1.5',
    'inf',
    '-inf',
    'false',
    '',
    '',
    '     ',
    null,
    'null',
    '{}',
    '42',
    '',
    '0044-03-15 (BC)',
    '24:00:00',
    '00:00:00-03',
    '0001-01-01 (BC) 00:00:00',
    'infinity',
    'P-1D',
    '[]',
    '[]',
    '[]',
    '[]',
    '[]',
    'sad',
    '0.01',
    '::1',
    '2001:db8::/32',
    'ff:ff:ff:ff:ff:ff',
    '-5.00',
    '<b/>',
    'empty',
    '(,)',
  ],
  [
    '3',
    null,
    null,
    null,
    null,
    null,
    'nan',
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    'infinity',
    null,
    null,
    '-infinity',
    '-infinity',
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
  ],
];

describe('type round-trips into DuckDB', () => {
  it('stores every type exactly in DuckDB', async () => {
    const duckdb = (await import('@mage-int/destination-duckdb')).default;
    const path = join(tmp, 'types.duckdb');
    await runPipeline({
      pipelineId: 'types-duckdb',
      source,
      sourceConfig: db.config,
      destination: duckdb,
      destinationConfig: { path },
      catalog: select(catalog, { every_type: { method: 'FULL_TABLE' } }),
      stateStore: new MemoryStateStore(),
      logger: silentLogger,
    } as never);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.fromCache(path);
    const connection = await instance.connect();
    try {
      const types = Object.fromEntries(
        (await connection.runAndReadAll(`SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'every_type'`))
          .getRows()
          .map((r) => [String(r[0]), String(r[1])]),
      );
      expect(types).toMatchObject({
        i8: 'BIGINT',
        num: 'VARCHAR',
        r: 'DOUBLE',
        dom: 'DECIMAL(10,2)',
        u: 'UUID',
        jb: 'JSON',
        by: 'BLOB',
        dt: 'DATE',
        tm: 'TIME',
        ttz: 'TIME WITH TIME ZONE',
        ts: 'TIMESTAMP',
        tstz: 'TIMESTAMP WITH TIME ZONE',
        arr_i: 'JSON',
      });
      const rows = (
        await connection.runAndReadAll(
          `SELECT COLUMNS(* EXCLUDE (_sdc_table_version, _sdc_deleted_at))::VARCHAR FROM every_type ORDER BY id`,
        )
      ).getRows();
      expect(rows).toEqual(DUCKDB_ROWS);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

describe('type round-trips into PostgreSQL', () => {
  it('copies every type into destination-postgres with the same text in every column, json spacing included', async () => {
    const postgres = (await import('@mage-int/destination-postgres')).default;
    await runPipeline({
      pipelineId: 'types-postgres',
      source,
      sourceConfig: db.config,
      destination: postgres,
      destinationConfig: { ...db.config, schema: 'copied' },
      catalog: select(catalog, { every_type: { method: 'FULL_TABLE' } }),
      stateStore: new MemoryStateStore(),
      logger: silentLogger,
    } as never);
    const columns = (
      await db.sql(`SELECT attname FROM pg_attribute WHERE attrelid = 'public.every_type'::regclass AND attnum > 0 ORDER BY attnum`)
    ).rows.map((r) => String(r.attname));
    // money travels as an exact number (its text depends on lc_monetary) and lands as numeric.
    const text = async (table: string) =>
      (
        await db.sql(
          `SELECT ${columns.map((c) => (c === 'mny' ? 'mny::numeric::text' : `${c}::text`)).join(', ')} FROM ${table} ORDER BY id`,
        )
      ).rows;
    expect(await text('copied.every_type')).toEqual(await text('public.every_type'));
  });
});

describe('PostgreSQL → PostgreSQL as COPY text', () => {
  it('loads the source COPY text unchanged when every column type matches, with the same text in every column', async () => {
    // every_type minus the columns whose text depends on the database (enum, domain, money): all portable.
    await db.sql(`CREATE TABLE portable AS SELECT id, i2, i4, i8, num, num_free, r, d, b, t, vc, ch, u, j, jb, jscalar, by, dt, tm, ttz, ts, tstz, iv,
                    arr_i, arr_t, arr_2d, arr_num, arr_ts, ip, net, mac, x FROM every_type; ALTER TABLE portable ADD PRIMARY KEY (id)`);
    const cat = select(await new PostgreSQL({ config: db.config }).discover(), { portable: { method: 'FULL_TABLE' } });
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const postgres = (await import('@mage-int/destination-postgres')).default;
    const load = () =>
      runPipeline({
        pipelineId: 'native',
        source,
        sourceConfig: db.config,
        destination: postgres,
        destinationConfig: { ...db.config, schema: 'native_copy' },
        catalog: cat,
        stateStore: new MemoryStateStore(),
        logger,
      } as never);
    await load();
    expect(lines.some((line) => line.includes("loading the source database's COPY text as it is"))).toBe(true);
    const columns = (
      await db.sql(`SELECT attname FROM pg_attribute WHERE attrelid = 'public.portable'::regclass AND attnum > 0 ORDER BY attnum`)
    ).rows.map((r) => String(r.attname));
    const text = async (table: string) =>
      (await db.sql(`SELECT ${columns.map((c) => `${c}::text`).join(', ')} FROM ${table} ORDER BY id`)).rows;
    expect(await text('native_copy.portable')).toEqual(await text('public.portable'));
    // A second run upserts the same keys through staging: still the same rows, once each.
    await db.sql(`UPDATE portable SET t = 'changed' WHERE id = 1`);
    await load();
    expect(await text('native_copy.portable')).toEqual(await text('public.portable'));
  });
});
