import { describe, expect, it } from 'vitest';
import { Decimal, JsonText } from '@mage-int/core';
import { ColumnOverflowError, NulCharacterError } from '../src/copy-text.js';
import { compileBatchEncoder, compileRowEncoder, type PlannedColumn, type RowMeta } from '../src/row-encoder.js';
import { fieldColumn } from './columns.js';

const field = fieldColumn;
const COLUMNS: PlannedColumn[] = [
  field('id', 'int8'),
  field('amount', 'numeric'),
  field('ratio', 'float8'),
  field('active', 'bool'),
  field('name', 'text'),
  field('at', 'timestamptz'),
  field('day', 'date'),
  field('doc', 'jsonb'),
  field('constructor', 'text'),
  { column: '_sdc_sequence', type: { kind: 'int8' }, source: { kind: 'meta', name: '_sdc_sequence' } },
];
const meta = (): RowMeta => ({ extractedAt: null, receivedAt: '', batchedAt: '', sequence: 100, version: null });

/** Values the inline fast paths take and values they hand to the column's encoder. */
const RECORDS: Record<string, unknown>[] = [
  {
    id: 1,
    amount: 12.5,
    ratio: 0.14285714285714285,
    active: true,
    name: 'plain',
    at: '2024-01-02T03:04:05.123456Z',
    day: '2024-01-02',
    doc: { a: 1 },
  },
  { id: 9007199254740993n, amount: new Decimal('1234567890.123456789012'), ratio: -1e-300, active: false, name: 'tab\there\\ "q"\nline' },
  {
    id: null,
    amount: undefined,
    active: 'yes',
    name: 42,
    at: '-0043-03-15T00:00:00Z',
    day: '0000-01-01',
    doc: new JsonText('{"x":\t"a\\\\b"}'),
  },
  { id: 2, name: 'ünïcödé 日本語 😀', at: '0999-12-31T23:59:59Z', doc: 'a string', constructor: 'own' },
];

describe('compiled batch encoder', () => {
  it('writes the same text as the row encoder, fast paths and fallbacks alike', () => {
    const row = compileRowEncoder(COLUMNS, 'reject', false);
    const batch = compileBatchEncoder(COLUMNS, 'reject', false);
    const m1 = meta();
    const m2 = meta();
    const expected = RECORDS.map((r) => row(r, m1)).join('');
    expect(batch(RECORDS, 0, m2, 1 << 20)).toBe(expected);
    expect(batch.next).toBe(RECORDS.length);
    expect(m2.sequence).toBe(m1.sequence);
    expect(expected).toContain('tab\\there\\\\ "q"\\nline');
    expect(expected).toContain('0044-03-15T00:00:00Z BC');
  });

  it('stops at the length limit, before a delete, and before a value its column rejects', () => {
    const batch = compileBatchEncoder(COLUMNS, 'reject', false);
    const m = meta();
    expect(batch(RECORDS, 0, m, 1).split('\n').length).toBe(2); // one row reaches the limit
    expect(batch.next).toBe(1);

    const withDelete = [RECORDS[0], { id: 3, _sdc_deleted_at: '2024-01-01T00:00:00Z' }, RECORDS[1]] as Record<string, unknown>[];
    expect(batch(withDelete, 0, m, 1 << 20).split('\n').length).toBe(2);
    expect(batch.next).toBe(1);
    expect(batch(withDelete, 1, m, 1 << 20)).toBe('');
    expect(batch.next).toBe(1);

    // The third record overflows int8, the fourth holds a NUL: each stops the run with the rows before it kept and
    // the sequence as it was before the failing record, so the per-record path can encode it (and raise the error).
    const row = compileRowEncoder(COLUMNS, 'reject', false);
    const bad = [RECORDS[0], RECORDS[3], { id: 2n ** 64n }, { id: 4, name: 'nul\0' }] as Record<string, unknown>[];
    const m2 = meta();
    const text = batch(bad, 0, m2, 1 << 20);
    expect(batch.next).toBe(2);
    expect(m2.sequence).toBe(102);
    expect(text).toBe(
      row(RECORDS[0] as Record<string, unknown>, meta()) + row(RECORDS[3] as Record<string, unknown>, { ...meta(), sequence: 101 }),
    );
    expect(() => row(bad[2] as Record<string, unknown>, m2)).toThrow(ColumnOverflowError);
    expect(batch(bad, 3, m2, 1 << 20)).toBe('');
    expect(batch.next).toBe(3);
    expect(() => row(bad[3] as Record<string, unknown>, m2)).toThrow(NulCharacterError);
  });

  it('adds the staging delete flag column when asked', () => {
    const batch = compileBatchEncoder([field('id', 'int8')], 'strip', true);
    expect(batch([{ id: 1 }, { id: 2 }], 0, meta(), 1 << 20)).toBe('1\t\\N\n2\t\\N\n');
  });
});
