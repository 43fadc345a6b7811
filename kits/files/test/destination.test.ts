import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Decimal, type JsonText, silentLogger, type SourceMessage } from '@mage-int/core';
import { discoverFiles, LocalStorage, readFiles, writeFiles, type FileDestinationConfig, type Storage } from '../src/index.js';
import { collect, data, drain, readContext, tempDir, writeContext } from './helpers.js';

let root: string;
let remove: () => void;
beforeEach(() => {
  ({ dir: root, remove } = tempDir('mage-files-dst-'));
});
afterEach(() => remove());

function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: ['string', 'null'] },
    amount: { type: ['number', 'null'], 'x-decimal': true },
    created_at: { type: ['string', 'null'], format: 'date-time' },
  },
};

function input(n: number): SourceMessage[] {
  return [
    { type: 'SCHEMA', stream: 'orders', schema: SCHEMA, key_properties: ['id'] },
    {
      type: 'RECORD_BATCH',
      stream: 'orders',
      records: Array.from({ length: n }, (_, i) => ({
        id: i + 1,
        name: i % 2 === 0 ? `n${i}` : i % 3 === 0 ? '' : null,
        amount: new Decimal(`${i}.25`),
        created_at: `2024-01-0${(i % 2) + 1}T10:00:00.123456Z`,
      })),
    },
    { type: 'STATE', value: { bookmarks: { orders: { n } } } },
  ];
}

async function write(config: FileDestinationConfig, messages: SourceMessage[], storage: Storage = new LocalStorage(root)) {
  async function* gen() {
    yield* messages;
  }
  return drain(writeFiles(storage, config, gen(), writeContext()));
}

