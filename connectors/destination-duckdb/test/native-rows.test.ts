import { afterAll, describe, expect, test } from 'vitest';
import { Decimal, lazyRecords, type JsonSchema, type RecordData, type SourceMessage } from '@mage-int/core';
import { columnTypes, load, query, schema, state, tempDir } from './helpers.js';

const tmp = tempDir('native');
afterAll(() => tmp.cleanup());

/** The fields of the test stream with their PostgreSQL types (format_type spelling) and JSON Schemas, as source-postgres reports them. */
const FIELDS: [string, string, JsonSchema][] = [
  ['id', 'bigint', { type: 'integer', 'sql-datatype': 'bigint' }],
  ['amount', 'numeric(12,2)', { type: ['null', 'number'], 'sql-datatype': 'numeric(12,2)' }],
  ['ratio', 'double precision', { type: ['null', 'number'], 'sql-datatype': 'double precision' }],
  ['qty', 'integer', { type: ['null', 'integer'], 'sql-datatype': 'integer' }],
  ['at', 'timestamp with time zone', { type: ['null', 'string'], format: 'date-time', 'sql-datatype': 'timestamp with time zone' }],
  ['day', 'date', { type: ['null', 'string'], format: 'date', 'sql-datatype': 'date' }],
  ['flag', 'boolean', { type: ['null', 'boolean'], 'sql-datatype': 'boolean' }],
  ['code', 'character varying(8)', { type: ['null', 'string'], 'sql-datatype': 'character varying(8)' }],
  ['note', 'text', { type: ['null', 'string'], 'sql-datatype': 'text' }],
  ['doc', 'jsonb', { type: ['null', 'object', 'array'], 'sql-datatype': 'jsonb' }],
  ['uid', 'uuid', { type: ['null', 'string'], format: 'uuid', 'sql-datatype': 'uuid' }],
  ['big', 'numeric', { type: ['null', 'number'], 'sql-datatype': 'numeric' }],
];
const ordersSchema = schema('orders', Object.fromEntries(FIELDS.map(([name, , json]) => [name, json])), ['id']);

/** One row as records carry it and as PostgreSQL's COPY text writes it (tab-separated, `\N`, backslash escapes). */
interface Row {
  record: RecordData;
  text: string;
}

const rows: Row[] = [
  {
    record: {
      id: 1,
      amount: new Decimal('12.50'),
      ratio: 0.14285714285714285,
      qty: 7,
      at: '2024-01-02T03:04:05.123456+00:00',
      day: '2024-01-02',
      flag: true,
      code: 'A-1',
      note: 'tab\there, new\nline, back\\slash, "quotes", ünï 😀',
      doc: { a: 1, n: [1.5, null], s: 'x "q" \\ y' },
      uid: '0b5f5f5e-4a8a-4c9e-9d1a-2f0c1b7a9e11',
      big: new Decimal('123456789012345678901234567890.123456789'),
    },
    text: [
      '1',
      '12.50',
      '0.14285714285714285',
      '7',
      '2024-01-02 03:04:05.123456+00',
      '2024-01-02',
      't',
      'A-1',
      'tab\\there, new\\nline, back\\\\slash, "quotes", ünï 😀',
      '{"a": 1, "n": [1.5, null], "s": "x \\\\"q\\\\" \\\\\\\\ y"}',
      '0b5f5f5e-4a8a-4c9e-9d1a-2f0c1b7a9e11',
      '123456789012345678901234567890.123456789',
    ].join('\t'),
  },
  {
    record: {
      id: 2,
      amount: null,
      ratio: null,
      qty: null,
      at: null,
      day: null,
      flag: null,
      code: '',
      note: null,
      doc: null,
      uid: null,
      big: null,
    },
    text: ['2', '\\N', '\\N', '\\N', '\\N', '\\N', '\\N', '', '\\N', '\\N', '\\N', '\\N'].join('\t'),
  },
  {
    record: {
      id: 3,
      amount: new Decimal('-0.01'),
      ratio: -1e-7,
      qty: -2147483648,
      at: 'infinity',
      day: '2000-02-29',
      flag: false,
      code: 'x',
      note: 'r\rb\bf\fv\v',
      doc: [],
      uid: null,
      big: new Decimal('0'),
    },
    text: ['3', '-0.01', '-1e-07', '-2147483648', 'infinity', '2000-02-29', 'f', 'x', 'r\\rb\\bf\\fv\\v', '[]', '\\N', '0'].join('\t'),
  },
];

