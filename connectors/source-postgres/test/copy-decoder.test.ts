import type { Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSingerMessage, recordsDecoded, type RecordData } from '@mage-int/core';
import { copyRows, copyTextCodec, decodeCopyChunks } from '../src/copy-rows.js';
import { decodeCopyLine, unescapeCopyText, type RowColumn } from '../src/copy-text-decoder.js';
import {
  parseArray,
  parseBool,
  parseDate,
  parseFloat8,
  parseInt4,
  parseInt8,
  parseJson,
  parseNumeric,
  parseText,
  parseTimestamptz,
} from '../src/text-values.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

/** A small seeded PRNG, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Escapes a value the way PostgreSQL's COPY TO writes text format. */
function copyEscape(text: string): string {
  const map: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v' };
  return text.replace(/[\\\n\r\t\b\f\v]/g, (c) => map[c]!);
}

const COLUMNS: RowColumn[] = [
  { name: 'id', parse: parseInt8 },
  { name: 'qty', parse: parseInt4 },
  { name: 'active', parse: parseBool },
  { name: 'at', parse: parseTimestamptz },
  { name: 'label', parse: parseText },
  { name: 'amount', parse: parseNumeric },
  { name: 'ratio', parse: parseFloat8 },
  { name: 'doc', parse: parseJson },
  { name: 'tags', parse: (text) => parseArray(text, parseText) },
  { name: 'day', parse: parseDate },
];

const PIECES = [
  ...['a', 'Z', ' ', '"', "'", ',', '\\', '\n', '\r', '\t', '\b', '\f', '\v', 'é', 'ß', '日本', '😀', 'N', '\\N', '{', '}'],
  // Characters COPY writes raw and JSON escapes (or not: DEL, U+2028).
  ...['\u0001', '\u001f', '\u007f', '\u2028'],
];

/** Random rows as the text PostgreSQL prints per column (null for SQL NULL). */
function randomRows(count: number, random: () => number): (string | null)[][] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const text = (max: number) => Array.from({ length: Math.floor(random() * max) }, () => pick(PIECES)).join('');
  const maybe = (value: string) => (random() < 0.15 ? null : value);
  const rows: (string | null)[][] = [];
  for (let i = 0; i < count; i++) {
    rows.push([
      pick([String(i), String(-i), '9007199254740993', '-9223372036854775808', '0', '123456789012345']),
      maybe(pick(['0', '-1', '2147483647', '-2147483648', String(i * 7)])),
      maybe(pick(['t', 'f'])),
      maybe(pick(['2024-01-02 03:04:05.123456+00', '2024-01-02 03:04:05+00', 'infinity', '-infinity', '0044-03-15 10:00:00+00 BC'])),
      maybe(text(30)),
      maybe(pick(['0', '-1.50', '123456789012345678901234567890.0123456789', 'NaN', 'Infinity'])),
      maybe(pick(['0.1', '-1e-300', 'NaN', '-Infinity', '1.7976931348623157e+308', '-0', '0.30000000000000004', '123.25', '1e-05', '100'])),
      maybe(
        JSON.stringify({ s: text(12), n: pick([1, 2.5, -0.125]), big: 12345678901234567890n.toString() }).replace(
          '"big":"12345678901234567890"',
          '"big":12345678901234567890',
        ),
      ),
      maybe(`{${['"a b"', '"c\\\\d"', 'NULL', '"e\\"f"'].slice(0, Math.floor(random() * 4)).join(',')}}`),
      maybe(pick(['2024-02-29', '0044-03-15 BC', 'infinity', '-infinity'])),
    ]);
  }
  return rows;
}

function copyText(rows: readonly (string | null)[][]): Buffer {
  return Buffer.from(rows.map((row) => row.map((v) => (v === null ? '\\N' : copyEscape(v))).join('\t') + '\n').join(''), 'utf8');
}

function expected(rows: readonly (string | null)[][]): RecordData[] {
  return rows.map((row) => Object.fromEntries(COLUMNS.map((c, i) => [c.name, row[i] === null ? null : c.parse(row[i]!)])));
}

/** Splits bytes at random offsets (often inside a row, sometimes inside a UTF-8 character). */
async function* randomChunks(bytes: Buffer, random: () => number, maxChunk: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * maxChunk);
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

