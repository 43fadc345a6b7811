import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, Decimal, silentLogger, type SourceMessage, type StateMessage } from '@mage-int/core';
import destination, { PostgreSQL } from '../src/index.js';
import { baseConfig, columnTypes, createDatabase, load, query, readTable } from './helpers.js';

let database: { name: string; drop: () => Promise<void> };
beforeAll(async () => {
  database = await createDatabase('dpg_behaviour');
});
afterAll(async () => {
  await database?.drop();
});

let schemaCounter = 0;
function freshConfig(extra: Parameters<typeof baseConfig>[2] = {}) {
  return baseConfig(database.name, `t${++schemaCounter}`, extra);
}

const schemaMessage = (stream: string, properties: Record<string, unknown>, key_properties: string[] = []): SourceMessage => ({
  type: 'SCHEMA',
  stream,
  schema: { type: 'object', properties: properties as never },
  key_properties,
});

describe('type mapping', () => {
  it('keeps the exact source type when the SCHEMA carries a PostgreSQL sql-datatype', async () => {
    const config = freshConfig();
    await load(config, [
      schemaMessage(
        'typed',
        {
          id: { type: 'integer', 'sql-datatype': 'integer' },
          amount: { type: ['null', 'number'], 'sql-datatype': 'numeric(12,2)' },
          at: { type: ['null', 'string'], format: 'date-time', 'sql-datatype': 'timestamp with time zone' },
          local: { type: ['null', 'string'], format: 'date-time', 'sql-datatype': 'timestamp(3) without time zone' },
          doc: { type: ['null', 'object'], 'sql-datatype': 'jsonb' },
          raw: { type: ['null', 'string'], 'sql-datatype': 'json' },
          code: { type: ['null', 'string'], 'sql-datatype': 'character varying(20)' },
          small: { type: ['null', 'integer'], 'sql-datatype': 'int2' },
          ratio: { type: ['null', 'number'], 'sql-datatype': 'real' },
          ints: { type: ['null', 'array'], items: { type: 'integer' }, 'sql-datatype': '_int4' },
          ip: { type: ['null', 'string'], 'sql-datatype': 'inet' },
          mysql: { type: ['null', 'integer'], 'sql-datatype': 'tinyint(1)' },
          liar: { type: ['null', 'string'], 'sql-datatype': 'integer' },
        },
        ['id'],
      ),
      { type: 'RECORD', stream: 'typed', record: { id: 1, amount: 1.5, raw: '{"a": [1, 2]}', ip: '10.0.0.1/32', ints: [1, 2] } },
    ]);
    expect(await columnTypes(database.name, config.schema as string, 'typed')).toEqual({
      id: 'integer',
      amount: 'numeric(12,2)',
      at: 'timestamp with time zone',
      local: 'timestamp without time zone',
      doc: 'jsonb',
      raw: 'json',
      code: 'character varying(20)',
      small: 'smallint',
      ratio: 'real',
      ints: 'integer[]',
      ip: 'inet',
      mysql: 'bigint',
      liar: 'text',
    });
    const [row] = await query(database.name, `SELECT raw::text AS raw, amount::text AS amount FROM ${config.schema}.typed`);
    expect(row).toEqual({ raw: '{"a": [1, 2]}', amount: '1.50' });
  });

  it('maps JSON Schema types without sql-datatype to native types', async () => {
    const config = freshConfig();
    await load(config, [
      schemaMessage('plain', {
        b: { type: 'boolean' },
        i: { type: 'integer' },
        n: { type: 'number' },
        d: { type: 'number', multipleOf: 0.01 },
        s: { type: 'string' },
        long: { type: 'string', maxLength: 10 },
        day: { type: 'string', format: 'date' },
        clock: { type: 'string', format: 'time' },
        ts: { type: 'string', format: 'date-time' },
        id: { type: 'string', format: 'uuid' },
        bin: { type: 'string', contentEncoding: 'base64' },
        obj: { type: 'object' },
        arr: { type: 'array' },
        union: { type: ['string', 'integer'] },
        any: {},
      }),
    ]);
    expect(await columnTypes(database.name, config.schema as string, 'plain')).toEqual({
      b: 'boolean',
      i: 'bigint',
      n: 'numeric',
      d: 'numeric',
      s: 'text',
      long: 'text',
      day: 'date',
      clock: 'time without time zone',
      ts: 'timestamp with time zone',
      id: 'uuid',
      bin: 'bytea',
      obj: 'jsonb',
      arr: 'jsonb',
      union: 'jsonb',
      any: 'jsonb',
    });
  });
});

