import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal, JsonText, stringifyRecord, type Catalog, type ConnectorContext, type Logger } from '@mage-int/core';
import source from '../src/index.js';
import { MySQL } from '../src/index.js';
import { collect, createTestDatabase, recordsOf, select, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let catalog: Catalog;
const warnings: string[] = [];
const logger: Logger = {
  debug() {},
  info() {},
  warn(message: string) {
    warnings.push(message);
  },
  error() {},
  child() {
    return logger;
  },
} as unknown as Logger;
const ctx = (): ConnectorContext => ({ logger, signal: new AbortController().signal });

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`SET SESSION sql_mode = ''`);
  await db.sql(`
    CREATE TABLE zoo (
      id int PRIMARY KEY,
      flag tinyint(1), b1 bit(1), b12 bit(12),
      ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned, mi mediumint, miu mediumint unsigned,
      i int, iu int unsigned, bi bigint, biu bigint unsigned,
      exact decimal(65,30), price decimal(10,2), f float, d double,
      day date, at6 datetime(6), at0 datetime, ts6 timestamp(6) NULL, clock time(6), span time, yr year,
      label varchar(20), note text, fixed char(4), emoji varchar(10) CHARACTER SET utf8mb4,
      raw binary(4), vraw varbinary(10), blobby blob,
      mood enum('sad','ok','happy'), tags set('a','b','c'),
      doc json, shape geometry, pt point
    )`);
  await db.sql(`INSERT INTO zoo VALUES
    (1, 1, b'1', b'101010101010',
     -128, 255, -32768, 65535, -8388608, 16777215,
     -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
     '12345678901234567890123456789012345.123456789012345678901234567890', 19.99, 1.5, 0.1,
     '2024-02-29', '2024-01-02 03:04:05.123456', '1000-01-01 00:00:00', '2038-01-19 03:14:07.999999', '-838:59:59.000000', '123:45:06', 2155,
     'short', 'tab\\tnew\\nline "q" \\\\', 'ab', '😀🎉', x'00ff1000', x'', x'cafe',
     'happy', 'a,c',
     '{"a": [1, 2.50, null], "n": 18446744073709551617}', ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'), ST_GeomFromText('POINT(1.5 -2.25)')),
    (2, 0, b'0', b'0', 0, 0, 0, 0, 0, 0, 0, 0, 9223372036854775807, 0,
     '-0.000000000000000000000000000001', -0.01, -3.25, 1e308,
     '0000-00-00', '0000-00-00 00:00:00', '2024-00-10 00:00:00', NULL, '00:00:00', '-00:00:01', 1901,
     '', '', '', '', x'', x'00', x'',
     'sad', '',
     'null', NULL, NULL),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
  catalog = await new MySQL({ config: db.config }).discover();
});
afterAll(async () => db?.drop());

describe('types', () => {
  it('announces every column with its JSON type and its exact sql-datatype', () => {
    const zoo = catalog.streams.find((s) => s.stream === 'zoo')!;
    const p = zoo.schema.properties!;
    expect(zoo.key_properties).toEqual(['id']);
    expect(p['id']).toEqual({ type: ['integer'], 'sql-datatype': 'int(11)' });
    expect(p['flag']).toEqual({ type: ['null', 'boolean'], 'sql-datatype': 'tinyint(1)' });
    expect(p['b12']).toEqual({ type: ['null', 'integer'], 'sql-datatype': 'bit(12)' });
    expect(p['biu']).toEqual({ type: ['null', 'integer'], 'sql-datatype': 'bigint(20) unsigned' });
    expect(p['exact']).toEqual({ type: ['null', 'number'], 'sql-datatype': 'decimal(65,30)' });
    expect(p['at6']).toEqual({ type: ['null', 'string'], format: 'date-time', 'sql-datatype': 'datetime(6)' });
    expect(p['ts6']).toEqual({ type: ['null', 'string'], format: 'date-time', 'sql-datatype': 'timestamp(6)' });
    expect(p['clock']).toEqual({ type: ['null', 'string'], 'sql-datatype': 'time(6)' });
    expect(p['yr']).toEqual({ type: ['null', 'integer'], 'sql-datatype': 'year(4)' });
    expect(p['raw']).toEqual({ type: ['null', 'string'], contentEncoding: 'base16', 'sql-datatype': 'binary(4)' });
    expect(p['mood']).toEqual({ type: ['null', 'string'], 'sql-datatype': "enum('sad','ok','happy')" });
    expect(p['doc']).toMatchObject({ type: ['null', 'object', 'array', 'string', 'number', 'integer', 'boolean'], 'sql-datatype': 'json' });
    expect(p['shape']).toEqual({ type: ['null', 'string'], 'sql-datatype': 'geometry' });
    const rk = zoo.metadata.find((m) => m.breadcrumb.length === 0)!.metadata['valid-replication-keys'] as string[];
    expect(rk).toContain('at6');
    expect(rk).not.toContain('doc');
  });

  it('reads every value exactly: unsigned bigint max, decimal(65,30), µs timestamps in UTC, negative and long times, emoji, bytes, json, WKT', async () => {
    warnings.length = 0;
    const messages = await collect(source.read(db.config, select(catalog, { zoo: { method: 'FULL_TABLE' } }), { bookmarks: {} }, ctx()));
    const [one, two, three] = recordsOf(messages, 'zoo');
    expect(one).toMatchObject({
      id: 1,
      flag: true,
      b1: true,
      b12: 0b101010101010,
      ti: -128,
      tiu: 255,
      si: -32768,
      siu: 65535,
      mi: -8388608,
      miu: 16777215,
      i: -2147483648,
      iu: 4294967295,
      bi: -9223372036854775808n,
      biu: 18446744073709551615n,
      f: 1.5,
      d: 0.1,
      day: '2024-02-29',
      at6: '2024-01-02T03:04:05.123456',
      at0: '1000-01-01T00:00:00',
      ts6: '2038-01-19T03:14:07.999999+00:00',
      clock: '-838:59:59.000000',
      span: '123:45:06',
      yr: 2155,
      label: 'short',
      note: 'tab\tnew\nline "q" \\',
      fixed: 'ab',
      emoji: '😀🎉',
      raw: '00ff1000',
      vraw: '',
      blobby: 'cafe',
      mood: 'happy',
      tags: 'a,c',
      shape: 'POLYGON((0 0,1 0,1 1,0 0))',
      pt: 'POINT(1.5 -2.25)',
    });
    expect(one!['exact']).toEqual(new Decimal('12345678901234567890123456789012345.123456789012345678901234567890'));
    expect((one!['price'] as Decimal).text).toBe('19.99');
    expect(one!['doc']).toBeInstanceOf(JsonText);
    // Exact through serialisation: the big integer inside the JSON and the unsigned bigint keep every digit.
    const line = stringifyRecord(one!);
    expect(line).toContain('"biu":18446744073709551615');
    expect(line).toContain('18446744073709551617');
    expect(two).toMatchObject({
      flag: false,
      b1: false,
      b12: 0,
      bi: 9223372036854775807n,
      biu: 0,
      d: 1e308,
      f: -3.25,
      span: '-00:00:01',
      yr: 1901,
      raw: '00000000',
      vraw: '00',
      tags: '',
      label: '',
      emoji: '',
    });
    expect((two!['exact'] as Decimal).text).toBe('-0.000000000000000000000000000001');
    // Zero dates become NULL, with one warning naming each column.
    expect(two).toMatchObject({ day: null, at6: null, at0: null, ts6: null });
    expect(warnings.filter((w) => w.includes('zero dates'))).toHaveLength(3);
    expect(warnings.some((w) => w.includes('"day"'))).toBe(true);
    expect(
      Object.entries(three!)
        .filter(([k]) => k !== 'id')
        .every(([, v]) => v === null),
    ).toBe(true);
  });

  it('fails on a zero date naming stream, record and column when zero_dates is error', async () => {
    const config = { ...db.config, zero_dates: 'error' as const };
    await expect(
      collect(source.read(config, select(catalog, { zoo: { method: 'FULL_TABLE' } }), { bookmarks: {} }, ctx())),
    ).rejects.toMatchObject({
      code: 'ZERO_DATE',
      stream: `${db.name}-zoo`,
      record: 1,
      field: 'day',
    });
  });
});
