/**
 * Test helpers of the file layer (`@mage-int/files/testing`): the shared destination fixtures that do not apply to
 * append-only files, a reader of the JSON Lines files a stream's folder holds, the checks every `Storage` passes, and
 * the SIGKILL-during-upload check every file destination runs.
 */
import { deepStrictEqual, match, rejects, strictEqual } from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { Decimal, parseExactJson, type RecordData, type SourceMessage, type StateMessage } from '@mage-int/core';
import { streamFolder } from './file-destination.js';
import type { Storage } from './storage.js';

export {
  AZURE_PUT_BLOCK,
  checkKilledUpload,
  GCS_RESUMABLE_CHUNK,
  holdingProxy,
  KILLED_UPLOAD_ROWS,
  runSingerTarget,
  S3_UPLOAD_PART,
  watchForStagingFile,
  type KilledUploadTarget,
  type TargetRun,
  type UploadPartMatcher,
} from './killed-upload-check.js';

/** Fixtures an append-only JSON Lines file destination skips, with the reason. */
export const APPEND_ONLY_FILE_SKIPS: Record<string, string> = {
  'conflict-ignore': 'append-only: files keep every record, no conflict rule applies',
  'conflict-update-only': 'append-only: files keep every record, no conflict rule applies',
  'schema-evolution-add-column': 'append-only: the case re-sends key 1 and expects it replaced',
  'schema-evolution-widen': 'a file keeps each record as sent: there is no column type to widen earlier values to',
  identifiers: 'files keep field names as sent: there are no column names to normalise',
  'binary-content-encoding': 'JSON Lines keep encoded strings as sent: base16 text is not re-encoded as bytes',
  'error-base16-malformed': 'JSON Lines keep encoded strings as sent: there is no bytes column to decode hex into',
  'interleaved-streams': 'append-only: the case re-sends keys and expects one row per key',
  'upsert-last-wins': 'append-only: files keep every record, later ones do not replace earlier ones',
  'activate-version-hard-delete': 'append-only: ACTIVATE_VERSION removes nothing from files',
  'activate-version-soft-delete': 'append-only: ACTIVATE_VERSION marks nothing in files',
  'cdc-delete-hard': 'append-only: a delete is one more record, not a removed row',
  'cdc-delete-soft': 'append-only: a delete is one more record, the row it deletes stays as it was',
  'record-metadata': 'files keep each record as sent: no _sdc_* columns are added',
  'nul-characters-reject': 'JSON holds U+0000 (as \\u0000), so there is no nul_characters policy to apply',
  'nul-characters-strip': 'JSON holds U+0000 (as \\u0000), so there is no nul_characters policy to apply',
};

