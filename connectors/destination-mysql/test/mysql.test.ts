import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, Decimal, formatError, stringifyExactJson, type SourceMessage } from '@mage-int/core';
import { MySQL, MysqlDialect, parseMysqlType, formatMysqlType, serverInfo } from '../src/index.js';
import { writeMysql } from '../src/index.js';
import { MysqlConnection } from '../src/mysql-connection.js';
import type { Config } from '../src/generated/config.js';
import { dropDatabase, readRows, SERVER, uniqueDatabase, withServer } from './mysql-server.js';

const databases: string[] = [];
function freshConfig(extra: Partial<Config> = {}): Config {
  const database = uniqueDatabase();
  databases.push(database);
  return { ...SERVER, database, ...extra };
}
afterAll(async () => {
  for (const database of databases) await dropDatabase(database);
});

async function columnTypes(database: string, table: string): Promise<Record<string, string>> {
  return withServer(async (client) => {
    const [rows] = (await client.query(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [database, table],
    )) as unknown as [{ name: string; type: string }[]];
    return Object.fromEntries(rows.map((r) => [r.name, formatMysqlType(parseMysqlType(r.type, { mariadb: true }) ?? { name: r.type })]));
  });
}

const nullable = (schema: Record<string, unknown>) => ({ ...schema, type: ['null', schema['type'] as string] });

/** What source-mysql sends for a table with every MySQL type (sql-datatype as information_schema prints it). */
const MYSQL_SCHEMA: SourceMessage = {
  type: 'SCHEMA',
  stream: 'every_type',
  key_properties: ['id'],
  schema: {
    type: 'object',
    properties: {
      id: { type: 'integer', 'sql-datatype': 'int(11)' },
      u64: nullable({ type: 'integer', 'sql-datatype': 'bigint(20) unsigned' }),
      i64: nullable({ type: 'integer', 'sql-datatype': 'bigint(20)' }),
      dec: nullable({ type: 'number', 'sql-datatype': 'decimal(65,30)' }),
      flag: nullable({ type: 'boolean', 'sql-datatype': 'tinyint(1)' }),
      bits: nullable({ type: 'integer', 'sql-datatype': 'bit(12)' }),
      f: nullable({ type: 'number', 'sql-datatype': 'float' }),
      dbl: nullable({ type: 'number', 'sql-datatype': 'double' }),
      d: nullable({ type: 'string', format: 'date', 'sql-datatype': 'date' }),
      dt: nullable({ type: 'string', format: 'date-time', 'sql-datatype': 'datetime(6)' }),
      ts: nullable({ type: 'string', format: 'date-time', 'sql-datatype': 'timestamp(6)' }),
      tm: nullable({ type: 'string', 'sql-datatype': 'time(6)' }),
      yr: nullable({ type: 'integer', 'sql-datatype': 'year(4)' }),
      c: nullable({ type: 'string', 'sql-datatype': 'char(36)' }),
      vc: nullable({ type: 'string', 'sql-datatype': 'varchar(10)' }),
      mt: nullable({ type: 'string', 'sql-datatype': 'mediumtext' }),
      bin: nullable({ type: 'string', contentEncoding: 'base16', 'sql-datatype': 'varbinary(16)' }),
      blb: nullable({ type: 'string', contentEncoding: 'base16', 'sql-datatype': 'blob' }),
      e: nullable({ type: 'string', 'sql-datatype': "enum('a','b c','it''s')" }),
      st: nullable({ type: 'string', 'sql-datatype': "set('x','y','z')" }),
      j: { type: ['null', 'object', 'array', 'string', 'number', 'integer', 'boolean'], 'sql-datatype': 'json' },
      g: nullable({ type: 'string', 'sql-datatype': 'point' }),
      uu: nullable({ type: 'string', 'sql-datatype': 'uuid' }),
    },
  },
};

const BIG_DECIMAL = '12345678901234567890123456789012345.123456789012345678901234567890';

