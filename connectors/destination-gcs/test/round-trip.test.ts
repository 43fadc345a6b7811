import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPartitionedParquetRoundTrip, ROUND_TRIP_SCHEMA } from '@mage-int/files/testing';
import { startGcs, type GcsStandIn } from '@mage-int/files-gcs/testing';
import { GcsSource } from '@mage-int/source-gcs';
import { GcsDestination } from '../src/index.js';

let gcs: GcsStandIn;
beforeAll(async () => {
  gcs = await startGcs();
});
afterAll(() => gcs.close());

describe('destination-gcs → source-gcs', () => {
  it('writes Hive-partitioned Parquet objects that read back exactly, and releases the STATE after them', async () => {
    await checkPartitionedParquetRoundTrip(
      (messages) =>
        new GcsDestination({ config: { ...gcs.settings, prefix: 'lake', format: 'parquet', partition_by: 'created_at:day' } }).write(
          messages,
        ),
      () =>
        new GcsSource({
          config: { ...gcs.settings, prefix: 'lake', streams: [{ name: 'payments', pattern: 'payments/**/*.parquet' }] },
        }).read(),
    );
  });

  it('check fails naming a bucket that does not exist', async () => {
    const check = await new GcsDestination({ config: { ...gcs.settings, bucket: 'nope' } }).check();
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/bucket "nope" failed: 404/);
  });

  it('a large file goes up as a resumable upload and appears only when complete', async () => {
    const pad = 'y'.repeat(400);
    const records = Array.from({ length: 25_000 }, (_, i) => ({ id: i + 1, amount: null, created_at: '2024-03-01T00:00:00Z', note: pad }));
    const states = [];
    for await (const state of new GcsDestination({ config: { ...gcs.settings, prefix: 'big', format: 'jsonl' } }).write([
      { type: 'SCHEMA', stream: 'payments', schema: ROUND_TRIP_SCHEMA, key_properties: ['id'] },
      { type: 'RECORD_BATCH', stream: 'payments', records },
      { type: 'STATE', value: { n: 1 } },
    ]))
      states.push(state);
    expect(states).toHaveLength(1);
    const stored = gcs.objects().filter((name) => name.startsWith('big/'));
    expect(stored).toHaveLength(1);
    expect(gcs.openSessions()).toBe(0);
  });

  it("Mage's GCS keys: table names the one stream's folder under object_key_path, file_type csv, column_header_format upper", async () => {
    const config = {
      ...gcs.settings,
      object_key_path: 'mage',
      file_type: 'csv',
      table: 'accounts',
      column_header_format: 'upper',
    } as never;
    for await (const _state of new GcsDestination({ config }).write([
      { type: 'SCHEMA', stream: 'public-Account', schema: ROUND_TRIP_SCHEMA, key_properties: ['id'] },
      { type: 'RECORD', stream: 'public-Account', record: { id: 7, amount: null, created_at: '2024-03-01T00:00:00Z', note: 'n' } },
    ]));
    const stored = gcs.objects().filter((name) => name.startsWith('mage/'));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatch(/^mage\/accounts\/[^/]+\.csv$/);
    const records = [];
    for await (const message of new GcsSource({
      config: { ...gcs.settings, prefix: 'mage', streams: [{ name: 'accounts', pattern: 'accounts/*.csv' }] },
    }).read())
      if (message.type === 'RECORD_BATCH') records.push(...message.records);
    // The header row as written: upper case.
    expect(records).toEqual([expect.objectContaining({ ID: 7, AMOUNT: null, CREATED_AT: '2024-03-01T00:00:00Z', NOTE: 'n' })]);
  });
});
