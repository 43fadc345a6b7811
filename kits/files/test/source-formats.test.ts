import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Decimal, silentLogger } from '@mage-int/core';
import { discoverFiles, LocalStorage, readFiles, type FileSourceConfig } from '../src/index.js';
import { collect, data, readContext, tempDir } from './helpers.js';

let root: string;
let remove: () => void;
beforeEach(() => {
  ({ dir: root, remove } = tempDir('mage-files-src-'));
});
afterEach(() => remove());

function put(key: string, content: string | Buffer, modifiedSecondsAgo = 600): void {
  const path = join(root, key);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  const at = new Date(Date.now() - modifiedSecondsAgo * 1000);
  utimesSync(path, at, at);
}

async function readAll(config: FileSourceConfig, state = { bookmarks: {} }) {
  const storage = new LocalStorage(root);
  const catalog = await discoverFiles(storage, config, silentLogger);
  return { catalog, ...(await collect(readFiles(storage, config, catalog, state, readContext()))) };
}

describe('CSV', () => {
  it('keeps quotes, quoted newlines, a BOM, and an empty string apart from NULL', async () => {
    put('in/a.csv', '\uFEFFid,name,note\n1,"Smith, ""Jr""","two\nlines"\n2,,""\n3,plain,x\n');
    const { records, schemas } = await readAll({ streams: [{ name: 'people', pattern: 'in/*.csv' }] });
    expect(data(records['people'])).toEqual([
      { id: 1, name: 'Smith, "Jr"', note: 'two\nlines' },
      { id: 2, name: null, note: '' },
      { id: 3, name: 'plain', note: 'x' },
    ]);
    const schema = schemas['people'] as { schema: { properties: Record<string, unknown> } };
    expect(Object.keys(schema.schema.properties)).toEqual([
      'id',
      'name',
      'note',
      '_sdc_source_file',
      '_sdc_source_lineno',
      '_sdc_source_last_modified',
    ]);
    expect(records['people']?.map((r) => r['_sdc_source_lineno'])).toEqual([3, 4, 5]);
    expect(records['people']?.[0]?.['_sdc_source_file']).toBe('in/a.csv');
  });

  it('reads a delimiter, skipped rows, given column names, null values and latin1', async () => {
    put('x/report.txt', Buffer.from('exported by tool\n1;caf\xe9;NA\n2;na\xefve;3.5\n', 'latin1'));
    const { records } = await readAll({
      streams: [
        {
          name: 'r',
          pattern: 'x/*.txt',
          csv: {
            delimiter: ';',
            header: false,
            skip_rows: 1,
            column_names: ['id', 'word', 'score'],
            encoding: 'latin1',
            null_values: ['NA'],
          },
        },
      ],
    });
    expect(data(records['r'])).toEqual([
      { id: 1, word: 'café', score: null },
      { id: 2, word: 'naïve', score: 3.5 },
    ]);
  });

  it('widens types across files and keeps big integers and long decimals exact', async () => {
    put('t/1.csv', 'n,amount,code,flag\n1,10,007,true\n', 900);
    put('t/2.csv', 'n,amount,code,flag\n9007199254740993,10.123456789012345678,12,false\n', 800);
    const { records, schemas } = await readAll({ streams: [{ name: 't', pattern: 't/*.csv' }] });
    const properties = (schemas['t'] as { schema: { properties: Record<string, unknown> } }).schema.properties;
    expect(properties['n']).toEqual({ type: ['integer', 'null'] });
    expect(properties['amount']).toEqual({ type: ['number', 'null'] });
    expect(properties['code']).toEqual({ type: ['string', 'null'] });
    expect(properties['flag']).toEqual({ type: ['boolean', 'null'] });
    expect(data(records['t'])).toEqual([
      { n: 1, amount: 10, code: '007', flag: true },
      { n: 9007199254740993n, amount: new Decimal('10.123456789012345678'), code: '12', flag: false },
    ]);
  });

  it('names the file, line and field of a value that does not fit a given schema', async () => {
    put('g/a.csv', 'id\n1\nx2\n');
    await expect(
      readAll({ streams: [{ name: 'g', pattern: 'g/*.csv', schema: { type: 'object', properties: { id: { type: 'integer' } } } }] }),
    ).rejects.toThrow(/field "id".*g\/a\.csv:3: "x2" is not a valid integer/);
  });
});