describe('destination-mysql against MariaDB', () => {
  // MySQL has no ADD COLUMN IF NOT EXISTS: its form (a racing ADD COLUMN fails with 1060) is run on MariaDB too.
  for (const form of ['MariaDB', 'MySQL'])
    it(`four sessions creating one new table at the same moment (same or different columns) all load their rows (${form}'s DDL)`, async () => {
      const config = freshConfig();
      const schema = (columns: string[]): SourceMessage => ({
        type: 'SCHEMA',
        stream: 'shared',
        key_properties: ['id'],
        schema: {
          type: 'object',
          properties: Object.fromEntries(['id', ...columns].map((c) => [c, { type: c === 'id' ? 'integer' : 'string' }])),
        },
      });
      const records = (from: number, record: (id: number) => Record<string, unknown>): SourceMessage => ({
        type: 'RECORD_BATCH',
        stream: 'shared',
        records: Array.from({ length: 50 }, (_, i) => record(from + i)),
      });
      const loads = [
        [schema(['a']), records(0, (id) => ({ id, a: `a${id}` }))],
        [schema(['a']), records(100, (id) => ({ id, a: `a${id}` }))],
        [schema(['a', 'b']), records(200, (id) => ({ id, a: `a${id}`, b: `b${id}` }))],
        [schema(['c']), records(300, (id) => ({ id, c: `c${id}` }))],
      ];
      // Every session sees no table before any creates it: the race, every time.
      let arrived = 0;
      let release = () => {};
      const together = new Promise<void>((resolve) => (release = resolve));
      const gated = new WeakSet<object>();
      const describe = MysqlConnection.prototype.describeTable;
      const spies: { mockRestore(): void }[] = [
        vi.spyOn(MysqlConnection.prototype, 'describeTable').mockImplementation(async function (this: MysqlConnection, table) {
          const found = await describe.call(this, table);
          if (!gated.has(this)) {
            gated.add(this);
            if (++arrived === loads.length) release();
            await together;
          }
          return found;
        }),
      ];
      if (form === 'MySQL') {
        const addColumn = MysqlDialect.prototype.addColumn;
        spies.push(
          vi.spyOn(MysqlDialect.prototype, 'addColumn').mockImplementation(function (this: MysqlDialect, table, column) {
            return addColumn.call(this, table, column).map((sql) => sql.replace(' IF NOT EXISTS', ''));
          }),
        );
      }
      try {
        await Promise.all(loads.map((messages) => new MySQL({ config }).load(messages)));
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      const rows = (await readRows(config.database, 'shared')) ?? [];
      expect(rows).toHaveLength(200);
      const byId = new Map(rows.map((r) => [Number(r['id']), r]));
      expect(byId.get(1)).toMatchObject({ a: 'a1', b: null, c: null });
      expect(byId.get(201)).toMatchObject({ a: 'a201', b: 'b201', c: null });
      expect(byId.get(301)).toMatchObject({ a: null, b: null, c: 'c301' });
    });

  // 1,500 copies of the record take the streaming load (a LOAD DATA the rows are encoded into as they arrive).
  for (const copies of [0, 1500])
    it(`keeps MySQL column types and every value exactly (MySQL → MySQL, ${copies > 0 ? 'streamed' : 'buffered'} load)`, async () => {
      const config = freshConfig();
      const record = {
        id: 1,
        u64: 18446744073709551615n,
        i64: -9223372036854775808n,
        dec: new Decimal(BIG_DECIMAL),
        flag: true,
        bits: 4095,
        f: 1.5,
        dbl: 0.30000000000000004,
        d: '2024-02-29',
        dt: '2024-02-29T23:59:59.999999',
        ts: '2038-01-19T03:14:07.999999+00:00',
        tm: '-838:59:58.999999',
        yr: 2155,
        c: '6f1c2d1e-8a4b-4c2d-9e3f-0a1b2c3d4e5f',
        vc: 'emoji 😀👍🏽',
        mt: 'tab\tnewline\nback\\slash NUL\u0000 quote\' "',
        bin: 'deadbeef00',
        blb: '',
        e: "it's",
        st: 'x,z',
        j: { exact: new Decimal('123456789012345678901234567890.5'), list: [1, 'two', null] },
        g: 'POINT(1 2)',
        uu: '6f1c2d1e-8a4b-4c2d-9e3f-0a1b2c3d4e5f',
      };
      const empty = Object.fromEntries(Object.keys(record).map((k) => [k, k === 'id' ? 2 : null]));
      const copied = Array.from({ length: copies }, (_, i) => ({ ...record, id: 3 + i }));
      await new MySQL({ config }).load([MYSQL_SCHEMA, { type: 'RECORD_BATCH', stream: 'every_type', records: [record, empty, ...copied] }]);

      const types = await columnTypes(config.database, 'every_type');
      const properties = (MYSQL_SCHEMA as { schema: { properties: Record<string, Record<string, string>> } }).schema.properties;
      for (const [field, schema] of Object.entries(properties)) {
        const declared = formatMysqlType(parseMysqlType(schema['sql-datatype']!, { mariadb: true })!);
        expect(types[field], field).toBe(field === 'j' ? 'longtext' : declared);
      }
      const rows = await readRows(config.database, 'every_type');
      const row = rows?.find((r) => String(r['id']) === '1');
      expect({
        ...row,
        dec: (row?.['dec'] as Decimal).text,
        bin: (row?.['bin'] as Buffer).toString('hex'),
        blb: (row?.['blb'] as Buffer).length,
        j: stringifyExactJson(row?.['j']),
      }).toEqual({
        id: 1,
        u64: '18446744073709551615',
        i64: '-9223372036854775808',
        dec: BIG_DECIMAL,
        flag: true,
        bits: '4095',
        f: 1.5,
        dbl: 0.30000000000000004,
        d: '2024-02-29',
        dt: '2024-02-29 23:59:59.999999',
        ts: '2038-01-19 03:14:07.999999',
        tm: '-838:59:58.999999',
        yr: 2155,
        c: record.c,
        vc: record.vc,
        mt: record.mt,
        bin: 'deadbeef00',
        blb: 0,
        e: "it's",
        st: 'x,z',
        j: '{"exact":123456789012345678901234567890.5,"list":[1,"two",null]}',
        g: 'POINT(1 2)',
        uu: record.uu,
      });
      expect(Object.values(rows?.find((r) => String(r['id']) === '2') ?? {}).filter((v) => v !== null)).toEqual([2]);
      expect(rows).toHaveLength(2 + copies);
      const sameAsFirst = (r: Record<string, unknown>) => stringifyExactJson({ ...r, id: 1 }) === stringifyExactJson(row);
      expect(rows?.filter((r) => Number(r['id']) > 2 && sameAsFirst(r))).toHaveLength(copies);
    });

  it('loads PostgreSQL COPY text (native rows) unchanged into the same table the records give, falling back to them where it cannot', async () => {
    const columns: [string, string, string][] = [
      ['id', 'integer', 'bigint'],
      ['amount', 'number', 'numeric(14,2)'],
      ['ratio', 'number', 'double precision'],
      ['qty', 'integer', 'integer'],
      ['created_at', 'string', 'timestamp with time zone'],
      ['due_date', 'string', 'date'],
      ['active', 'boolean', 'boolean'],
      ['code', 'string', 'character varying(32)'],
      ['name', 'string', 'text'],
      ['payload', 'object', 'jsonb'],
    ];
    const schema: SourceMessage = {
      type: 'SCHEMA',
      stream: 'orders',
      key_properties: ['id'],
      schema: {
        type: 'object',
        properties: Object.fromEntries(
          columns.map(([name, type, sql]) => [
            name,
            {
              type: name === 'id' ? type : ['null', type],
              'sql-datatype': sql,
              ...(sql.startsWith('timestamp') ? { format: 'date-time' } : {}),
            },
          ]),
        ),
      },
    };
    const copyText = (text: string) =>
      text.replace(
        /[\\\t\n\r\f\v]/g,
        (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f', '\v': '\\v' })[c] as string,
      );
    const rows = (from: number, to: number, formFeed = false) => {
      const records: Record<string, unknown>[] = [];
      let text = '';
      for (let id = from; id < to; id++) {
        const empty = id % 7 === 0;
        const name = `name ${id}: tab\there, new\nline, back\\slash, quote' "double", ünïcødé 😀${formFeed && id === from + 3 ? ' form\ffeed' : ''}`;
        const payload = { id, tags: ['a', 'b'], price: 10.25, nested: { ok: id % 2 === 0 } };
        const micros = String(id % 1_000_000).padStart(6, '0');
        records.push({
          id,
          amount: new Decimal(`${id}.25`),
          ratio: empty ? null : id / 3,
          qty: empty ? null : id % 100,
          created_at: `2024-01-02T03:04:05.${micros}+00:00`,
          due_date: empty ? null : '2024-02-29',
          active: empty ? null : id % 2 === 0,
          code: empty ? null : `C${id}`,
          name,
          payload: empty ? null : payload,
        });
        const fields = [
          String(id),
          `${id}.25`,
          empty ? '\\N' : String(id / 3),
          empty ? '\\N' : String(id % 100),
          `2024-01-02 03:04:05.${micros}+00`,
          empty ? '\\N' : '2024-02-29',
          empty ? '\\N' : id % 2 === 0 ? 't' : 'f',
          empty ? '\\N' : `C${id}`,
          copyText(name),
          empty ? '\\N' : copyText(JSON.stringify(payload)),
        ];
        text += `${fields.join('\t')}\n`;
      }
      return { records, text };
    };
    const batch = (from: number, to: number, native: boolean, formFeed = false): SourceMessage => {
      const { records, text } = rows(from, to, formFeed);
      return {
        type: 'RECORD_BATCH',
        stream: 'orders',
        records,
        ...(native
          ? {
              native: {
                format: 'postgresql-copy-text' as const,
                fields: columns.map(([name]) => name),
                types: columns.map(([, , sql]) => sql),
                data: Buffer.from(text),
              },
            }
          : {}),
      };
    };
    const load = async (native: boolean) => {
      const config = freshConfig();
      const debug: string[] = [];
      const logger = { ...createLogger({ write: () => {} }), debug: (message: string) => void debug.push(message) };
      // Two native batches, one whose text holds a form feed (\f, which LOAD DATA would read as "f": the records
      // load instead), then native again; the second run's keys exist: staged and merged from the text.
      await new MySQL({ config, logger }).load([
        schema,
        batch(0, 1200, native),
        batch(1200, 2400, native),
        batch(2400, 2600, native, true),
        batch(2600, 4000, native),
      ]);
      await new MySQL({ config, logger }).load([schema, batch(3000, 4500, native)]);
      return { rows: (await readRows(config.database, 'orders')) ?? [], debug };
    };
    const viaRecords = await load(false);
    const viaNative = await load(true);
    // The form feed ends the first run's native load: its batch and the next are records, loaded at the commit.
    expect(viaNative.debug.filter((m) => m.includes('streaming'))).toEqual([
      expect.stringContaining('streaming native rows into LOAD DATA'),
      expect.stringContaining('streaming native rows into LOAD DATA'),
    ]);
    expect(viaNative.debug.some((m) => m.includes('staged after the direct load'))).toBe(true);
    expect(viaRecords.rows).toHaveLength(4500);
    expect(viaNative.rows.map((r) => stringifyExactJson(r))).toEqual(viaRecords.rows.map((r) => stringifyExactJson(r)));
    const formFed = viaNative.rows.find((r) => String(r['id']) === '2403');
    expect(formFed?.['name']).toContain('form\ffeed');
    expect(viaNative.rows.find((r) => String(r['id']) === '16')).toMatchObject({ active: true, created_at: '2024-01-02 03:04:05.000016' });
  });

  it('maps PostgreSQL types to their MySQL equivalents', async () => {
    const config = freshConfig();
    const pg = (type: string, sql: string, extra: Record<string, unknown> = {}) => ({
      type: ['null', type],
      'sql-datatype': sql,
      ...extra,
    });
    const schema: SourceMessage = {
      type: 'SCHEMA',
      stream: 'public-pg_types',
      key_properties: ['id'],
      schema: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid', 'sql-datatype': 'uuid' },
          n: pg('number', 'numeric(12,2)'),
          nu: pg('number', 'numeric'),
          r: pg('number', 'real'),
          b: pg('boolean', 'boolean'),
          t: pg('string', 'text'),
          v: pg('string', 'character varying(20)'),
          tz: pg('string', 'timestamp with time zone', { format: 'date-time' }),
          tm: pg('string', 'time without time zone', { format: 'time' }),
          jb: { type: ['null', 'object'], 'sql-datatype': 'jsonb' },
          by: pg('string', 'bytea', { contentEncoding: 'base16' }),
          arr: { type: ['null', 'array'], items: { type: 'integer' }, 'sql-datatype': 'integer[]' },
          iv: pg('string', 'interval'),
        },
      },
    };
    await new MySQL({ config }).load([
      schema,
      {
        type: 'RECORD',
        stream: 'public-pg_types',
        record: {
          id: '6f1c2d1e-8a4b-4c2d-9e3f-0a1b2c3d4e5f',
          n: 12.5,
          nu: new Decimal('-0.000000000000000000000000000001'),
          r: 0.1,
          b: false,
          t: 'x',
          v: 'y',
          tz: '2024-03-01T10:00:00.123456+01:00',
          tm: '23:59:59.999999',
          jb: { a: 1 },
          by: '\\x00ff',
          arr: [1, 2],
          iv: '1 day 02:00:00',
        },
      },
    ]);
    expect(await columnTypes(config.database, 'public_pg_types')).toEqual({
      id: 'uuid',
      n: 'decimal(12,2)',
      nu: 'decimal(65,30)',
      r: 'double',
      b: 'tinyint(1)',
      t: 'longtext',
      v: 'varchar(20)',
      tz: 'datetime(6)',
      tm: 'time(6)',
      jb: 'longtext',
      by: 'longblob',
      arr: 'longtext',
      iv: 'longtext',
    });
    const [row] = (await readRows(config.database, 'public_pg_types')) ?? [];
    expect(row).toMatchObject({
      n: new Decimal('12.50'),
      b: false,
      tz: '2024-03-01 09:00:00.123456',
      jb: { a: 1 },
      by: Buffer.from([0, 255]),
      arr: [1, 2],
      iv: '1 day 02:00:00',
    });
    expect((row?.['nu'] as Decimal).text).toBe('-0.000000000000000000000000000001');
  });

  it('falls back to multi-row INSERTs when the server refuses LOAD DATA LOCAL INFILE', async () => {
    const config = freshConfig({ batch_size_rows: 700 });
    const warnings: string[] = [];
    const logger = { ...createLogger({ write: () => {} }), warn: (message: string) => void warnings.push(message) };
    const records = Array.from({ length: 2000 }, (_, i) => ({
      id: i % 1500,
      note: `row ${i}\twith\nescapes \\ '${'é'.repeat(i % 7)}`,
      at: '2024-01-01T00:00:00.000001+02:00',
    }));
    const messages: SourceMessage[] = [
      {
        type: 'SCHEMA',
        stream: 'notes',
        key_properties: ['id'],
        schema: {
          type: 'object',
          properties: { id: { type: 'integer' }, note: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
        },
      },
      { type: 'RECORD_BATCH', stream: 'notes', records },
      { type: 'STATE', value: { done: true } },
    ];
    const states: unknown[] = [];
    // The client does not offer LOCAL INFILE, so the server refuses the statement as one with local_infile=OFF does.
    async function* input(): AsyncGenerator<SourceMessage> {
      yield* messages;
    }
    for await (const state of writeMysql(
      config,
      input(),
      { logger, signal: new AbortController().signal, streams: {} },
      { offerLocalFiles: false },
    ))
      states.push(state.value);
    expect(states).toEqual([{ done: true }]);
    expect(warnings.filter((w) => w.includes('refuses LOAD DATA LOCAL INFILE'))).toHaveLength(1);
    const rows = (await readRows(config.database, 'notes')) ?? [];
    expect(rows).toHaveLength(1500);
    const last = records.at(-1)!;
    expect(rows.find((r) => String(r['id']) === String(last.id))).toEqual({
      id: String(last.id),
      note: last.note,
      at: '2023-12-31 22:00:00.000001',
    });
    expect(rows.find((r) => String(r['id']) === '0')?.['note']).toBe(records[1500]!.note);
  });

  for (const localInfile of [true, false]) {
    it(`refuses a value the column cannot hold, naming table, row and column, and releases no state (${localInfile ? 'LOAD DATA' : 'INSERT'})`, async () => {
      const config = freshConfig({ local_infile: localInfile });
      const messages: SourceMessage[] = [
        {
          type: 'SCHEMA',
          stream: 'codes',
          key_properties: ['id'],
          schema: { type: 'object', properties: { id: { type: 'integer' }, code: { type: 'string', 'sql-datatype': 'varchar(3)' } } },
        },
        { type: 'RECORD', stream: 'codes', record: { id: 1, code: 'abc' } },
        { type: 'RECORD', stream: 'codes', record: { id: 2, code: 'abcd' } },
        { type: 'STATE', value: { position: 2 } },
      ];
      const states: unknown[] = [];
      const error = await (async () => {
        for await (const state of new MySQL({ config }).write(messages)) states.push(state);
      })().catch((e: unknown) => e);
      expect(states).toEqual([]);
      expect(formatError(error)).toMatch(/code/);
      expect(formatError(error)).toMatch(/too long|Data too long/i);
      expect(error).toMatchObject({ code: 'VALUE_REJECTED', field: 'code', record: 1 });
      expect((await readRows(config.database, 'codes')) ?? []).toEqual([]);
    });
  }

  it('refuses a value the column cannot hold in a streamed load, naming row and column, and commits nothing', async () => {
    const config = freshConfig();
    const records = Array.from({ length: 3000 }, (_, id) => ({ id, code: id === 1200 ? 'abcd' : 'abc' }));
    const messages: SourceMessage[] = [
      {
        type: 'SCHEMA',
        stream: 'codes',
        key_properties: ['id'],
        schema: { type: 'object', properties: { id: { type: 'integer' }, code: { type: 'string', 'sql-datatype': 'varchar(3)' } } },
      },
      { type: 'RECORD_BATCH', stream: 'codes', records: records.slice(0, 1000) },
      { type: 'RECORD_BATCH', stream: 'codes', records: records.slice(1000) },
      { type: 'STATE', value: { position: 3000 } },
    ];
    const states: unknown[] = [];
    const error = await (async () => {
      for await (const state of new MySQL({ config }).write(messages)) states.push(state);
    })().catch((e: unknown) => e);
    expect(states).toEqual([]);
    expect(error).toMatchObject({ code: 'VALUE_REJECTED', field: 'code', record: 1200 });
    expect(formatError(error)).toMatch(/abcd/);
    expect((await readRows(config.database, 'codes')) ?? []).toEqual([]);
  });

  it('rolls back an open streamed load when a later record fails, without hanging', async () => {
    const config = freshConfig();
    const records: Record<string, unknown>[] = Array.from({ length: 2000 }, (_, id) => ({ id, code: 'abc' }));
    records[1800] = { id: 1800, code: { not: 'a string' } };
    const error = await new MySQL({ config })
      .load([
        {
          type: 'SCHEMA',
          stream: 'codes',
          key_properties: ['id'],
          schema: { type: 'object', properties: { id: { type: 'integer' }, code: { type: 'string' } } },
        },
        { type: 'RECORD_BATCH', stream: 'codes', records: records.slice(0, 1500) },
        { type: 'RECORD_BATCH', stream: 'codes', records: records.slice(1500) },
      ])
      .catch((e: unknown) => e);
    // The record fails its schema check after 1,800 rows went into the open load; nothing of them is committed.
    expect(error).toMatchObject({ field: 'code' });
    expect((await readRows(config.database, 'codes')) ?? []).toEqual([]);
  });

  it('streams a large batch while a second stream buffers, and merges CDC deletes that arrive mid-load in order', async () => {
    const config = freshConfig({ hard_delete: true });
    const debug: string[] = [];
    const logger = { ...createLogger({ write: () => {} }), debug: (message: string) => void debug.push(message) };
    const schema = (stream: string): SourceMessage => ({
      type: 'SCHEMA',
      stream,
      key_properties: ['id'],
      schema: {
        type: 'object',
        properties: { id: { type: 'integer' }, v: { type: 'string' }, _sdc_deleted_at: { type: ['null', 'string'] } },
      },
    });
    const batch = (stream: string, from: number, to: number, v: string, deleted: number[] = []): SourceMessage => ({
      type: 'RECORD_BATCH',
      stream,
      records: Array.from({ length: to - from }, (_, i) => ({
        id: from + i,
        v,
        _sdc_deleted_at: deleted.includes(from + i) ? '2024-01-01T00:00:00Z' : null,
      })),
    });
    const states: unknown[] = [];
    for await (const state of new MySQL({ config, logger }).write([
      schema('a'),
      schema('b'),
      batch('a', 0, 1500, 'a1'),
      batch('b', 0, 1500, 'b1'),
      // id 5 deleted, then ids 6..9 updated and 1500..1999 added after the delete, in the same transaction
      batch('a', 5, 6, 'x', [5]),
      batch('a', 6, 10, 'a2'),
      batch('a', 1500, 2000, 'a2'),
      { type: 'STATE', value: { n: 1 } },
    ]))
      states.push(state);
    expect(states).toEqual([{ type: 'STATE', value: { n: 1 } }]);
    const a = (await readRows(config.database, 'a')) ?? [];
    expect(a).toHaveLength(1999);
    expect(a.find((r) => String(r['id']) === '5')).toBeUndefined();
    expect(a.filter((r) => r['v'] === 'a2').map((r) => Number(r['id']))).toEqual([
      6,
      7,
      8,
      9,
      ...Array.from({ length: 500 }, (_, i) => 1500 + i),
    ]);
    expect((await readRows(config.database, 'b')) ?? []).toHaveLength(1500);
    expect(debug.filter((m) => m.includes('streaming'))).toEqual([`\`${config.database}\`.\`a\`: streaming rows into LOAD DATA`]);
  });

  it('ACTIVATE_VERSION skips its scan of a table the run created holding only that version, and marks older rows otherwise', async () => {
    const config = freshConfig();
    const debug: string[] = [];
    const logger = { ...createLogger({ write: () => {} }), debug: (message: string) => void debug.push(message) };
    const schema = (stream: string): SourceMessage => ({
      type: 'SCHEMA',
      stream,
      key_properties: ['id'],
      schema: { type: 'object', properties: { id: { type: 'integer' } } },
    });
    const record = (stream: string, id: number, version?: number): SourceMessage => ({
      type: 'RECORD',
      stream,
      record: { id },
      ...(version !== undefined ? { version } : {}),
    });
    await new MySQL({ config, logger }).load([
      schema('fresh'),
      { type: 'ACTIVATE_VERSION', stream: 'fresh', version: 5 },
      record('fresh', 1, 5),
      record('fresh', 2, 5),
      { type: 'ACTIVATE_VERSION', stream: 'fresh', version: 5 },
      schema('mixed'),
      record('mixed', 1),
      record('mixed', 2, 5),
      { type: 'ACTIVATE_VERSION', stream: 'mixed', version: 5 },
    ]);
    expect(debug.filter((m) => m.includes('ACTIVATE_VERSION'))).toEqual([
      `\`${config.database}\`.\`fresh\`: ACTIVATE_VERSION 5 has no older rows to remove`,
      `\`${config.database}\`.\`fresh\`: ACTIVATE_VERSION 5 has no older rows to remove`,
    ]);
    const deleted = async (table: string) =>
      ((await readRows(config.database, table)) ?? []).map((r) => [Number(r['id']), r['_sdc_deleted_at'] !== null]);
    expect(await deleted('fresh')).toEqual([
      [1, false],
      [2, false],
    ]);
    // The record without a version is older than version 5: marked deleted.
    expect(await deleted('mixed')).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('loads new keys straight into the table, and stages once a key repeats or exists', async () => {
    const config = freshConfig({ batch_size_rows: 1000 });
    const debug: string[] = [];
    const logger = { ...createLogger({ write: () => {} }), debug: (message: string) => void debug.push(message) };
    const schema: SourceMessage = {
      type: 'SCHEMA',
      stream: 'items',
      key_properties: ['id'],
      schema: { type: 'object', properties: { id: { type: 'integer' }, v: { type: 'string' } } },
    };
    const batch = (from: number, to: number, v: string): SourceMessage => ({
      type: 'RECORD_BATCH',
      stream: 'items',
      records: Array.from({ length: to - from }, (_, i) => ({ id: from + i, v })),
    });
    const load = async (messages: SourceMessage[]) => {
      async function* input(): AsyncGenerator<SourceMessage> {
        yield* messages;
      }
      for await (const _ of writeMysql(config, input(), { logger, signal: new AbortController().signal, streams: {} }));
    };
    await load([schema, batch(0, 1000, 'a'), batch(1000, 2000, 'a')]);
    expect(debug.filter((m) => m.includes('staging'))).toEqual([]);
    // The second batch holds keys the table has: rolled back to the savepoint, staged and merged.
    await load([schema, batch(2000, 3000, 'b'), batch(1500, 2500, 'c'), batch(2500, 3500, 'd')]);
    expect(debug.filter((m) => m.includes('staging'))).toHaveLength(1);
    const rows = (await readRows(config.database, 'items')) ?? [];
    expect(rows).toHaveLength(3500);
    const count = (v: string) => rows.filter((r) => r['v'] === v).length;
    expect([count('a'), count('b'), count('c'), count('d')]).toEqual([1500, 0, 1000, 1000]);
  });

  it('drops a half-filled widening column left by a crash and widens again', async () => {
    const config = freshConfig();
    const schema = (flag: Record<string, unknown>): SourceMessage => ({
      type: 'SCHEMA',
      stream: 'flags',
      key_properties: ['id'],
      schema: { type: 'object', properties: { id: { type: 'integer' }, flag: flag } },
    });
    await new MySQL({ config }).load([schema({ type: 'boolean' }), { type: 'RECORD', stream: 'flags', record: { id: 1, flag: true } }]);
    // A crash between the first two statements of a converting widening leaves this behind.
    await withServer((client) => client.query(`ALTER TABLE \`${config.database}\`.flags ADD COLUMN _mage_widening longtext NULL`));
    await new MySQL({ config }).load([schema({ type: 'string' }), { type: 'RECORD', stream: 'flags', record: { id: 2, flag: 'maybe' } }]);
    expect(await columnTypes(config.database, 'flags')).toEqual({ id: 'bigint', flag: 'longtext' });
    expect(await readRows(config.database, 'flags')).toEqual([
      { id: '1', flag: 'true' },
      { id: '2', flag: 'maybe' },
    ]);
  });

  it('runs the MySQL 8 upsert form (derived-table alias) too', async () => {
    // MariaDB accepts the alias form as well: what MySQL >= 8.0.19 gets is checked against a real server here.
    const config = freshConfig();
    const dialect = new MysqlDialect(serverInfo('8.0.36'));
    await withServer(
      async (client) => {
        await client.query(`CREATE TABLE t (id BIGINT PRIMARY KEY, v LONGTEXT)`);
        await client.query(`INSERT INTO t VALUES (1, 'old'), (2, 'keep')`);
        await client.query('START TRANSACTION');
        for (const sql of dialect.createStaging({ schema: config.database, name: 's' }, { schema: config.database, name: 't' }, [
          'id',
          'v',
        ]))
          await client.query(sql);
        await client.query(`INSERT INTO s (_mage_seq, id, v) VALUES (0, 1, 'stale'), (1, 1, 'new'), (2, 3, 'added')`);
        const merge = dialect.merge({
          target: { schema: config.database, name: 't' },
          staging: { schema: config.database, name: 's' },
          columns: ['id', 'v'],
          keys: ['id'],
          method: 'upsert',
          uniqueKey: true,
          hardDelete: false,
        });
        expect(merge[0]).toContain(' AS new ON DUPLICATE KEY UPDATE');
        for (const sql of merge) await client.query(sql);
        await client.query('COMMIT');
      },
      await (async () => {
        await withServer((client) => client.query(`CREATE DATABASE \`${config.database}\``));
        return config.database;
      })(),
    );
    expect(await readRows(config.database, 't')).toEqual([
      { id: '1', v: 'new' },
      { id: '2', v: 'keep' },
      { id: '3', v: 'added' },
    ]);
  });

  it('check() connects, creates the database and proves tables can be created', async () => {
    const config = freshConfig();
    const result = await new MySQL({ config }).check();
    expect(result.ok, result.message).toBe(true);
    expect(result.message).toMatch(/MariaDB .*tables can be created/);
    const bad = await new MySQL({ config: { ...config, port: 1 } }).check();
    expect(bad).toMatchObject({ ok: false });
    expect(bad.message).toMatch(/cannot connect/);
  });
});

// MySQL-only paths (the `AS new` upsert against MySQL 8 itself) when a MySQL server is given: MYSQL_URL=mysql://user:pass@host:port
const mysqlUrl = process.env['MYSQL_URL'];
describe.skipIf(!mysqlUrl)('destination-mysql against MySQL (MYSQL_URL)', () => {
  let config: Config;
  beforeAll(() => {
    const url = new URL(mysqlUrl ?? 'mysql://localhost');
    config = {
      host: url.hostname,
      port: Number(url.port || 3306),
      username: decodeURIComponent(url.username || 'root'),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      database: uniqueDatabase('mage_mysql8'),
    };
  });
  afterAll(async () => {
    const { connect } = await import('../src/connection.js');
    const client = await connect(config);
    await client.query(`DROP DATABASE IF EXISTS \`${config.database}\``);
    await client.end();
  });

  it('upserts, ignores and deletes on MySQL with the alias form', async () => {
    const client = new MySQL({ config });
    const schema: SourceMessage = {
      type: 'SCHEMA',
      stream: 'items',
      key_properties: ['id'],
      schema: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          v: { type: ['null', 'string'] },
          _sdc_deleted_at: { type: ['null', 'string'], format: 'date-time' },
        },
      },
    };
    await client.load([
      schema,
      { type: 'RECORD', stream: 'items', record: { id: 1, v: 'a' } },
      { type: 'RECORD', stream: 'items', record: { id: 2, v: 'b' } },
    ]);
    await client.load([
      schema,
      { type: 'RECORD', stream: 'items', record: { id: 1, v: 'a2' } },
      { type: 'RECORD', stream: 'items', record: { id: 3, v: 'c' } },
    ]);
    const { connect } = await import('../src/connection.js');
    const raw = await connect(config);
    try {
      expect(raw.server.upsertAlias).toBe(true);
      const rows = await raw.query<{ id: string; v: string }>(`SELECT id, v FROM \`${config.database}\`.items ORDER BY id`);
      expect(rows.map((r) => [String(r.id), r.v])).toEqual([
        ['1', 'a2'],
        ['2', 'b'],
        ['3', 'c'],
      ]);
    } finally {
      await raw.end();
    }
  });
});
