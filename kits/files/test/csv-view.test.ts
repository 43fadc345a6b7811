import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordShaper } from '../src/coerce.js';
import { csvView, csvViewRecords, writeNumberedCsv } from '../src/csv-view.js';
import { DEFAULT_CSV, readCsvRows, type CsvReadOptions } from '../src/formats/csv-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'files-csv-view-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The numbered copy of `text` (read in chunks of `chunk` bytes, so rows and quotes straddle them), or undefined. */
async function numbered(text: string | Buffer, csv: Partial<CsvReadOptions> = {}, chunk = 7) {
  const bytes = Buffer.from(text);
  const chunks = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  const out = join(dir, `n-${Math.random().toString(36).slice(2)}.csv`);
  const result = await writeNumberedCsv(Readable.from(chunks), { ...DEFAULT_CSV, ...csv }, out);
  return result && { ...result, text: readFileSync(out, 'utf8') };
}

/** The record path's rows of `text`: the line each ends on and its values. */
async function recordPath(text: string, csv: Partial<CsvReadOptions> = {}) {
  const rows: [number, unknown[]][] = [];
  for await (const batch of readCsvRows(Readable.from([Buffer.from(text)]), { ...DEFAULT_CSV, ...csv }, 'f.csv'))
    for (const row of batch) rows.push([row.line, Object.values(row.values)]);
  return rows;
}

describe('the numbered copy of a CSV (csv-view)', () => {
  it('numbers each row with the line the record path gives it: header, skipped lines, BOM, quoted newlines, empty lines', async () => {
    const cases: [string, Partial<CsvReadOptions>][] = [
      ['\uFEFFid,note\n1,"a\nb"\n\n2,""\n3,\n4,"x ""q"", y"', {}],
      ['exported\nby x\nid,note\n', { skipRows: 2 }],
      ['skip me\r\nid,note\r\n1,"a\r\nb"\r\n\r\n2,c\r\n3,"d\r\n\r\ne"', { skipRows: 1 }],
      ['1,a\n2,"b\nc"\n\n3,d\n', { header: false, columnNames: ['id', 'note'] }],
      ['a;b\n1;"x;y"\n', { delimiter: ';' }],
    ];
    for (const [text, csv] of cases) {
      const result = await numbered(text, csv);
      expect(result, text).toBeDefined();
      const expected = await recordPath(text, csv);
      expect(result?.rows).toBe(expected.length);
      // The copy's first value is the line; the rest, read by the record path, are the original's values.
      const copied = await recordPath(result?.text ?? '', { ...csv, header: false, skipRows: 0, columnNames: undefined });
      expect(copied.map(([, values]) => [Number(values[0]), values.slice(1)])).toEqual(expected);
    }
    expect((await numbered('\uFEFFid,note\n1,x\n'))?.columns).toEqual(['id', 'note']);
    expect((await numbered(',b\n1,2\n'))?.columns).toEqual(['column_1', 'b']);
  });

  it('leaves to the record path what it cannot number exactly', async () => {
    for (const [text, csv] of [
      ['id,note\n1,a\rb\n', {}], // a lone CR: a line for csv-parse
      ['id,note\r\n1,a\n2,b\r\n', {}], // mixed line ends
      ['"skipped\nline"\nid,note\n1,a\n', { skipRows: 1 }], // a quote in a skipped line
      ['id,note\n1,"open\n', {}], // an unclosed quote
      ['id,note\n1,a,extra\n', {}], // a first row longer than the header
      ['1,a\n2,b\n', { header: false, columnNames: ['id', 'note', 'more'] }], // fewer values than the given names
      ['id,note\n1,x"y\n2,"ok"\n', {}], // a quote inside an unquoted value: csv-parse refuses it, DuckDB reads it
      ['id,note\n1,"x"y\n', {}], // text after a closing quote
      ['id,note\n1, "x"\n', {}], // a space before an opening quote
      ['id,note\n1,a\n', { encoding: 'latin1' }],
      ['id,note\n1,a\n', { escape: '\\' }],
      ['id||note\n1||a\n', { delimiter: '||' }],
    ] as [string, Partial<CsvReadOptions>][])
      expect(await numbered(text, csv), text).toBeUndefined();
  });

  it('reads the copy back as the record path reads the original: exact numbers, and a bad value named by its line', async () => {
    const text = 'id,amount,ok,note\n1,0.1,yes,"a\nb"\n2,12345678901234567890.125,no,\n\n3,+7,1,""\n';
    const result = await numbered(text);
    const path = join(dir, 'records.csv');
    writeFileSync(path, result?.text ?? '');
    const properties = { id: { type: 'integer' }, amount: { type: 'number' }, ok: { type: 'boolean' }, note: { type: ['string', 'null'] } };
    const view = csvView({
      csv: DEFAULT_CSV,
      key: 'k/a.csv',
      modified: '2024-01-01T00:00:00.000Z',
      columns: result?.columns ?? [],
      partitions: { region: 'eu' },
      properties,
      fields: ['id', 'amount', 'ok', 'note', 'region', '_sdc_source_lineno'],
    });
    const records = [];
    for await (const batch of csvViewRecords(view, path, 's')) records.push(...batch);
    const shaper = new RecordShaper(properties, 's', new Set());
    const expected = (await recordPath(text)).map(([line, values]) => {
      const record: Record<string, unknown> = { region: 'eu', _sdc_source_lineno: line };
      shaper.shape(Object.fromEntries(['id', 'amount', 'ok', 'note'].map((f, i) => [f, values[i]])), 'k/a.csv', line, record);
      return record;
    });
    expect(records).toEqual(expected);
    expect(String(records[1]?.['amount'])).toBe('12345678901234567890.125');
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, (await numbered('id,amount,ok,note\n1,1,t,a\n\n2,x,t,b\n'))?.text ?? '');
    const read = async () => {
      for await (const _ of csvViewRecords(view, bad, 's'));
    };
    await expect(read()).rejects.toThrow(/k\/a\.csv:4: "x" is not a valid number/);
    // A row csv-parse will not read (DuckDB neither): named by the source's line, as the record path names it.
    const text2 = 'exported\nid,amount,ok,note\n1,1,t,a\n\n2,2,f,b,extra\n';
    writeFileSync(bad, (await numbered(text2, { skipRows: 1 }))?.text ?? '');
    await expect(read()).rejects.toThrow(/k\/a\.csv:5: Invalid Record Length/);
    await expect(recordPath(text2, { skipRows: 1 })).rejects.toThrow(/f\.csv:5: Invalid Record Length/);
  });
});

