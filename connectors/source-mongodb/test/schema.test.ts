import { Decimal, type Logger } from '@mage-int/core';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, UUID } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { fieldSchema, recordValue, UnrepresentableValue } from '../src/bson-values.js';
import { collectionSchema, inferFields } from '../src/discover.js';
import { RecordConverter } from '../src/records.js';

describe('schema inference', () => {
  it('widens the BSON types seen across the sample: int+long integer, with a double number, with a Decimal128 exact', () => {
    const fields = inferFields([
      { _id: new ObjectId(), a: new Int32(1), b: new Int32(1), c: new Int32(1), d: 'x', e: new Date(0) },
      { _id: new ObjectId(), a: Long.fromNumber(2), b: new Double(1.5), c: Decimal128.fromString('1.5'), d: new Int32(3), e: null },
      { _id: new ObjectId(), late: { nested: true } },
    ]);
    const schema = collectionSchema(fields);
    expect(schema.properties).toMatchObject({
      _id: { type: ['string'], 'sql-datatype': 'objectId' },
      a: { type: ['null', 'integer'], 'x-bson-types': ['int', 'long'] },
      b: { type: ['null', 'number'] },
      c: { type: ['null', 'number'], 'x-decimal': true },
      d: { type: ['null', 'integer', 'string'] },
      e: { type: ['null', 'string'], format: 'date-time' },
      late: { type: ['null', 'object'] },
    });
  });

  it('maps binary, UUIDs and timestamps', () => {
    expect(fieldSchema(new Set(['binData']))).toMatchObject({ type: ['null', 'string'], contentEncoding: 'base64' });
    expect(fieldSchema(new Set(['uuid']))).toMatchObject({ type: ['null', 'string'], format: 'uuid' });
    expect(fieldSchema(new Set(['uuid', 'binData']))).toMatchObject({ type: ['null', 'string'] });
    expect(fieldSchema(new Set(['timestamp']))).toMatchObject({ type: ['null', 'object'] });
    expect(fieldSchema(new Set(['array', 'object']))).toMatchObject({ type: ['null', 'array', 'object'] });
  });
});

describe('values', () => {
  it('converts every BSON type exactly', () => {
    expect(recordValue(new ObjectId('65a1b2c3d4e5f60718293a4b'))).toBe('65a1b2c3d4e5f60718293a4b');
    expect(recordValue(Decimal128.fromString('1.10'))).toEqual(new Decimal('1.10'));
    expect(recordValue(Long.fromString('9007199254740993'))).toBe(9007199254740993n);
    expect(recordValue(Long.fromNumber(42))).toBe(42);
    expect(recordValue(new Double(0.1))).toBe(0.1);
    expect(recordValue(new Date('2024-02-29T23:59:59.999Z'))).toBe('2024-02-29T23:59:59.999Z');
    expect(recordValue(new Binary(Buffer.from([0, 255])))).toBe('AP8=');
    expect(recordValue(new UUID('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'))).toBe('0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0');
    expect(recordValue(new Timestamp({ t: 5, i: 6 }))).toEqual({ t: 5, i: 6 });
    expect(recordValue({ a: [new Int32(1), { o: new ObjectId('65a1b2c3d4e5f60718293a4c'), d: new Double(Number.NaN) }] })).toEqual({
      a: [1, { o: '65a1b2c3d4e5f60718293a4c', d: null }],
    });
    expect(recordValue(new Double(Number.POSITIVE_INFINITY))).toBeInstanceOf(UnrepresentableValue);
    expect(recordValue(Decimal128.fromString('NaN'))).toBeInstanceOf(UnrepresentableValue);
  });

  it('leaves out fields the schema lacks and writes NaN as null, warning once per field', () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} } as unknown as Logger;
    const converter = new RecordConverter('shop-orders', { type: 'object', properties: { _id: {}, n: {} } }, logger);
    expect(converter.record({ _id: new Int32(1), n: new Double(Number.NaN), extra: 'x' })).toEqual({ _id: 1, n: null });
    converter.record({ _id: new Int32(2), n: new Double(Number.NaN), extra: 'y' });
    expect(warnings).toHaveLength(2);
    expect(warnings.some((w) => /field "extra" is not in the discovered schema/.test(w))).toBe(true);
    expect(warnings.some((w) => /field "n" holds NaN/.test(w))).toBe(true);
  });
});
