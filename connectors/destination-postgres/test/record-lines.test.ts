import { describe, expect, it } from 'vitest';
import { parseSingerLine, recordEnvelope, RecordValidator, type JsonSchema, type RecordData } from '@mage-int/core';
import { compileLineTranscoder } from '../src/record-lines.js';
import { compileRowEncoder, type PlannedColumn, type RowMeta } from '../src/row-encoder.js';
import { fieldColumn } from './columns.js';

const field = fieldColumn;
const COLUMNS: PlannedColumn[] = [
  field('id', 'int8'),
  field('amount', 'numeric'),
  field('ratio', 'float8'),
  field('qty', 'int4'),
  field('created_at', 'timestamptz'),
  field('due', 'date'),
  field('active', 'bool'),
  field('name', 'text'),
  field('payload', 'jsonb'),
  field('raw', 'json'),
  field('_sdc_deleted_at', 'timestamptz'),
  { column: '_sdc_table_version', type: { kind: 'int8' }, source: { kind: 'meta', name: '_sdc_table_version' } },
  { column: '_sdc_sequence', type: { kind: 'int8' }, source: { kind: 'meta', name: '_sdc_sequence' } },
];
const SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: ['integer'] },
    amount: { type: ['null', 'number'] },
    ratio: { type: ['null', 'number'] },
    qty: { type: ['null', 'integer'] },
    created_at: { type: ['null', 'string'], format: 'date-time' },
    due: { type: ['null', 'string'], format: 'date' },
    active: { type: ['null', 'boolean'] },
    name: { type: ['null', 'string'], 'sql-datatype': 'text' },
    payload: { type: ['null', 'object', 'array'] },
    raw: { type: ['null', 'object', 'array', 'string', 'number', 'boolean'] },
  },
};
const meta = (): RowMeta => ({ extractedAt: null, receivedAt: '', batchedAt: '', sequence: 7, version: 5 });

/** Raw JSON texts per field, clean ones first: escapes, exact and inexact numbers, bad values, odd JSON. */
const VALUES: Record<string, string[]> = {
  id: ['1', '42', '-7', '9007199254740993', '123456789012345678', '1.0', '1e3', '"5"', 'null', '-0'],
  amount: [
    '79.19',
    '0.1',
    '100',
    '1.50',
    '1e-7',
    '0.0000001',
    '-0',
    '-0.0',
    '123456789012345678901234567890.5',
    '0.14285714285714285',
    '"1"',
    'null',
    '2E+3',
  ],
  ratio: ['0.14285714285714285', '0.5', '-2.25', '1.50', '1e300', '-0', '-0.0', '1e-400', '3', 'true', 'null'],
  qty: ['3', '-12', '0', '2.5', '1e2', '99999999999', 'null'],
  created_at: [
    '"2020-01-01T00:00:01.234567+00:00"',
    '"2024-02-29 12:00:00"',
    '"0999-12-31T23:59:59Z"',
    '"-0043-03-15T00:00:00Z"',
    '"infinity"',
    '"not a date"',
    '"2020-01-01T00:00:00\\u002B00:00"',
    '"2020\\/01\\/01T00:00:00Z"',
    '12',
    'null',
  ],
  due: ['"2020-01-02"', '"2020-13-01"', '"10000-01-01"', '"2020-01-02T00:00:00Z"', 'null'],
  active: ['true', 'false', '"true"', '1', 'null'],
  name: [
    '"plain"',
    '"O\'Brien said \\"hi\\""',
    '"multi\\nline\\ttab\\\\back\\r"',
    '"ünïcödé 日本語 😀"',
    '"slash \\/ and \\b \\f"',
    '"\\u00e9\\u0009\\u000a\\u005c\\u0041"',
    '"\\ud83d\\ude00 pair"',
    '"nul \\u0000 here"',
    '"bad \\x escape"',
    '"raw\ttab"',
    '42',
    'null',
  ],
  payload: [
    '{"id": 1, "tags": ["a", "b", 1], "nested": {"s": "str \\"q\\" 1", "x": 0.125}}',
    '{}',
    '[]',
    '[1,2,{"a":null,"b":true,"c":false}]',
    '{"x": 1.50}',
    '{"x": 1e2}',
    '{"big": 123456789012345678901234567890}',
    '{"s": "\\u0000"}',
    '{"s": "\\u00e9 \\/ \\\\"}',
    '{"a":1,}',
    '{"a"\t: 1}',
    '"text"',
    'null',
  ],
  raw: [
    '{"id": 1, "tags": ["a", "b", 1], "nested": {"x": 0.1250, "s": "str \\"q\\" 1"}}',
    '[1, 2.50, {"b": 1, "a": [true, null]}]',
    '{"2": "a", "1": "b"}',
    '{"big": 12345678901234567890, "e": 1e400}',
    '{"s": "\\u00e9 \\/ \\\\ \\u0000"}',
    '"a string"',
    '3.25',
    'null',
  ],
};

/** A record line: fields in schema order, each from VALUES at `pick(i)`, with some left out, added or set to delete. */
function line(pick: (field: string, count: number) => number, twist: number): string {
  const parts: string[] = [];
  for (const [name, values] of Object.entries(VALUES)) {
    if (twist === 1 && name === 'qty') continue;
    parts.push(`"${name}":${values[pick(name, values.length)]}`);
  }
  if (twist === 2) parts.push('"extra":1');
  if (twist === 3) parts.push('"_sdc_deleted_at":"2024-01-01T00:00:00Z"');
  if (twist === 4) parts.push('"_sdc_deleted_at":null');
  if (twist === 5) parts.push('"id":2');
  return `{"type":"RECORD","stream":"s","record":{${parts.join(',')}},"version":5}`;
}