const PLAIN = new Set([
  '5',
  ' 5',
  '5 ',
  '+5',
  '-5',
  '0',
  '.5',
  '5.',
  '1e3',
  '39801.14',
  '1.50',
  '100',
  '0.6954759777702854',
  'true',
  'f',
  ' yes ',
]);

describe('the CSV conversions in SQL', () => {
  it('give each text the value RecordShaper gives it, or stop where it refuses it or keeps an exact decimal', async () => {
    const { Duck } = await import('../src/duck.js');
    const { csvViewRelation } = await import('../src/csv-view.js');
    const duck = await Duck.open();
    try {
      const texts: Record<'integer' | 'number' | 'boolean', string[]> = {
        number: [
          '5',
          ' 5',
          '5 ',
          '\t5\t',
          '+5',
          ' +5 ',
          '+-5',
          '-+5',
          '+ 5',
          '-5',
          '-0',
          '0',
          '0.0',
          '.5',
          '5.',
          '-.5',
          '00.5',
          '1e3',
          '1E+3',
          '1.e1',
          '.e1',
          '1e',
          '1e+',
          '.',
          '-',
          '+',
          '1_0',
          'inf',
          '-inf',
          'nan',
          'Infinity',
          '0x10',
          '1,5',
          '5 5',
          '1e400',
          '1e-400',
          '0.1000000000000000055511151231257827',
          '0.30000000000000004',
          '0.6954759777702854',
          '123456789012345678',
          '9007199254740993',
          '12345678901234567890.25',
          '39801.14',
          '1.50',
          '100',
        ],
        integer: ['5', ' 5 ', '+5', '-5', '007', '1.5', '1e3', '1_000', '0x10', '9223372036854775807', '9223372036854775808', '-0', ''],
        boolean: ['true', 'TRUE', ' yes ', 'N', '0', '1', 'maybe', 'f'],
      };
      for (const [kind, values] of Object.entries(texts) as ['integer' | 'number' | 'boolean', string[]][]) {
        const shaper = new RecordShaper({ v: { type: kind } }, 's', new Set());
        for (const text of values) {
          const path = join(dir, 'one.csv');
          writeFileSync(path, `2,"${text}"\n`);
          const view = { csv: DEFAULT_CSV, file: 'f.csv', columns: ['v'], fields: [{ name: 'v', column: 0, kind }] };
          const sql = await duck.rows(`SELECT CAST(v AS VARCHAR) AS v FROM ${csvViewRelation(view, [path], 's')}`).then(
            (rows) => rows[0]?.['v'] ?? null,
            () => 'refused',
          );
          let js: unknown;
          try {
            const record: Record<string, unknown> = {};
            shaper.shape({ v: text }, 'f.csv', 2, record);
            js = record['v'];
          } catch {
            js = 'refused';
          }
          // A number the record path keeps exact (bigint, Decimal) is for the record path: the SQL must stop there.
          // An integer past 2^53 is a BIGINT in SQL as a bigint in the record: the same value.
          const expected =
            kind === 'integer' && (typeof js === 'number' || typeof js === 'bigint')
              ? String(js)
              : typeof js === 'number' || typeof js === 'boolean'
                ? js
                : 'refused';
          const got = sql === 'refused' ? sql : kind === 'boolean' ? sql === 'true' : kind === 'integer' ? sql : Number(sql);
          // Refusing is always safe (the record path then reads the file: SQL trims spaces only, `007` is not an
          // integer's print), but not for the plain texts a CSV is mostly made of.
          if (got === 'refused' && !PLAIN.has(text)) continue;
          expect([kind, text, got], `${kind} ${JSON.stringify(text)}`).toEqual([kind, text, expected]);
        }
      }
    } finally {
      duck.close();
    }
  });
});