/** The folder (key prefix) of a stream's files under `prefix`. */
export function streamPrefix(prefix: string, stream: string): string {
  return `${prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`}${streamFolder(stream)}/`;
}

/** The records of JSON Lines files' contents, in the order given. */
export function jsonLinesRecords(texts: readonly string[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const text of texts)
    for (const line of text.split('\n')) if (line !== '') rows.push(parseExactJson(line) as Record<string, unknown>);
  return rows;
}

/**
 * What every `Storage` must do, checked against a real server (throws an AssertionError): a small file (one request)
 * and a 20 MiB one (multipart / resumable / blocks) stored byte for byte, listed under a prefix with their sizes,
 * stat'ed and read back; a missing key stats as undefined. `missing` is a storage of a bucket or container that
 * does not exist: listing it must fail with `missingError`.
 */
export async function checkStorage(storage: Storage, missing: Storage, missingError: RegExp): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mage-storage-check-'));
  try {
    const small = join(dir, 'small');
    await writeFile(small, 'hello\n');
    const big = join(dir, 'big');
    await writeFile(big, ('x'.repeat(1024 * 1024 - 1) + '\n').repeat(20));
    await storage.putFile('a/small.txt', small);
    await storage.putFile('a/b/big.txt', big);
    const listed: [string, number][] = [];
    for await (const file of storage.list('a/')) listed.push([file.key, file.size]);
    deepStrictEqual(listed.sort(), [
      ['a/b/big.txt', 20 * 1024 * 1024],
      ['a/small.txt', 6],
    ]);
    strictEqual(await text(await storage.read('a/small.txt')), 'hello\n');
    strictEqual((await text(await storage.read('a/b/big.txt'))).length, 20 * 1024 * 1024);
    strictEqual((await storage.stat('a/small.txt'))?.size, 6);
    strictEqual(await storage.stat('a/none'), undefined);
    await rejects(async () => {
      for await (const file of missing.list('')) void file;
    }, missingError);
  } finally {
    await storage.close?.();
    await missing.close?.();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `delete` of a storage: keys under its prefix go, a missing key is no error, the others stay. */
export async function checkStorageDelete(storage: Storage & Required<Pick<Storage, 'delete'>>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mage-storage-delete-'));
  try {
    const path = join(dir, 'x.txt');
    await writeFile(path, 'x');
    await storage.putFile('a/one.txt', path);
    await storage.putFile('a/two.txt', path);
    await storage.delete(['a/one.txt', 'a/missing.txt']);
    const left: string[] = [];
    for await (const info of storage.list('')) left.push(info.key);
    deepStrictEqual(left, ['a/two.txt']);
    await storage.delete(['a/two.txt']);
    strictEqual(await storage.stat('a/two.txt'), undefined);
  } finally {
    await storage.close?.();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The stream the round-trip check writes: an exact decimal, timestamps with offsets, text with quotes, NULL and ''. */
export const ROUND_TRIP_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    amount: { type: ['number', 'null'], multipleOf: 0.01, 'sql-datatype': 'numeric(12,2)' },
    created_at: { type: 'string', format: 'date-time' },
    note: { type: ['string', 'null'] },
  },
};

/**
 * Writes two `payments` records through `write` (a destination configured with `prefix: lake`, `format: parquet`,
 * `partition_by: created_at:day`) and reads them back through `read` (a source with `prefix: lake` and the stream
 * `payments` over `payments/**\/*.parquet`): the STATE comes back once, after the objects; the values come back
 * exactly, each in its UTC day's Hive folder.
 */
export async function checkPartitionedParquetRoundTrip(
  write: (messages: SourceMessage[]) => AsyncIterable<StateMessage>,
  read: () => AsyncIterable<SourceMessage>,
): Promise<void> {
  const state: StateMessage = { type: 'STATE', value: { bookmarks: { payments: { id: 2 } } } };
  const states: StateMessage[] = [];
  for await (const s of write([
    { type: 'SCHEMA', stream: 'payments', schema: ROUND_TRIP_SCHEMA, key_properties: ['id'] },
    {
      type: 'RECORD_BATCH',
      stream: 'payments',
      records: [
        { id: 1, amount: new Decimal('1234567890.12'), created_at: '2024-03-01T23:30:00.000001+00:00', note: 'a "quoted", note' },
        { id: 2, amount: null, created_at: '2024-03-02T00:30:00-02:00', note: '' },
      ],
    },
    state,
  ]))
    states.push(s);
  deepStrictEqual(states, [state]);
  const records: RecordData[] = [];
  for await (const message of read()) if (message.type === 'RECORD_BATCH') records.push(...message.records);
  records.sort((a, b) => Number(a['id']) - Number(b['id']));
  deepStrictEqual(
    records.map((r) => ({
      day: r['created_at_day'],
      id: r['id'],
      amount: r['amount'] === null ? null : String(r['amount']),
      created_at: r['created_at'],
      note: r['note'],
    })),
    [
      { day: '2024-03-01', id: 1, amount: '1234567890.12', created_at: '2024-03-01T23:30:00.000001Z', note: 'a "quoted", note' },
      { day: '2024-03-02', id: 2, amount: null, created_at: '2024-03-02T02:30:00.000000Z', note: '' },
    ],
  );
  match(String(records[0]?.['_sdc_source_file']), /^payments\/created_at_day=2024-03-01\/.*-00001\.parquet$/);
  match(String(records[1]?.['_sdc_source_file']), /^payments\/created_at_day=2024-03-02\/.*-00002\.parquet$/);
}
