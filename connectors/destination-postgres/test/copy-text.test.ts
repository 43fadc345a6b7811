import { describe, expect, it } from 'vitest';
import { Decimal } from '@mage-int/core';
import { arrayLiteral, escapeCopyText, NulCharacterError, toPgEra, valueEncoder } from '../src/copy-text.js';
import { formatPgType, parsePgType, widenPgType, type PgType } from '../src/pg-types.js';
import { mapColumns } from '../src/naming.js';

const enc = (type: PgType, extra = {}) => valueEncoder(type, { column: 'c', nul: 'reject', ...extra });

describe('COPY text encoding', () => {
  it('escapes backslash, tab, newline and carriage return, and nothing else', () => {
    expect(escapeCopyText('a\\b\tc\nd\re "quoted" \'x\' ,|', 'reject', 'c')).toBe('a\\\\b\\tc\\nd\\re "quoted" \'x\' ,|');
    expect(escapeCopyText('\\N', 'reject', 'c')).toBe('\\\\N');
    expect(escapeCopyText('plain ✓ 😀', 'reject', 'c')).toBe('plain ✓ 😀');
  });

  it('strips or rejects NUL characters, in text and in JSON', () => {
    expect(escapeCopyText('a\0b\0', 'strip', 'c')).toBe('ab');
    expect(() => escapeCopyText('a\0b', 'reject', 'note')).toThrow(NulCharacterError);
    expect(valueEncoder({ kind: 'jsonb' }, { column: 'c', nul: 'strip' })({ 'k\0': 'v\0w', lit: '\\u0000' })).toBe(
      '{"k":"vw","lit":"\\\\\\\\u0000"}',
    );
    expect(() => enc({ kind: 'jsonb' })({ a: 'x\0' })).toThrow(NulCharacterError);
  });

  it('writes numbers exactly from number, bigint and Decimal', () => {
    expect(enc({ kind: 'int8' })(9223372036854775807n)).toBe('9223372036854775807');
    expect(enc({ kind: 'numeric' })(new Decimal('123456789012345678901234567890.000000001'))).toBe(
      '123456789012345678901234567890.000000001',
    );
    expect(enc({ kind: 'float8' })(0.1)).toBe('0.1');
    expect(enc({ kind: 'numeric' })(-0)).toBe('0');
    expect(() => enc({ kind: 'int8' })(2n ** 64n)).toThrow('bigint range');
  });

  it('writes JSON for json columns, keeping big numbers exact', () => {
    expect(enc({ kind: 'jsonb' })({ n: 12345678901234567890n, d: new Decimal('1.10'), s: 'tab\tquote"' })).toBe(
      '{"n":12345678901234567890,"d":1.10,"s":"tab\\\\tquote\\\\""}',
    );
    expect(enc({ kind: 'jsonb' })('a string')).toBe('"a string"');
    expect(enc({ kind: 'jsonb' }, { jsonText: true })('{"raw": true}')).toBe('{"raw": true}');
  });

  it('writes bytea from base64 and base16 as hex', () => {
    expect(enc({ kind: 'bytea' }, { contentEncoding: 'base64' })('AAEC/w==')).toBe('\\\\x000102ff');
    expect(enc({ kind: 'bytea' }, { contentEncoding: 'base16' })('DEADbeef')).toBe('\\\\xDEADbeef');
    expect(() => enc({ kind: 'bytea' }, { contentEncoding: 'base16' })('xyz')).toThrow('base16');
  });

  it('builds array literals with quoting, NULLs and nesting', () => {
    expect(arrayLiteral([1, null, [2, 3]], { kind: 'int4' }, { column: 'c', nul: 'reject' })).toBe('{"1",NULL,{"2","3"}}');
    expect(arrayLiteral(['a"b', 'c\\d', 'NULL', ''], { kind: 'text' }, { column: 'c', nul: 'reject' })).toBe(
      '{"a\\"b","c\\\\d","NULL",""}',
    );
  });

  it('turns ISO years before 1 into BC', () => {
    expect(toPgEra('-0043-03-15')).toBe('0044-03-15 BC');
    expect(toPgEra('0000-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00Z BC');
    expect(toPgEra('2024-01-01')).toBe('2024-01-01');
  });
});

describe('PostgreSQL types', () => {
  it("parses PostgreSQL type names and rejects other engines' names", () => {
    expect(parsePgType('numeric(12,2)')).toEqual({ kind: 'numeric', precision: 12, scale: 2 });
    expect(parsePgType('character varying(40)')).toEqual({ kind: 'varchar', length: 40 });
    expect(parsePgType('timestamp(3) with time zone')).toEqual({ kind: 'timestamptz' });
    expect(parsePgType('_int8')).toEqual({ kind: 'array', element: { kind: 'int8' } });
    expect(parsePgType('text[]')).toEqual({ kind: 'array', element: { kind: 'text' } });
    for (const foreign of ['datetime', 'tinyint(1)', 'ARRAY', 'USER-DEFINED', 'nvarchar(max)', 'money'])
      expect(parsePgType(foreign)).toBeUndefined();
    expect(formatPgType({ kind: 'numeric', precision: 12, scale: 2 })).toBe('numeric(12,2)');
  });

  it('widens without ever narrowing', () => {
    const w = (a: string, b: string) => formatPgType(widenPgType(parsePgType(a) as PgType, parsePgType(b) as PgType));
    expect(w('integer', 'bigint')).toBe('bigint');
    expect(w('bigint', 'integer')).toBe('bigint');
    expect(w('bigint', 'numeric')).toBe('numeric');
    expect(w('numeric(12,2)', 'bigint')).toBe('numeric(21,2)');
    expect(w('numeric(12,2)', 'numeric(10,4)')).toBe('numeric(14,4)');
    expect(w('bigint', 'double precision')).toBe('numeric');
    expect(w('varchar(10)', 'varchar(20)')).toBe('character varying(20)');
    expect(w('varchar(10)', 'text')).toBe('text');
    expect(w('date', 'timestamptz')).toBe('timestamp with time zone');
    expect(w('boolean', 'bigint')).toBe('text');
    expect(w('text', 'jsonb')).toBe('jsonb');
    expect(w('jsonb', 'bigint')).toBe('jsonb');
    expect(w('integer[]', 'bigint[]')).toBe('bigint[]');
    expect(w('integer[]', 'text')).toBe('jsonb');
  });
});

describe('column naming', () => {
  it('gives colliding fields distinct names, the already-valid one keeping its own', () => {
    const rules = { maxBytes: 63 };
    expect([...mapColumns(['A B', 'a_b', 'a-b'], new Map(), rules)]).toEqual([
      ['A B', 'a_b_2'],
      ['a_b', 'a_b'],
      ['a-b', 'a_b_3'],
    ]);
    // An existing column keeps the field its comment names, whatever the schema order.
    expect(mapColumns(['a_b', 'A B'], new Map([['a_b', 'A B']]), rules).get('A B')).toBe('a_b');
  });
});