describe('file destination', () => {
  it('rolls files by rows and writes gzip JSON Lines, releasing the STATE after the files are stored', async () => {
    const states = await write({ format: 'jsonl', compression: 'gzip', file_max_rows: 4 }, input(10));
    expect(states).toHaveLength(1);
    const files = listAll(root);
    expect(files).toHaveLength(3);
    expect(files[0]).toMatch(/^orders\/\d{8}T\d{6}Z-[0-9a-f]{6}-00001\.jsonl\.gz$/);
    const lines = files.flatMap((f) =>
      gunzipSync(readFileSync(join(root, f)))
        .toString()
        .trim()
        .split('\n'),
    );
    expect(lines).toHaveLength(10);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ id: 1, amount: 0.25 });
  });

  it('partitions by day (Hive folders) and reads back through the file source', async () => {
    await write({ format: 'csv', partition_by: 'created_at:day' }, input(6));
    const files = listAll(root);
    expect(files.map((f) => f.replace(/[^/]+$/, ''))).toEqual(['orders/created_at_day=2024-01-01/', 'orders/created_at_day=2024-01-02/']);
    const storage = new LocalStorage(root);
    const config = { streams: [{ name: 'orders', pattern: 'orders/**/*.csv' }] };
    const catalog = await discoverFiles(storage, config, silentLogger);
    const { records } = await collect(readFiles(storage, config, catalog, { bookmarks: {} }, readContext()));
    const rows = data(records['orders']).sort((a, b) => Number(a['id']) - Number(b['id']));
    // An empty string and a NULL stay apart through CSV.
    expect(rows.slice(0, 4)).toEqual([
      { created_at_day: '2024-01-01', created_at: '2024-01-01T10:00:00.123456Z', id: 1, name: 'n0', amount: 0.25 },
      { created_at_day: '2024-01-02', created_at: '2024-01-02T10:00:00.123456Z', id: 2, name: null, amount: 1.25 },
      { created_at_day: '2024-01-01', created_at: '2024-01-01T10:00:00.123456Z', id: 3, name: 'n2', amount: 2.25 },
      { created_at_day: '2024-01-02', created_at: '2024-01-02T10:00:00.123456Z', id: 4, name: '', amount: 3.25 },
    ]);
  });

  it('writes Parquet with exact types that the file source reads back exactly', async () => {
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        big: { type: ['integer', 'null'] },
        dec: { type: ['number', 'null'], 'sql-datatype': 'numeric' },
        ts: { type: ['string', 'null'], format: 'date-time', 'sql-datatype': 'timestamp without time zone' },
        tstz: { type: ['string', 'null'], format: 'date-time' },
        d: { type: ['string', 'null'], format: 'date' },
        u: { type: ['string', 'null'], format: 'uuid' },
        b: { type: ['string', 'null'], contentEncoding: 'base16', 'sql-datatype': 'bytea' },
        j: { type: ['object', 'null'] },
        f: { type: ['number', 'null'] },
        ok: { type: ['boolean', 'null'] },
        s: { type: ['string', 'null'] },
      },
    };
    const record = {
      id: 1,
      big: 9223372036854775807n,
      dec: new Decimal('12345678901234567890.123456789'),
      ts: '2024-02-29T23:59:59.999999',
      tstz: '2024-02-29T23:59:59.123456+02:00',
      d: '2024-02-29',
      u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      b: 'deadbeef',
      j: { a: [1, 2], b: 'x' },
      f: 1.5,
      ok: true,
      s: 'quote " comma , newline \n',
    };
    const empty = { id: 2, big: null, dec: null, ts: null, tstz: null, d: null, u: null, b: null, j: null, f: null, ok: null, s: '' };
    await write({ format: 'parquet', compression: 'zstd' }, [
      { type: 'SCHEMA', stream: 'all', schema, key_properties: ['id'] },
      { type: 'RECORD_BATCH', stream: 'all', records: [record, empty] },
    ]);
    const files = listAll(root);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^all\/.*-00001\.parquet$/);
    const storage = new LocalStorage(root);
    const config = { streams: [{ name: 'all', pattern: 'all/*.parquet' }] };
    const catalog = await discoverFiles(storage, config, silentLogger);
    const properties = catalog.streams[0]?.schema.properties ?? {};
    expect(properties['dec']).toMatchObject({ 'sql-datatype': 'decimal(29,9)' });
    expect(properties['tstz']).toMatchObject({ format: 'date-time', 'sql-datatype': 'timestamptz' });
    const { records } = await collect(readFiles(storage, config, catalog, { bookmarks: {} }, readContext()));
    const [got, gotEmpty] = data(records['all']);
    expect({ ...got, j: (got?.['j'] as JsonText).value }).toEqual({
      ...record,
      dec: new Decimal('12345678901234567890.123456789'),
      tstz: '2024-02-29T21:59:59.123456Z',
      b: Buffer.from('deadbeef', 'hex').toString('base64'),
    });
    expect(gotEmpty).toEqual(empty);
  });

  it("column_header_format (Mage's): CSV headers, JSON Lines keys and partition folders in upper or lower case, values untouched", async () => {
    const mixed = (stream: string): SourceMessage[] => [
      {
        type: 'SCHEMA',
        stream,
        schema: { type: 'object', properties: { Id: { type: 'integer' }, Region: { type: 'string' }, createdAt: { type: 'string' } } },
        key_properties: ['Id'],
      },
      { type: 'RECORD_BATCH', stream, records: [{ Id: 1, Region: 'Eu', createdAt: 'MixedCase' }] },
    ];
    await write({ format: 'csv', column_header_format: 'upper', partition_by: 'Region' }, mixed('upper_csv'));
    await write({ format: 'jsonl', column_header_format: 'lower' }, mixed('lower_jsonl'));
    await write({ format: 'csv', column_header_format: null }, mixed('as_given'));
    const files = listAll(root);
    const csv = files.find((f) => f.startsWith('upper_csv/')) as string;
    expect(csv).toMatch(/^upper_csv\/REGION=Eu\/[^/]+\.csv$/);
    expect(readFileSync(join(root, csv), 'utf8')).toBe('ID,REGION,CREATEDAT\n1,Eu,MixedCase\n');
    const jsonl = files.find((f) => f.startsWith('lower_jsonl/')) as string;
    expect(JSON.parse(readFileSync(join(root, jsonl), 'utf8'))).toEqual({ id: 1, region: 'Eu', createdat: 'MixedCase' });
    const given = files.find((f) => f.startsWith('as_given/')) as string;
    expect(readFileSync(join(root, given), 'utf8')).toBe('Id,Region,createdAt\n1,Eu,MixedCase\n');
  });

  it('column_header_format: columns whose names would become the same are refused before a file is written', async () => {
    const clash: SourceMessage[] = [
      {
        type: 'SCHEMA',
        stream: 'clash',
        schema: { type: 'object', properties: { id: { type: 'integer' }, ID: { type: 'integer' } } },
        key_properties: [],
      },
      { type: 'RECORD', stream: 'clash', record: { id: 1, ID: 2 } },
    ];
    await expect(write({ format: 'parquet', column_header_format: 'upper' }, clash)).rejects.toThrow(
      /column_header_format upper would write "id" and "ID" both as "ID"/,
    );
    expect(listAll(root)).toEqual([]);
  });

  it('leaves nothing under a final name when a file cannot be stored, and releases no STATE', async () => {
    const failing: Storage = Object.assign(new LocalStorage(root), {
      putFile: async () => {
        throw new Error('disk full');
      },
    });
    await expect(write({ format: 'jsonl' }, input(3), failing)).rejects.toThrow(/could not store orders\/.*disk full/);
    expect(listAll(root)).toEqual([]);
  });
});

describe('file destination check', () => {
  it('stores a hidden probe that the file source does not list', async () => {
    const { checkFileDestination, matchingFiles } = await import('../src/index.js');
    const result = await checkFileDestination(new LocalStorage(root), { path_prefix: 'lake' });
    expect(result).toMatchObject({ ok: true });
    expect(readFileSync(join(root, 'lake/.mage-int-check'), 'utf8')).toBe('ok\n');
    expect(await matchingFiles(new LocalStorage(root), { name: 'all', pattern: 'lake/**' })).toEqual([]);
  });
});