describe('JSON, compression and partitions', () => {
  it('reads JSON Lines with gzip and zstd, a JSON array, and Hive partition values', async () => {
    put(
      'j/dt=2024-01-01/a.jsonl.gz',
      gzipSync('{"id":1,"tags":["a"],"amount":12345678901234567890.5}\n\n{"id":2,"tags":[],"amount":1}\n'),
      900,
    );
    put('j/dt=2024-01-02/b.jsonl.zst', zstdCompressSync(Buffer.from('{"id":3,"amount":2}\n')), 800);
    put('arr/x.json', '[\n {"id": 1, "s": "a,]}"},\n {"id": 2, "s": null}\n]\n');
    const { records } = await readAll({
      streams: [
        { name: 'j', pattern: 'j/**/*.jsonl.*' },
        { name: 'arr', pattern: 'arr/*.json' },
      ],
    });
    expect(data(records['j'])).toEqual([
      { dt: '2024-01-01', id: 1, tags: ['a'], amount: new Decimal('12345678901234567890.5') },
      { dt: '2024-01-01', id: 2, tags: [], amount: 1 },
      { dt: '2024-01-02', id: 3, amount: 2 },
    ]);
    expect(records['j']?.map((r) => r['_sdc_source_lineno'])).toEqual([1, 3, 1]);
    expect(data(records['arr'])).toEqual([
      { id: 1, s: 'a,]}' },
      { id: 2, s: null },
    ]);
    expect(records['arr']?.map((r) => r['_sdc_source_lineno'])).toEqual([2, 3]);
  });

  it('fails on a truncated JSON array, naming the file', async () => {
    put('bad/x.json', '[{"id": 1}, {"id": 2');
    await expect(
      readAll({ streams: [{ name: 'bad', pattern: 'bad/*.json', schema: { type: 'object', properties: { id: { type: 'integer' } } } }] }),
    ).rejects.toThrow(/bad\/x\.json.*ends inside the array/);
  });
});

describe('incremental by last-modified time', () => {
  it('reads only files modified after the bookmark, and resumes after the last complete file', async () => {
    put('o/a.csv', 'id\n1\n', 900);
    put('o/b.csv', 'id\n2\n', 800);
    const config: FileSourceConfig = { streams: [{ name: 'o', pattern: 'o/*.csv' }] };
    const first = await readAll(config);
    expect(data(first.records['o'])).toEqual([{ id: 1 }, { id: 2 }]);
    const bookmark = first.state?.bookmarks['o'] as Record<string, unknown>;
    expect(Object.keys(bookmark['files_read'] as object).sort()).toEqual(['o/a.csv', 'o/b.csv']);

    put('o/c.csv', 'id\n3\n', 700);
    const second = await readAll(config, first.state as never);
    expect(data(second.records['o'])).toEqual([{ id: 3 }]);
    const third = await readAll(config, second.state as never);
    expect(third.records['o']).toBeUndefined();
  });

  it('reads, once, a file listed after newer ones but dated before them (within lookback_seconds)', async () => {
    put('l/new.csv', 'id\n1\n', 600);
    const config: FileSourceConfig = { lookback_seconds: 120, streams: [{ name: 'l', pattern: 'l/*.csv' }] };
    const first = await readAll(config);
    // A multipart upload begun before new.csv's completes after the first run: S3 dates it by its start.
    put('l/late.csv', 'id\n2\n', 660);
    put('l/ancient.csv', 'id\n3\n', 6000);
    const second = await readAll(config, first.state as never);
    expect(data(second.records['l'])).toEqual([{ id: 2 }]);
    const third = await readAll(config, second.state as never);
    expect(third.records['l']).toBeUndefined();
  });

  it('leaves files younger than min_file_age_seconds for the next run', async () => {
    put('y/old.csv', 'id\n1\n', 900);
    put('y/new.csv', 'id\n2\n', 1);
    const { records, state } = await readAll({ min_file_age_seconds: 60, streams: [{ name: 'y', pattern: 'y/*.csv' }] });
    expect(data(records['y'])).toEqual([{ id: 1 }]);
    expect(Object.keys((state?.bookmarks['y'] as Record<string, unknown>)['files_read'] as object)).toEqual(['y/old.csv']);
  });
});