/**
 * Decodes COPY text lines back into the rows' records as a source's `NativeRows.decode` does (here by looking
 * each line up), noting every call.
 */
function decoder(of: Row[], calls: string[]): (data: Buffer) => RecordData[] {
  const byText = new Map(of.map((r) => [r.text, r.record]));
  return (data) => {
    const text = data.toString('utf8');
    calls.push(text);
    return text
      .split('\n')
      .slice(0, -1)
      .map((line) => ({ ...(byText.get(line) as RecordData) }));
  };
}

function batch(of: Row[], native = true, decode?: (data: Buffer) => RecordData[]): SourceMessage {
  return {
    type: 'RECORD_BATCH',
    stream: 'orders',
    records: of.map((r) => ({ ...r.record })),
    ...(native
      ? {
          native: {
            format: 'postgresql-copy-text',
            fields: FIELDS.map(([f]) => f),
            types: FIELDS.map(([, t]) => t),
            data: Buffer.from(of.map((r) => `${r.text}\n`).join('')),
            ...(decode ? { decode } : {}),
          },
        }
      : {}),
  };
}

const contents = (path: string) =>
  query(path, 'SELECT * EXCLUDE (doc), doc::JSON::VARCHAR AS doc, json(doc) AS doc_min FROM orders ORDER BY id');