describe('schema evolution', () => {
  it('widens integer → bigint → numeric and varchar(n) → varchar(m) → text as sql-datatypes change, keeping values', async () => {
    const config = freshConfig();
    const at = (sql: string, vc: string): SourceMessage =>
      schemaMessage(
        'grow',
        {
          id: { type: 'integer' },
          n: { type: ['null', 'integer'], 'sql-datatype': sql },
          v: { type: ['null', 'string'], 'sql-datatype': vc },
        },
        ['id'],
      );
    await load(config, [at('integer', 'varchar(5)'), { type: 'RECORD', stream: 'grow', record: { id: 1, n: 2147483647, v: 'abcde' } }]);
    expect(await columnTypes(database.name, config.schema as string, 'grow')).toMatchObject({ n: 'integer', v: 'character varying(5)' });
    await load(config, [
      at('bigint', 'varchar(50)'),
      { type: 'RECORD', stream: 'grow', record: { id: 2, n: 9007199254740993n, v: 'x'.repeat(50) } },
    ]);
    expect(await columnTypes(database.name, config.schema as string, 'grow')).toMatchObject({ n: 'bigint', v: 'character varying(50)' });
    await load(config, [
      at('numeric(30,2)', 'text'),
      { type: 'RECORD', stream: 'grow', record: { id: 3, n: new Decimal('1234567890123456789012345678.25'), v: 'y'.repeat(500) } },
    ]);
    expect(await columnTypes(database.name, config.schema as string, 'grow')).toMatchObject({ n: 'numeric(30,2)', v: 'text' });
    // A narrower type later never narrows the column.
    await load(config, [at('smallint', 'varchar(1)'), { type: 'RECORD', stream: 'grow', record: { id: 4, n: 1, v: 'z' } }]);
    expect(await columnTypes(database.name, config.schema as string, 'grow')).toMatchObject({ n: 'numeric(30,2)', v: 'text' });
    const rows = await query<{ id: string; n: string; v: string }>(
      database.name,
      `SELECT id::text, n::text, length(v)::text AS v FROM ${config.schema}.grow ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: '1', n: '2147483647.00', v: '5' },
      { id: '2', n: '9007199254740993.00', v: '50' },
      { id: '3', n: '1234567890123456789012345678.25', v: '500' },
      { id: '4', n: '1.00', v: '1' },
    ]);
  });

  it('turns a type that cannot widen into text, or jsonb when JSON is involved', async () => {
    const config = freshConfig();
    await load(config, [
      schemaMessage(
        'flip',
        {
          id: { type: 'integer' },
          a: { type: ['null', 'boolean'] },
          b: { type: ['null', 'string'], format: 'uuid' },
          c: { type: ['null', 'string'] },
        },
        ['id'],
      ),
      { type: 'RECORD', stream: 'flip', record: { id: 1, a: true, b: '6f1c2d1e-8a4b-4c2d-9e3f-0a1b2c3d4e5f', c: 'text' } },
      schemaMessage(
        'flip',
        { id: { type: 'integer' }, a: { type: ['null', 'integer'] }, b: { type: ['null', 'string'] }, c: { type: ['null', 'object'] } },
        ['id'],
      ),
      { type: 'RECORD', stream: 'flip', record: { id: 2, a: 5, b: 'not a uuid', c: { k: 1 } } },
    ]);
    expect(await columnTypes(database.name, config.schema as string, 'flip')).toMatchObject({ a: 'text', b: 'text', c: 'jsonb' });
    const rows = await readTable(database.name, config.schema as string, 'flip');
    expect(rows.sort((x, y) => Number(x['id']) - Number(y['id']))).toEqual([
      { id: 1, a: 'true', b: '6f1c2d1e-8a4b-4c2d-9e3f-0a1b2c3d4e5f', c: 'text' },
      { id: 2, a: '5', b: 'not a uuid', c: { k: 1 } },
    ]);
  });

  it('widens a bigint column to numeric when an integer beyond 64 bits arrives', async () => {
    const config = freshConfig();
    await load(config, [
      schemaMessage('huge', { id: { type: 'integer' }, n: { type: ['null', 'integer'] } }, ['id']),
      {
        type: 'RECORD_BATCH',
        stream: 'huge',
        records: [
          { id: 1, n: 5 },
          { id: 2, n: 18446744073709551616n },
          { id: 3, n: -170141183460469231731687303715884105728n },
        ],
      },
    ]);
    expect((await columnTypes(database.name, config.schema as string, 'huge'))['n']).toBe('numeric');
    const rows = await query<{ n: string }>(database.name, `SELECT n::text FROM ${config.schema}.huge ORDER BY id`);
    expect(rows.map((r) => r.n)).toEqual(['5', '18446744073709551616', '-170141183460469231731687303715884105728']);
  });
});

describe('identifiers', () => {
  it('cuts names to 63 bytes without collisions, and maps them the same way on the next run', async () => {
    const config = freshConfig();
    const long = 'a_very_long_field_name_that_goes_on_and_on_beyond_the_limit_of_postgres_';
    const fields = [`${long}one`, `${long}two`, `Ünïcödé_${'é'.repeat(40)}`];
    const stream = `stream_${'x'.repeat(80)}`;
    const schema = schemaMessage(
      stream,
      Object.fromEntries([['id', { type: 'integer' }], ...fields.map((f) => [f, { type: ['null', 'string'] }])]),
      ['id'],
    );
    await load(config, [
      schema,
      {
        type: 'RECORD',
        stream,
        record: { id: 1, [fields[0] as string]: 'one', [fields[1] as string]: 'two', [fields[2] as string]: 'three' },
      },
    ]);
    await load(config, [
      schema,
      {
        type: 'RECORD',
        stream,
        record: { id: 2, [fields[0] as string]: 'uno', [fields[1] as string]: 'dos', [fields[2] as string]: 'tres' },
      },
    ]);
    const tables = await query<{ name: string }>(database.name, `SELECT tablename AS name FROM pg_tables WHERE schemaname = $1`, [
      config.schema,
    ]);
    expect(tables).toHaveLength(1);
    const table = (tables[0] as { name: string }).name;
    expect(Buffer.byteLength(table)).toBeLessThanOrEqual(63);
    const columns = Object.keys(await columnTypes(database.name, config.schema as string, table));
    expect(columns).toHaveLength(4);
    for (const c of columns) expect(Buffer.byteLength(c)).toBeLessThanOrEqual(63);
    const rows = await readTable(database.name, config.schema as string, table);
    const values = rows.map((r) => columns.slice(1).map((c) => r[c]));
    expect(values.sort()).toEqual([
      ['one', 'two', 'three'],
      ['uno', 'dos', 'tres'],
    ]);
  });

  it('keeps case and prefixes table names when configured, and keeps stream tables apart when names normalise alike', async () => {
    const config = freshConfig({ lowercase_identifiers: false, table_prefix: 'raw_' });
    await load(config, [
      schemaMessage('Orders', { OrderId: { type: 'integer' } }, ['OrderId']),
      schemaMessage('orders', { id: { type: 'integer' } }, ['id']),
      { type: 'RECORD', stream: 'Orders', record: { OrderId: 1 } },
      { type: 'RECORD', stream: 'orders', record: { id: 2 } },
    ]);
    const tables = await query<{ name: string }>(
      database.name,
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY 1`,
      [config.schema],
    );
    expect(tables.map((t) => t.name)).toEqual(['raw_Orders', 'raw_orders']);
    expect(await columnTypes(database.name, config.schema as string, 'raw_Orders')).toEqual({ OrderId: 'bigint' });

    const folded = freshConfig({ table_prefix: 'raw_' });
    await load(folded, [
      schemaMessage('a-b', { id: { type: 'integer' } }, ['id']),
      schemaMessage('a_b', { id: { type: 'integer' } }, ['id']),
      { type: 'RECORD', stream: 'a_b', record: { id: 7 } },
    ]);
    // A later run sees the names in the other order and still finds each stream's own table.
    await load(folded, [schemaMessage('a_b', { id: { type: 'integer' } }, ['id']), { type: 'RECORD', stream: 'a_b', record: { id: 8 } }]);
    expect(await readTable(database.name, folded.schema as string, 'raw_a_b')).toEqual([]);
    expect((await readTable(database.name, folded.schema as string, 'raw_a_b_2')).map((r) => r['id']).sort()).toEqual([7, 8]);
  });
});