/**
 * A row as PostgreSQL stores it: the float8 cell as the double it reads (`1.50` and `1.5` alike, not `-0` and `0`);
 * the jsonb cell without its spacing and string escapes (the record path writes JSON.stringify's), its number
 * literals as written (jsonb keeps 1.50 apart from 1.5).
 */
function asStored(row: string | undefined): string | undefined {
  if (row === undefined) return undefined;
  const cells = row.split('\t');
  if (cells[2] !== '\\N') cells[2] = Object.is(Number(cells[2]), -0) ? '-0' : String(Number(cells[2]));
  const json = cells[8] as string;
  if (json !== '\\N') {
    const value = JSON.parse(json.replaceAll('\\\\', '\\'), (_key, v, context?: { source?: string }) =>
      typeof v === 'number' && context?.source ? (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(context.source) : v,
    );
    cells[8] = JSON.stringify(value);
  }
  return cells.join('\t');
}

/** The record path's row for a line (its checks passed), or undefined when the record path refuses or routes it elsewhere. */
function recordPathRow(text: string, validator: RecordValidator): string | undefined {
  let record: RecordData;
  try {
    const message = parseSingerLine(text, 1);
    if (message?.type !== 'RECORD') return undefined;
    record = message.record;
    if (record['id'] === undefined || record['id'] === null) return undefined;
    validator.validate(record, () => 0, 1);
  } catch {
    return undefined;
  }
  try {
    return compileRowEncoder(COLUMNS, 'reject', false)(record, meta());
  } catch {
    return undefined;
  }
}

describe('RECORD lines to COPY text', () => {
  it('writes what the record path writes for every line it takes, and takes no line the reader would refuse', () => {
    const transcode = compileLineTranscoder(COLUMNS, SCHEMA, ['id'], 'reject');
    expect(transcode).toBeDefined();
    if (!transcode) return;
    const validator = new RecordValidator('s', SCHEMA);
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let taken = 0;
    const lines: string[] = [];
    // Clean lines (the first value of each field), then every value of each field in turn, then random mixes.
    lines.push(line(() => 0, 0));
    for (const [name, values] of Object.entries(VALUES))
      for (let v = 0; v < values.length; v++) lines.push(line((f) => (f === name ? v : 0), 0));
    for (let twist = 1; twist <= 5; twist++) lines.push(line(() => 0, twist));
    for (let i = 0; i < 3000; i++)
      lines.push(line((_, n) => (random() < 0.85 ? 0 : Math.floor(random() * n)), random() < 0.1 ? 1 + Math.floor(random() * 5) : 0));
    for (const text of lines) {
      const envelope = recordEnvelope(text);
      expect(envelope).toBeDefined();
      if (!envelope) continue;
      const m = meta();
      const row = transcode([text], envelope.recordStart, [envelope.recordEnd], 0, m, 1 << 20);
      const expected = recordPathRow(text, validator);
      if (transcode.next === 1) {
        taken++;
        expect({ text, row: asStored(row) }).toEqual({ text, row: asStored(expected) });
        expect(m.sequence).toBe(8);
      } else {
        expect(row).toBe('');
        expect(m.sequence).toBe(7);
      }
    }
    // Most lines hold only clean values: the fast path must take them (else it would be no fast path).
    expect(taken).toBeGreaterThan(lines.length / 4);
    const first = lines[0] as string;
    transcode([first], recordEnvelope(first)?.recordStart as number, [recordEnvelope(first)?.recordEnd as number], 0, meta(), 1 << 20);
    expect(transcode.next).toBe(1);
  });

  it('stops at a key that does not rise, and takes the rows before it', () => {
    const transcode = compileLineTranscoder(COLUMNS, SCHEMA, ['id'], 'reject');
    if (!transcode) throw new Error('no transcoder');
    const lines = [3, 5, 4].map((id) => `{"type":"RECORD","stream":"s","record":{"id":${id}}}`);
    const ends = lines.map((text) => recordEnvelope(text)?.recordEnd as number);
    const rise = { order: 'number' as const, last: 1 as number | undefined };
    const text = transcode(lines, recordEnvelope(lines[0] as string)?.recordStart as number, ends, 0, meta(), 1 << 20, rise);
    expect(text.split('\n')).toHaveLength(3);
    expect(transcode.next).toBe(2);
    expect(transcode.risen).toBe(false);
    expect(rise.last).toBe(5);
  });

  it('is not used for a stream whose schema asks more than types and formats', () => {
    const constrained = (extra: JsonSchema) => ({
      ...SCHEMA,
      properties: { ...SCHEMA.properties, name: { type: ['null', 'string'], ...extra } },
    });
    expect(compileLineTranscoder(COLUMNS, constrained({ maxLength: 3 }), ['id'], 'reject')).toBeUndefined();
    expect(compileLineTranscoder(COLUMNS, constrained({ enum: ['a'] }), ['id'], 'reject')).toBeUndefined();
    expect(compileLineTranscoder(COLUMNS, constrained({ format: 'email' }), ['id'], 'reject')).toBeUndefined();
    expect(compileLineTranscoder(COLUMNS, { ...SCHEMA, anyOf: [] }, ['id'], 'reject')).toBeUndefined();
    expect(compileLineTranscoder(COLUMNS, constrained({ 'x-note': 1, description: 'd' }), ['id'], 'reject')).toBeDefined();
  });
});