describe('native rows (PostgreSQL COPY text) loaded by DuckDB', () => {
  test('load the same values as the records they come with: escapes, NULLs, empty text, exact decimals, µs timestamps, JSON', async () => {
    const fromNative = tmp.db('same-native');
    const fromRecords = tmp.db('same-records');
    await load({ path: fromNative }, [ordersSchema, batch(rows.slice(0, 2)), batch(rows.slice(2))]);
    await load({ path: fromRecords }, [ordersSchema, batch(rows.slice(0, 2), false), batch(rows.slice(2), false)]);
    expect(await columnTypes(fromNative, 'orders')).toEqual(await columnTypes(fromRecords, 'orders'));
    const native = await contents(fromNative);
    const records = await contents(fromRecords);
    // The JSON text keeps PostgreSQL's spacing; the document is the same.
    expect(native.map(({ doc: _doc, ...rest }) => rest)).toEqual(records.map(({ doc: _doc, ...rest }) => rest));
    expect(native[0]?.['note']).toBe('tab\there, new\nline, back\\slash, "quotes", ünï 😀');
    expect(native[0]?.['big']).toBe('123456789012345678901234567890.123456789');
    expect(native[0]?.['amount']).toBe('12.50');
    expect(native[1]?.['code']).toBe('');
    expect(native[1]?.['note']).toBeNull();
  });

  test('take the rows as the source database wrote them when they fit the table (no record is read)', async () => {
    const path = tmp.db('as-written');
    const row = rows[0] as Row;
    // The native text says 13.00 where the record says 12.50: the table shows which of the two was loaded.
    await load({ path }, [ordersSchema, batch([{ record: row.record, text: row.text.replace('\t12.50\t', '\t13.00\t') }])]);
    expect((await query(path, 'SELECT amount::VARCHAR AS a FROM orders'))[0]?.['a']).toBe('13.00');
  });

  test('fall back to the records when DuckDB cannot read a value exactly: numeric NaN widens the column, years BC keep their era', async () => {
    const path = tmp.db('fallback');
    const nan: Row = {
      record: { ...(rows[1] as Row).record, id: 4, amount: Number.NaN },
      text: (rows[1] as Row).text.replace(/^2\t\\N/, '4\tNaN'),
    };
    const bc: Row = {
      record: { ...(rows[1] as Row).record, id: 5, day: '-0043-03-15' },
      text: (rows[1] as Row).text.replace(/^2/, '5').replace(/^(5(?:\t[^\t]*){4})\t\\N/, '$1\t0044-03-15 BC'),
    };
    const states = await load({ path }, [ordersSchema, batch([rows[0] as Row, nan]), state(1), batch([bc]), state(2)]);
    expect(states.map((s) => s.value)).toEqual([2]);
    expect((await columnTypes(path, 'orders'))['amount']).toBe('VARCHAR');
    expect(await query(path, 'SELECT id, amount, day::VARCHAR AS day FROM orders ORDER BY id')).toEqual([
      { id: '1', amount: '12.50', day: '2024-01-02' },
      { id: '4', amount: 'NaN', day: null },
      { id: '5', amount: null, day: '0044-03-15 (BC)' },
    ]);
  });

  test('a key repeated across batches of one commit keeps its last row; within one batch the records decide', async () => {
    const path = tmp.db('repeats');
    const first = rows[0] as Row;
    const again: Row = { record: { ...first.record, qty: 99 }, text: first.text.replace('\t7\t', '\t99\t') };
    const twice: Row = { record: { ...first.record, qty: 100 }, text: first.text.replace('\t7\t', '\t100\t') };
    await load({ path }, [ordersSchema, batch([first]), batch([again]), batch([again, twice])]);
    expect(await query(path, 'SELECT id, qty FROM orders')).toEqual([{ id: '1', qty: '100' }]);
  });

  test('a full chunk DuckDB refuses loads from its records, and the batches after it keep their order (a later row of a key wins)', async () => {
    const path = tmp.db('in-flight');
    const base = rows[1] as Row;
    const row = (id: number, qty: number, amount: string | number = '1.00'): Row => {
      const note = `n${id} `.padEnd(1000, 'x');
      return {
        record: { ...base.record, id, qty, amount: typeof amount === 'number' ? amount : new Decimal(amount), note },
        text: base.text
          .replace(/^2\t\\N\t\\N\t\\N/, `${id}\t${typeof amount === 'number' ? 'NaN' : amount}\t\\N\t${qty}`)
          .replace(/\t\\N(\t[^\t]*\t[^\t]*\t[^\t]*)$/, `\t${note}$1`),
      };
    };
    // Batches of ~1 MB fill the 2 MB chunks (id 1 holds a NaN DuckDB refuses as a DECIMAL: the column becomes text); the last batch updates id 2.
    const batches = [0, 1, 2, 3].map((b) =>
      batch(Array.from({ length: 1000 }, (_, i) => (b === 0 && i === 0 ? row(1, 1, Number.NaN) : row(b * 1000 + i + 1, 1)))),
    );
    await load({ path }, [ordersSchema, ...batches, batch([row(2, 99), row(5001, 1)]), state('done')]);
    expect(
      await query(
        path,
        'SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, max(length(note))::INTEGER AS note FROM orders',
      ),
    ).toEqual([{ n: 4001, ids: 4001, note: 1000 }]);
    expect(await query(path, 'SELECT id, qty, amount FROM orders WHERE id IN (1, 2, 5001) ORDER BY id')).toEqual([
      { id: '1', qty: '1', amount: 'NaN' },
      { id: '2', qty: '99', amount: '1.00' },
      { id: '5001', qty: '1', amount: '1.00' },
    ]);
  });

  test('a chunk refused after others went straight into the new table leaves them loaded: they run again, then its records load', async () => {
    const path = tmp.db('replayed');
    const base = rows[1] as Row;
    const row = (id: number, amount: string | number = '1.00'): Row => {
      const note = `n${id} `.padEnd(1000, 'x');
      return {
        record: { ...base.record, id, qty: 1, amount: typeof amount === 'number' ? amount : new Decimal(amount), note },
        text: base.text
          .replace(/^2\t\\N\t\\N\t\\N/, `${id}\t${typeof amount === 'number' ? 'NaN' : amount}\t\\N\t1`)
          .replace(/\t\\N(\t[^\t]*\t[^\t]*\t[^\t]*)$/, `\t${note}$1`),
      };
    };
    // Batches of ~1 MB in 2 MB chunks: the first two chunks load into the table the run creates, inside the commit's
    // transaction; the third holds a NaN DuckDB refuses, which aborts that transaction, so the first two run again.
    const batches = [0, 1, 2, 3, 4, 5].map((b) =>
      batch(Array.from({ length: 1000 }, (_, i) => (b === 4 && i === 500 ? row(b * 1000 + i + 1, Number.NaN) : row(b * 1000 + i + 1)))),
    );
    const states = await load({ path }, [ordersSchema, ...batches, state('done')]);
    expect(states.map((s) => s.value)).toEqual(['done']);
    expect(
      await query(
        path,
        'SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, min(id)::INTEGER AS lo, max(id)::INTEGER AS hi FROM orders',
      ),
    ).toEqual([{ n: 6000, ids: 6000, lo: 1, hi: 6000 }]);
    expect(await query(path, "SELECT id, amount FROM orders WHERE amount <> '1.00'")).toEqual([{ id: '4501', amount: 'NaN' }]);
  });

  test('a refused chunk of rows the source can decode again is read back from the file: each batch from its own bytes, in order', async () => {
    const path = tmp.db('decoded');
    const base = rows[1] as Row;
    const row = (id: number, qty: number, amount: string | number = '1.00'): Row => ({
      record: { ...base.record, id, qty, amount: typeof amount === 'number' ? amount : new Decimal(amount) },
      text: base.text.replace(/^2\t\\N\t\\N\t\\N/, `${id}\t${typeof amount === 'number' ? 'NaN' : amount}\t\\N\t${qty}`),
    });
    // The first two batches share one chunk; the second holds a NaN DuckDB refuses as a DECIMAL, so the chunk loads
    // from records, which only exist again through decode (the column becomes text, as on the record path). The
    // third repeats key 1, so it starts the next chunk, which DuckDB takes: its row of key 1 wins.
    const groups = [
      [row(1, 1), row(2, 1)],
      [row(3, 1, Number.NaN), row(4, 1)],
      [row(5, 1), row(1, 7)],
    ];
    const calls: string[] = [];
    const decode = decoder(groups.flat(), calls);
    const states = await load({ path }, [ordersSchema, ...groups.map((g) => batch(g, true, decode)), state('done')]);
    expect(states.map((s) => s.value)).toEqual(['done']);
    expect(calls).toEqual(groups.slice(0, 2).map((g) => g.map((r) => `${r.text}\n`).join('')));
    expect((await columnTypes(path, 'orders'))['amount']).toBe('VARCHAR');
    expect(await query(path, 'SELECT id, qty, amount FROM orders ORDER BY id')).toEqual([
      { id: '1', qty: '7', amount: '1.00' },
      { id: '2', qty: '1', amount: '1.00' },
      { id: '3', qty: '1', amount: 'NaN' },
      { id: '4', qty: '1', amount: '1.00' },
      { id: '5', qty: '1', amount: '1.00' },
    ]);
  });

  test('rows the source can decode again load without a decode when DuckDB takes them', async () => {
    const path = tmp.db('decodable');
    const calls: string[] = [];
    await load({ path }, [
      ordersSchema,
      batch(rows.slice(0, 2), true, decoder(rows, calls)),
      batch(rows.slice(2), true, decoder(rows, calls)),
    ]);
    expect(calls).toEqual([]);
    expect((await contents(path)).map((r) => r['id'])).toEqual(['1', '2', '3']);
  });

  // A source's records decoded only when read (lazyRecords): the rising-key check reads the key column from the text.
  test('keyed rows going straight into a new table are checked for rising keys without decoding their records', async () => {
    const path = tmp.db('lazy-keys');
    let decoded = 0;
    const lazy = (of: Row[]): SourceMessage => {
      const message = batch(of) as Extract<SourceMessage, { type: 'RECORD_BATCH' }>;
      const records = message.records;
      const decodeAll = () => {
        decoded++;
        return records;
      };
      return { ...message, records: lazyRecords(records.length, decodeAll) };
    };
    await load({ path }, [ordersSchema, lazy(rows.slice(0, 2)), lazy(rows.slice(2))]);
    expect(decoded).toBe(0);
    expect((await contents(path)).map((r) => r['id'])).toEqual(['1', '2', '3']);
    // The text is what loads: a key the text repeats (whatever the records say) goes through the merge, one row per key.
    const repeated = tmp.db('lazy-keys-repeated');
    const first = rows[0] as Row;
    const again: Row = { record: { ...first.record, id: 9 }, text: first.text.replace('\t7\t', '\t8\t') };
    await load({ path: repeated }, [ordersSchema, lazy([first]), lazy([again])]);
    expect(await query(repeated, 'SELECT id, qty FROM orders')).toEqual([{ id: '1', qty: '8' }]);
  });
});