describe('commits and states', () => {
  it('yields each STATE only once the records before it are readable in the table', async () => {
    const config = freshConfig({ batch_size_rows: 250 });
    const messages: SourceMessage[] = [schemaMessage('ticks', { id: { type: 'integer' }, v: { type: 'string' } }, ['id'])];
    for (let batch = 0; batch < 8; batch++) {
      messages.push({
        type: 'RECORD_BATCH',
        stream: 'ticks',
        records: Array.from({ length: 100 }, (_, i) => ({ id: batch * 100 + i, v: `v${i}` })),
      });
      messages.push({ type: 'STATE', value: { bookmarks: { ticks: { upto: (batch + 1) * 100 } } } });
    }
    const seen: [number, number][] = [];
    await load(config, messages, {}, async (state: StateMessage) => {
      const upto = (state.value as { bookmarks: { ticks: { upto: number } } }).bookmarks.ticks.upto;
      const [count] = await query<{ n: number }>(database.name, `SELECT count(*)::int AS n FROM ${config.schema}.ticks`);
      seen.push([upto, count?.n ?? 0]);
    });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const [upto, count] of seen) expect(count).toBeGreaterThanOrEqual(upto);
    expect(seen.at(-1)?.[0]).toBe(800);
  });

  it('commits by age while the input is idle, and within maxLagSeconds in follow mode', async () => {
    for (const [extra, maxLag] of [
      [{ batch_max_age_seconds: 0.2 }, undefined],
      [{}, 0.2],
    ] as const) {
      const config = freshConfig(extra);
      let releaseInput: () => void = () => {};
      const gate = new Promise<void>((resolve) => (releaseInput = resolve));
      async function* input(): AsyncGenerator<SourceMessage> {
        yield schemaMessage('slow', { id: { type: 'integer' } }, ['id']);
        yield { type: 'RECORD', stream: 'slow', record: { id: 1 } };
        yield { type: 'STATE', value: { bookmarks: { slow: { n: 1 } } } };
        await gate;
      }
      const states: unknown[] = [];
      const ctx = { logger: silentLogger, signal: new AbortController().signal, streams: {}, ...(maxLag ? { maxLagSeconds: maxLag } : {}) };
      const started = Date.now();
      for await (const state of destination.write(config, input(), ctx)) {
        states.push(state.value);
        // The default age is 60 s: only the follow-mode lag can release the state this soon.
        expect(Date.now() - started).toBeLessThan(5000);
        expect(await query(database.name, `SELECT id FROM ${config.schema}.slow`)).toEqual([{ id: '1' }]);
        releaseInput();
      }
      expect(states).toEqual([{ bookmarks: { slow: { n: 1 } } }]);
    }
  });

  it('yields a STATE at once when nothing is uncommitted', async () => {
    const states = await load(freshConfig(), [
      { type: 'STATE', value: { bookmarks: { x: { a: 1 } } } },
      { type: 'STATE', value: { bookmarks: { x: { a: 2 } } } },
    ]);
    expect(states).toEqual([{ bookmarks: { x: { a: 1 } } }, { bookmarks: { x: { a: 2 } } }]);
  });
});

