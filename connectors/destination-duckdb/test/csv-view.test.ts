import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CsvBatchView, SourceMessage } from '@mage-int/core';
import { FileDataError } from '@mage-int/files';
import { afterAll, describe, expect, test } from 'vitest';
import { columnTypes, load, query, schema, state, tempDir } from './helpers.js';

// csv-view BATCH messages as a tap writes them on stdout (Singer, two processes): a CSV whose rows start with the line
// they end on in the source's file, and the view that makes them records (@mage-int/files: csvViewRelation).
const { dir, db, cleanup } = tempDir('csv-view');
afterAll(cleanup);

const csv = { delimiter: ',', quote: '"', escape: '"', nullValues: [''] };
const columns = ['id', 'amount', 'ok', 'note'];
const VIEW: CsvBatchView = {
  csv,
  file: 'in/orders.csv',
  columns,
  fields: [
    { name: 'id', column: 0, kind: 'integer' },
    { name: 'amount', column: 1, kind: 'number' },
    { name: 'ok', column: 2, kind: 'boolean' },
    { name: 'note', column: 3 },
    { name: '_sdc_source_file', text: 'in/orders.csv' },
    { name: '_sdc_source_lineno', line: true },
  ],
};
const ORDERS = schema('orders', {
  id: { type: ['integer', 'null'] },
  amount: { type: ['number', 'null'] },
  ok: { type: ['boolean', 'null'] },
  note: { type: ['string', 'null'] },
  _sdc_source_file: { type: ['string', 'null'] },
  _sdc_source_lineno: { type: ['integer', 'null'] },
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const batch = (path: string, view: unknown = VIEW): SourceMessage =>
  ({
    type: 'BATCH',
    stream: 'orders',
    encoding: { format: 'csv-view', compression: 'none' },
    manifest: [pathToFileURL(path).href],
    view,
  }) as SourceMessage;

describe('csv-view BATCH files', () => {
  test('load with one INSERT: conversions, quoted newlines, empty text beside NULL, constants and line numbers', async () => {
    const path = db('loaded');
    const rows = file('loaded.csv', '2,1,1.50,yes,"multi\nline, ""quoted"""\n5,2, .5 ,F,""\n6,3,,true,\n\n9,+4,1e3,0,plain\n');
    const states = await load({ path, batch_dir: dir }, [ORDERS, batch(rows), state({ n: 1 })]);
    expect(states).toEqual([{ type: 'STATE', value: { n: 1 } }]);
    expect(
      await query(path, `SELECT id, amount, ok, note, _sdc_source_file AS f, _sdc_source_lineno AS line FROM orders ORDER BY id`),
    ).toEqual([
      { id: '1', amount: 1.5, ok: true, note: 'multi\nline, "quoted"', f: 'in/orders.csv', line: '2' },
      { id: '2', amount: 0.5, ok: false, note: '', f: 'in/orders.csv', line: '5' },
      { id: '3', amount: null, ok: true, note: null, f: 'in/orders.csv', line: '6' },
      { id: '4', amount: 1000, ok: false, note: 'plain', f: 'in/orders.csv', line: '9' },
    ]);
    expect(await columnTypes(path, 'orders')).toMatchObject({ id: 'BIGINT', amount: 'DOUBLE', ok: 'BOOLEAN', note: 'VARCHAR' });
  });

  test('a number only a decimal holds exactly goes through the files kit record path, and keeps every digit', async () => {
    const path = db('exact');
    const rows = file('exact.csv', '2,1,0.25,t,a\n3,2,12345678901234567890.123456789,f,b\n');
    await load({ path, batch_dir: dir }, [ORDERS, batch(rows), state({ n: 1 })]);
    expect(await query(path, `SELECT id, amount::VARCHAR AS amount, _sdc_source_lineno AS line FROM orders ORDER BY id`)).toEqual([
      { id: '1', amount: '0.25', line: '2' },
      { id: '2', amount: '12345678901234567890.123456789', line: '3' },
    ]);
  });

  test('a bad value fails naming the file, line and field; nothing is committed and no state is released', async () => {
    const path = db('bad');
    const rows = file('bad.csv', '2,1,1.5,t,a\n7,2x,2.5,f,"b\nc"\n8,3,3.5,t,d\n');
    const states: unknown[] = [];
    const run = load({ path, batch_dir: dir }, [ORDERS, batch(rows), state({ n: 1 })]).then((s) => states.push(...s));
    await expect(run).rejects.toThrow(FileDataError);
    await expect(run).rejects.toThrow(/in\/orders\.csv:7: "2x" is not a valid integer/);
    await run.catch((error: FileDataError) => {
      expect(error.file).toBe('in/orders.csv');
      expect(error.field).toBe('id');
      expect(error.stream).toBe('orders');
    });
    expect(states).toEqual([]);
    expect(await query(path, `SELECT count(*)::INTEGER AS n FROM orders`)).toEqual([{ n: 0 }]);
  });

  test('a view is checked field by field: SQL in it is refused, not run', async () => {
    const path = db('refused');
    const rows = file('refused.csv', '2,1,1.5,t,a\n');
    for (const view of [
      { ...VIEW, fields: [{ name: 'id', column: 0, kind: "integer'); DROP TABLE orders; --" }] },
      { ...VIEW, fields: [{ name: 'id', column: 9 }] },
      { ...VIEW, csv: { ...csv, delimiter: "',' ); --" } },
      { ...VIEW, fields: [] },
    ])
      await expect(load({ path, batch_dir: dir }, [ORDERS, batch(rows, view)])).rejects.toThrow(/the view of a csv-view BATCH/);
  });
});