/** The record batches, and their texts one after the other; each batch's text must decode to its records. */
async function decodeAll(
  chunks: AsyncIterable<Buffer>,
  columns: readonly RowColumn[],
  batchSize: number,
  textLimit?: number,
): Promise<{ batches: RecordData[][]; text: Buffer }> {
  const batches: RecordData[][] = [];
  const texts: Buffer[] = [];
  for await (const { records: lazy, text } of decodeCopyChunks(chunks, columns, batchSize, textLimit)) {
    const records = [...lazy];
    const lines = text.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => decodeCopyLine(line, columns))).toEqual(records);
    batches.push(records);
    texts.push(text);
  }
  return { batches, text: Buffer.concat(texts) };
}

describe('COPY text decoding', () => {
  it('decodes escaped, NULL and unicode fields to the values of their unescaped text, wherever the chunks split', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = prng(seed);
      const rows = randomRows(400, random);
      const bytes = copyText(rows);
      for (const maxChunk of [1, 7, 300, 70_000]) {
        const { batches, text } = await decodeAll(randomChunks(bytes, random, maxChunk), COLUMNS, 64);
        // The rows' text, batch after batch, is the input: every byte lands in exactly one batch.
        expect(text.equals(bytes)).toBe(true);
        expect(batches.flat(), `seed ${seed}, chunks up to ${maxChunk} bytes`).toEqual(expected(rows));
      }
    }
  });

  it('yields batches of exactly batch_size rows, the last one holding the rest', async () => {
    const rows = randomRows(1000, prng(9));
    const { batches } = await decodeAll(randomChunks(copyText(rows), prng(10), 5000), COLUMNS, 300);
    expect(batches.map((b) => b.length)).toEqual([300, 300, 300, 100]);
  });

  it('ends a batch early once its rows hold the text limit, so wide rows come in fewer per batch', async () => {
    const rows = Array.from({ length: 100 }, (_v, i) => `${String(i).padStart(3, '0')}\t${'x'.repeat(96)}\n`).join('');
    const columns: RowColumn[] = [
      { name: 'id', parse: parseInt4 },
      { name: 'filler', parse: parseText },
    ];
    const { batches, text } = await decodeAll(randomChunks(Buffer.from(rows), prng(11), 700), columns, 1000, 1000);
    expect(text.toString()).toBe(rows);
    // 101 characters a row: the tenth row crosses 1,000.
    expect(batches.map((b) => b.length)).toEqual(Array.from({ length: 10 }, () => 10));
    expect(batches.flat().map((r) => r['id'])).toEqual(Array.from({ length: 100 }, (_v, i) => i));
  });

  it('decodes records only when read: the last one alone for the bookmark, the whole batch on iteration', async () => {
    const rows = randomRows(500, prng(12));
    const batches = decodeCopyChunks(randomChunks(copyText(rows), prng(13), 900), COLUMNS, 1000);
    const records = (await batches.next()).value!.records;
    expect(records.length).toBe(500);
    expect(recordsDecoded(records)).toBe(false);
    expect(records[499]).toEqual(expected(rows)[499]);
    expect(records[3]).toEqual(expected(rows)[3]);
    expect(recordsDecoded(records)).toBe(false);
    expect([...records]).toEqual(expected(rows));
    expect(recordsDecoded(records)).toBe(true);
  });

  for (const via of ['jsonLines', 'jsonBytes'] as const) {
    it(`writes the records' Singer JSON from the text (${via}), byte for byte what the decoded records give`, async () => {
      for (const seed of [21, 22, 23, 24, 25]) {
        const rows = randomRows(600, prng(seed));
        const text = copyText(rows);
        const codec = copyTextCodec(COLUMNS);
        const message = (records: RecordData[], withNative: boolean) =>
          encodeSingerMessage({
            type: 'RECORD_BATCH',
            stream: 's',
            version: 7,
            records,
            ...(withNative ? { native: { format: 'postgresql-copy-text', fields: [], types: [], data: text, [via]: codec[via] } } : {}),
          });
        const transcoded = message(codec.records(text, rows.length), true);
        expect(transcoded.equals(message(expected(rows), false)), `seed ${seed}`).toBe(true);
        // Decoded records are written from the records: a changed record must not be written from the text.
        const changed = codec.records(text, rows.length);
        changed.forEach((record) => (record['label'] = 'changed'));
        expect(message(changed, true).toString('utf8')).toContain('"label":"changed"');
      }
    });
  }

  it('writes JSON bytes from rows of long fields, json with whitespace, and text that is not UTF-8 as the string path does', () => {
    const codec = copyTextCodec(COLUMNS);
    const long = `${'é"x\u0001'.repeat(20_000)}`;
    // Every 7th row a long text; every 5th a json field with whitespace between tokens (escaped in COPY text).
    const rows = randomRows(50, prng(31)).map((row, i) =>
      row.map((v, c) => (c === 4 && i % 7 === 0 ? long : c === 7 && i % 5 === 0 ? '{"a":\n\t[1,\r\n 2], "b": "\\u0001\\\\"}' : v)),
    );
    const valid = copyText(rows);
    // A SQL_ASCII database sends the bytes it holds: the byte path must not pass invalid UTF-8 into the JSON.
    const invalid = Buffer.concat([valid, Buffer.from('1\t\\N\tt\t\\N\ta\xff\xfeb\t\\N\t\\N\t\\N\t\\N\t\\N\n', 'latin1')]);
    for (const data of [valid, invalid]) {
      const bytes = codec.jsonBytes(data, '{"r":', '}\n');
      expect(bytes.equals(Buffer.from(codec.jsonLines(data, '{"r":', '}\n').join('')))).toBe(true);
    }
    expect(codec.jsonBytes(invalid, '', '\n').toString('utf8')).toContain('"label":"a\uFFFD\uFFFDb"');
  });

  it('grows the JSON buffer for fields that double in size, and reports a row with too few fields as the string path does', () => {
    const codec = copyTextCodec(COLUMNS);
    const row = (label: string) => ['1', '2', 't', '\\N', label, '1.5', '0.5', '\\N', '\\N', '2024-02-29'].join('\t') + '\n';
    // Quotes and backslashes take two bytes each in JSON: far more than the buffer's first guess for such rows.
    const data = Buffer.from(row('"'.repeat(30_000)) + row('\\\\'.repeat(30_000)) + row('\\n"'.repeat(20_000)));
    expect(codec.jsonBytes(data, '', '\n').equals(Buffer.from(codec.jsonLines(data, '', '\n').join('')))).toBe(true);
    expect(JSON.parse(codec.jsonBytes(data, '', '\n').toString('utf8').split('\n')[1]!).label).toBe('\\'.repeat(30_000));
    const short = Buffer.from('1\t2\tt\n');
    expect(() => codec.jsonBytes(short, '', '\n')).toThrow('a COPY row has fewer fields than the 10 columns read');
    expect(() => codec.jsonLines(short, '', '\n')).toThrow('a COPY row has fewer fields than the 10 columns read');
  });

  it('undoes every escape COPY text may hold: octal, hex, letters, and unknown escapes as the character itself', () => {
    expect(unescapeCopyText('a\\101b\\x41\\x4a\\x4g\\xg')).toBe('aAbAJ\x04gxg');
    expect(unescapeCopyText('\\0\\1234\\7')).toBe('\0S4\x07');
    expect(unescapeCopyText('\\b\\f\\n\\r\\t\\v\\\\\\q\\"')).toBe('\b\f\n\r\t\v\\q"');
    expect(unescapeCopyText('kept at the end\\')).toBe('kept at the end\\');
    expect(unescapeCopyText('xx\\ty', 2, 4)).toBe('\t');
  });

  it('reports a stream that ends inside a row, and a row with too few fields', async () => {
    const cut = async function* () {
      yield Buffer.from('1\t2\n3\t');
    };
    const two = [COLUMNS[0]!, COLUMNS[1]!];
    await expect(decodeAll(cut(), two, 10)).rejects.toThrow(/ended in the middle of a row/);
    const short = async function* () {
      yield Buffer.from('1\t2\n3\n');
    };
    await expect(decodeAll(short(), two, 10)).rejects.toThrow(/fewer fields than the 2 columns/);
  });
});

describe('COPY streaming', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    // About 25 MB of COPY text.
    await db.sql(`CREATE TABLE wide AS SELECT g AS id, repeat('x', 100) || g AS filler FROM generate_series(1, 200000) g`);
  });
  afterAll(async () => db.drop());

  it('stops reading the socket while the consumer is busy, so memory holds a batch and not the table', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: db.name });
    await client.connect();
    try {
      const socket = client.connection.stream as Socket;
      const columns: RowColumn[] = [
        { name: 'id', parse: parseInt4 },
        { name: 'filler', parse: parseText },
      ];
      const rows = copyRows(client, 'SELECT id, filler FROM wide ORDER BY id', columns, 1000);
      const first = await rows.next();
      expect(first.value?.records).toHaveLength(1000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // The server had half a second to send all 25 MB: only the first batch and the socket and stream
      // buffers may have been read.
      expect(socket.bytesRead).toBeLessThan(2 << 20);
      let count = 1000;
      let largest = 0;
      for await (const batch of { [Symbol.asyncIterator]: () => rows }) {
        count += batch.records.length;
        largest = Math.max(largest, batch.records.length);
      }
      expect(count).toBe(200_000);
      expect(largest).toBe(1000);
    } finally {
      await client.end();
    }
  });
});