describe('loading into existing tables', () => {
  it('upserts into a table created by someone else without a primary key (update, then insert)', async () => {
    const config = freshConfig();
    await query(
      database.name,
      `CREATE SCHEMA ${config.schema}; CREATE TABLE ${config.schema}.legacy (id bigint, name text, extra text DEFAULT 'kept'); INSERT INTO ${config.schema}.legacy VALUES (1, 'old', 'x')`,
    );
    await load(config, [
      schemaMessage('legacy', { id: { type: 'integer' }, name: { type: ['null', 'string'] } }, ['id']),
      {
        type: 'RECORD_BATCH',
        stream: 'legacy',
        records: [
          { id: 1, name: 'new' },
          { id: 2, name: 'two' },
          { id: 2, name: 'two!' },
        ],
      },
    ]);
    const rows = await query(database.name, `SELECT id::int, name, extra FROM ${config.schema}.legacy ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, name: 'new', extra: 'x' },
      { id: 2, name: 'two!', extra: 'kept' },
    ]);
  });

  it('loads the same through staging only (direct_load off) as through the direct path', async () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({ id: i % 1000, v: `r${i}` }));
    const input = (): SourceMessage[] => [
      schemaMessage('same', { id: { type: 'integer' }, v: { type: 'string' } }, ['id']),
      { type: 'RECORD_BATCH', stream: 'same', records },
    ];
    const direct = freshConfig({ batch_size_rows: 700 });
    const staged = freshConfig({ batch_size_rows: 700, direct_load: false });
    await load(direct, input());
    await load(staged, input());
    const a = await query(database.name, `SELECT id, v FROM ${direct.schema}.same ORDER BY id`);
    const b = await query(database.name, `SELECT id, v FROM ${staged.schema}.same ORDER BY id`);
    expect(a).toHaveLength(1000);
    expect(a).toEqual(b);
    expect(a[999]).toEqual({ id: '999', v: 'r2999' });
  });
});

describe('contentEncoding base16 (interpret_content_encoding)', () => {
  const hexSchema = schemaMessage('blobs', { id: { type: 'integer' }, hex: { type: ['null', 'string'], contentEncoding: 'base16' } }, [
    'id',
  ]);
  const rows: SourceMessage = {
    type: 'RECORD_BATCH',
    stream: 'blobs',
    records: [
      { id: 1, hex: '0xA1B2' },
      { id: 2, hex: '0x' },
      { id: 3, hex: '' },
      { id: 4, hex: 'deadBEEF' },
    ],
  };

  it('stores base16 strings as the text they are by default', async () => {
    const config = freshConfig();
    await load(config, [hexSchema, rows, { type: 'RECORD', stream: 'blobs', record: { id: 5, hex: 'not hex at all' } }]);
    expect((await columnTypes(database.name, config.schema as string, 'blobs'))['hex']).toBe('text');
    expect((await query<{ hex: string }>(database.name, `SELECT hex FROM ${config.schema}.blobs ORDER BY id`)).map((r) => r.hex)).toEqual([
      '0xA1B2',
      '0x',
      '',
      'deadBEEF',
      'not hex at all',
    ]);
  });

  it('decodes hex into bytea when asked, with an optional 0x prefix and the empty string', async () => {
    const config = freshConfig({ interpret_content_encoding: true });
    await load(config, [hexSchema, rows]);
    expect((await columnTypes(database.name, config.schema as string, 'blobs'))['hex']).toBe('bytea');
    const values = await query<{ hex: string }>(database.name, `SELECT encode(hex, 'hex') AS hex FROM ${config.schema}.blobs ORDER BY id`);
    expect(values.map((r) => r.hex)).toEqual(['a1b2', '', '', 'deadbeef']);
  });

  it('keeps decoding into a bytea column that already exists, so its rows are not rewritten as text', async () => {
    const config = freshConfig({ interpret_content_encoding: true });
    await load(config, [hexSchema, rows]);
    await load({ ...config, interpret_content_encoding: false }, [
      hexSchema,
      { type: 'RECORD', stream: 'blobs', record: { id: 9, hex: '0x0102' } },
    ]);
    expect((await columnTypes(database.name, config.schema as string, 'blobs'))['hex']).toBe('bytea');
    const values = await query<{ hex: string }>(
      database.name,
      `SELECT encode(hex, 'hex') AS hex FROM ${config.schema}.blobs WHERE id IN (1, 9) ORDER BY id`,
    );
    expect(values.map((r) => r.hex)).toEqual(['a1b2', '0102']);
  });

  it('refuses malformed hex then, naming the stream, record and field', async () => {
    const config = freshConfig({ interpret_content_encoding: true });
    const failure = await load(config, [hexSchema, { type: 'RECORD', stream: 'blobs', record: { id: 7, hex: '0xABC' } }]).catch(
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ code: 'CONTENT_ENCODING_INVALID', stream: 'blobs', record: '{"id":7}', field: 'hex' });
  });
});

describe('quoting', () => {
  it('writes literals that mean the same with standard_conforming_strings off (the driver escapes them)', async () => {
    const scs = await createDatabase('dpg_scs');
    try {
      await query(scs.name, `ALTER DATABASE ${scs.name} SET standard_conforming_strings = off`);
      const config = baseConfig(scs.name, 'q');
      const stream = "it's a \\ path\\n";
      const field = "o'k \\ field";
      const schema = schemaMessage(stream, { id: { type: 'integer' }, [field]: { type: 'string' } }, ['id']);
      await load(config, [schema, { type: 'RECORD', stream, record: { id: 1, [field]: 'a' } }]);
      await load(config, [schema, { type: 'RECORD', stream, record: { id: 2, [field]: 'b' } }]);
      const tables = await query<{ name: string; comment: string }>(
        scs.name,
        `SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'q' AND c.relkind = 'r'`,
      );
      expect(tables.map((t) => t.comment)).toEqual([`mage-int stream: ${stream}`]);
      const comments = await query<{ comment: string | null }>(
        scs.name,
        `SELECT col_description(attrelid, attnum) AS comment FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 ORDER BY attnum`,
        [`q."${tables[0]?.name}"`],
      );
      expect(comments.map((c) => c.comment)).toContain(`mage-int field: ${field}`);
      // The second load found the table and column by their comments: one table, both rows.
      expect(await query(scs.name, `SELECT count(*)::int AS n FROM q."${tables[0]?.name}"`)).toEqual([{ n: 2 }]);
    } finally {
      await scs.drop();
    }
  });
});

describe('values', () => {
  it('writes years before 1 as BC dates', async () => {
    const config = freshConfig();
    await load(config, [
      schemaMessage(
        'ancient',
        { id: { type: 'integer' }, d: { type: 'string', format: 'date' }, ts: { type: 'string', format: 'date-time' } },
        ['id'],
      ),
      { type: 'RECORD', stream: 'ancient', record: { id: 1, d: '-0043-03-15', ts: '0000-01-01T12:00:00Z' } },
    ]);
    const rows = await query(database.name, `SELECT d::text, ts::text FROM ${config.schema}.ancient`);
    expect(rows).toEqual([{ d: '0044-03-15 BC', ts: '0001-01-01 12:00:00+00 BC' }]);
  });

  it('names the stream, record and field when a value is refused by PostgreSQL', async () => {
    const config = freshConfig();
    const failure = await load(config, [
      schemaMessage('bad', { id: { type: 'integer' }, at: { type: 'string', 'sql-datatype': 'date' } }, ['id']),
      { type: 'RECORD', stream: 'bad', record: { id: 1, at: '2024-02-30' } },
    ]).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'LOAD_REJECTED', stream: 'bad', field: 'at' });
    expect(String((failure as Error).message)).toContain('2024-02-30');
  });
});

describe('Singer BATCH messages', () => {
  it('loads records from local jsonl and gzipped jsonl batch files', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { gzipSync } = await import('node:zlib');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { pathToFileURL } = await import('node:url');
    const dir = mkdtempSync(join(tmpdir(), 'dpg-batch-'));
    try {
      writeFileSync(join(dir, 'a.jsonl'), '{"id":1,"v":"one"}\n{"id":2,"v":"two"}\n');
      writeFileSync(join(dir, 'b.jsonl.gz'), gzipSync('{"id":2,"v":"two again"}\n{"id":12345678901234567890,"v":"big"}\n'));
      const config = freshConfig();
      await load(config, [
        schemaMessage('batched', { id: { type: 'integer', 'sql-datatype': 'numeric(20,0)' }, v: { type: 'string' } }, ['id']),
        {
          type: 'BATCH',
          stream: 'batched',
          encoding: { format: 'jsonl', compression: 'none' },
          manifest: [pathToFileURL(join(dir, 'a.jsonl')).href],
        },
        {
          type: 'BATCH',
          stream: 'batched',
          encoding: { format: 'jsonl', compression: 'gzip' },
          manifest: [pathToFileURL(join(dir, 'b.jsonl.gz')).href],
        },
      ]);
      const rows = await query(database.name, `SELECT id::text, v FROM ${config.schema}.batched ORDER BY id::numeric`);
      expect(rows).toEqual([
        { id: '1', v: 'one' },
        { id: '2', v: 'two again' },
        { id: '12345678901234567890', v: 'big' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads BATCH files only as file:// URLs under batch_dir (default: the temp dir), and says why otherwise', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { pathToFileURL } = await import('node:url');
    const dir = mkdtempSync(join(process.cwd(), '.dpg-batch-'));
    try {
      writeFileSync(join(dir, 'a.jsonl'), '{"id":1,"v":"one"}\n');
      const schema = schemaMessage('batched', { id: { type: 'integer' }, v: { type: 'string' } }, ['id']);
      const batch = (entry: string): SourceMessage => ({
        type: 'BATCH',
        stream: 'batched',
        encoding: { format: 'jsonl', compression: 'none' },
        manifest: [entry],
      });
      const outside = await load(freshConfig(), [schema, batch(pathToFileURL(join(dir, 'a.jsonl')).href)]).catch((e: unknown) => e);
      expect(outside).toMatchObject({ code: 'BATCH_LOCATION_REFUSED', stream: 'batched' });
      expect(String((outside as Error).message)).toMatch(/outside the directories BATCH files may be read from/);
      await expect(load(freshConfig(), [schema, batch('/etc/passwd')])).rejects.toMatchObject({ code: 'BATCH_LOCATION_REFUSED' });
      const config = freshConfig({ batch_dir: dir });
      await load(config, [schema, batch(pathToFileURL(join(dir, 'a.jsonl')).href)]);
      expect(await query(database.name, `SELECT id::int, v FROM ${config.schema}.batched`)).toEqual([{ id: 1, v: 'one' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the connector', () => {
  it('check() reports whether it can load into the schema', async () => {
    const ctx = { logger: silentLogger, signal: new AbortController().signal };
    expect(await destination.check(freshConfig(), ctx)).toMatchObject({ ok: true });
    expect(await destination.check({ ...freshConfig(), password: 'x', port: 1 }, ctx)).toMatchObject({ ok: false });
  });

  it('is usable as a class that enforces the Singer rules', async () => {
    const config = freshConfig();
    const pgDest = new PostgreSQL({ config, logger: silentLogger });
    expect((await pgDest.check()).ok).toBe(true);
    async function* input(): AsyncGenerator<SourceMessage> {
      yield { type: 'RECORD', stream: 'nope', record: { id: 1 } };
    }
    const states: unknown[] = [];
    await expect(
      (async () => {
        for await (const state of pgDest.write(input())) states.push(state);
      })(),
    ).rejects.toMatchObject({ code: 'RECORD_BEFORE_SCHEMA' });
  });
});

describe('direct load', () => {
  function capture(): { logger: import('@mage-int/core').Logger; lines: string[] } {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    return { logger, lines };
  }

  it('copies straight into a new keyed table, and falls back to staging once keys exist', async () => {
    const config = freshConfig();
    const input = (names: string[]): SourceMessage[] => [
      schemaMessage('fast', { id: { type: 'integer' }, v: { type: 'string' } }, ['id']),
      { type: 'RECORD_BATCH', stream: 'fast', records: names.map((v, i) => ({ id: i, v })) },
    ];
    const first = capture();
    for await (const _ of destination.write(
      config,
      (async function* () {
        yield* input(['a', 'b', 'c']);
      })(),
      { logger: first.logger, signal: new AbortController().signal, streams: {} },
    ))
      void _;
    expect(first.lines.join('\n')).toContain('copying straight into');
    expect(first.lines.join('\n')).not.toContain('staging table from now on');

    const second = capture();
    for await (const _ of destination.write(
      config,
      (async function* () {
        yield* input(['x', 'y', 'z', 'new']);
      })(),
      { logger: second.logger, signal: new AbortController().signal, streams: {} },
    ))
      void _;
    expect(second.lines.join('\n')).toContain('loading through a staging table from now on');
    const rows = await query(database.name, `SELECT id::int AS id, v FROM ${config.schema}.fast ORDER BY id`);
    expect(rows).toEqual([
      { id: 0, v: 'x' },
      { id: 1, v: 'y' },
      { id: 2, v: 'z' },
      { id: 3, v: 'new' },
    ]);
  });
});

describe('native COPY text rows', () => {
  const properties = { id: { type: 'integer', 'sql-datatype': 'bigint' }, note: { type: ['null', 'string'], 'sql-datatype': 'text' } };
  const batch = (types: string[], version?: number): SourceMessage => ({
    type: 'RECORD_BATCH',
    stream: 'rows',
    records: [
      { id: 1, note: 'tab\there' },
      { id: 2, note: null },
    ],
    ...(version === undefined ? {} : { version }),
    // The same rows as PostgreSQL COPY text; a record path would write exactly this too.
    native: { format: 'postgresql-copy-text', fields: ['id', 'note'], types, data: Buffer.from('1\ttab\\there\n2\t\\N\n') },
  });

  async function run(config: ReturnType<typeof freshConfig>, types: string[], version?: number): Promise<string> {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const input = (async function* (): AsyncGenerator<SourceMessage> {
      yield schemaMessage('rows', properties, ['id']);
      yield batch(types, version);
    })();
    for await (const _ of destination.write(config, input, { logger, signal: new AbortController().signal, streams: {} })) void _;
    return lines.join('\n');
  }

  it('loads matching rows as they are, with metadata columns (a sequence per row) appended', async () => {
    const config = freshConfig({ add_record_metadata: true });
    const log = await run(config, ['bigint', 'text'], 7);
    expect(log).toContain("loading the source database's COPY text as it is");
    const rows = await query(
      database.name,
      `SELECT id::int AS id, note, _sdc_table_version::int AS version, _sdc_sequence, _sdc_batched_at IS NOT NULL AS batched FROM ${config.schema}.rows ORDER BY id`,
    );
    expect(rows.map(({ _sdc_sequence: _s, ...rest }) => rest)).toEqual([
      { id: 1, note: 'tab\there', version: 7, batched: true },
      { id: 2, note: null, version: 7, batched: true },
    ]);
    expect(BigInt(rows[1]!['_sdc_sequence'] as string) - BigInt(rows[0]!['_sdc_sequence'] as string)).toBe(1n);
  });

  it('encodes the records instead when a native type differs from the column', async () => {
    const config = freshConfig();
    const log = await run(config, ['integer', 'text']);
    expect(log).toContain('native rows do not match the table; encoding records');
    expect(await query(database.name, `SELECT id::int AS id, note FROM ${config.schema}.rows ORDER BY id`)).toEqual([
      { id: 1, note: 'tab\there' },
      { id: 2, note: null },
    ]);
  });
});
