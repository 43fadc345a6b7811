import { describe, expect, it } from 'vitest';
import {
  decodedRecords,
  encodeSingerMessage,
  lazyRecords,
  MessageGuard,
  recordsDecoded,
  stringifyRecord,
  type RecordData,
} from '../src/index.js';

const rows: RecordData[] = [
  { id: 1, name: 'a' },
  { id: 2, name: null },
  { id: 3, name: 'c' },
];

/** Records decoded on demand, counting how often each decoder ran. */
function counted() {
  const calls = { all: 0, one: 0 };
  const records = lazyRecords(
    rows.length,
    () => {
      calls.all++;
      return rows.map((r) => ({ ...r }));
    },
    (index) => {
      calls.one++;
      return { ...(rows[index] as RecordData) };
    },
  );
  return { records, calls };
}

describe('lazyRecords', () => {
  it('reads its length and single records without decoding the batch, and is an ordinary array once read whole', () => {
    const { records, calls } = counted();
    expect(records.length).toBe(3);
    const last = records[records.length - 1];
    expect(last).toEqual({ id: 3, name: 'c' });
    expect(records[2]).toBe(last);
    expect(records[5]).toBeUndefined();
    expect(calls).toEqual({ all: 0, one: 1 });
    expect(Array.isArray(records)).toBe(true);
    expect([...records]).toEqual(rows);
    expect(records.map((r) => r['id'])).toEqual([1, 2, 3]);
    expect(JSON.parse(JSON.stringify(records))).toEqual(rows);
    expect(records[2]).toBe(last);
    expect(calls).toEqual({ all: 1, one: 1 });
    records.push({ id: 4, name: 'd' });
    expect(records.length).toBe(4);
  });

  it('hands a reader going through every record the decoded array itself, once, and any other array as it is', () => {
    const { records, calls } = counted();
    const single = records[1];
    const plain = decodedRecords(records);
    expect(plain).not.toBe(records);
    expect(plain).toEqual(rows);
    expect(plain[1]).toBe(single); // a record read alone stays the same object
    expect(decodedRecords(records)).toBe(plain);
    expect(recordsDecoded(records)).toBe(true);
    expect(calls).toEqual({ all: 1, one: 1 });
    // Changes through either are seen by both: they are one array.
    records.push({ id: 4, name: 'd' });
    expect(plain.length).toBe(4);
    expect(decodedRecords(rows)).toBe(rows);
  });

  it("lets MessageGuard check key properties from the native rows' filled fields, and reads the records when it must", () => {
    const schema = { type: 'SCHEMA' as const, stream: 's', schema: { properties: { id: {}, name: {} } }, key_properties: ['id'] };
    const native = (filledFields: string[]) => ({
      format: 'postgresql-copy-text' as const,
      fields: ['id', 'name'],
      types: ['bigint', 'text'],
      data: Buffer.from(''),
      filledFields,
    });
    const guard = new MessageGuard({ validateRecords: false });
    guard.check(schema);
    const filled = counted();
    guard.check({ type: 'RECORD_BATCH', stream: 's', records: filled.records, native: native(['id']) });
    expect(filled.calls.all).toBe(0);
    expect(guard.schemaOf('s')?.records).toBe(3);
    // A key that may be NULL somewhere: every record is checked, and the NULL found.
    const keyed = new MessageGuard({ validateRecords: false });
    keyed.check({ ...schema, key_properties: ['name'] });
    const unfilled = counted();
    expect(() => keyed.check({ type: 'RECORD_BATCH', stream: 's', records: unfilled.records, native: native(['id']) })).toThrow(
      /key property "name" is missing/,
    );
    expect(unfilled.calls.all).toBe(1);
  });

  it("lets a Singer writer write records never decoded from the native rows' JSON, and decoded ones from the records", () => {
    const jsonLines = (_data: Buffer, prefix: string, suffix: string) => [rows.map((r) => prefix + stringifyRecord(r) + suffix).join('')];
    const native = {
      format: 'postgresql-copy-text' as const,
      fields: ['id', 'name'],
      types: ['bigint', 'text'],
      data: Buffer.from(''),
      jsonLines,
    };
    const lazy = counted();
    const expected = rows.map((r) => `{"type":"RECORD","stream":"s","record":${stringifyRecord(r)},"version":2}\n`).join('');
    expect(recordsDecoded(lazy.records)).toBe(false);
    expect(encodeSingerMessage({ type: 'RECORD_BATCH', stream: 's', version: 2, records: lazy.records, native }).toString()).toBe(expected);
    expect(lazy.calls.all).toBe(0);
    // Once decoded (and perhaps changed), the records are what gets written.
    lazy.records.forEach((r) => (r['name'] = 'x'));
    expect(recordsDecoded(lazy.records)).toBe(true);
    expect(encodeSingerMessage({ type: 'RECORD_BATCH', stream: 's', version: 2, records: lazy.records, native }).toString()).toContain(
      '"name":"x"',
    );
    expect(recordsDecoded(rows)).toBe(true);
  });
});
