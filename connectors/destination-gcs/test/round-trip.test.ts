import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal, type RecordData, type SourceMessage } from '@mage-int/core';
import { startGcs, type GcsStandIn } from '@mage-int/files-gcs/testing';
import { GcsSource } from '@mage-int/source-gcs';
import { GcsDestination } from '../src/index.js';

let gcs: GcsStandIn;
beforeAll(async () => {
  gcs = await startGcs();
});
afterAll(() => gcs.close());

const schema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    amount: { type: ['number', 'null'], multipleOf: 0.01, 'sql-datatype': 'numeric(12,2)' },
    created_at: { type: 'string', format: 'date-time' },
    note: { type: ['string', 'null'] },
  },
};

describe('destination-gcs → source-gcs', () => {
  it('writes Hive-partitioned Parquet objects that read back exactly, and releases the STATE after them', async () => {
    const messages: SourceMessage[] = [
      { type: 'SCHEMA', stream: 'payments', schema, key_properties: ['id'] },
      {
        type: 'RECORD_BATCH',
        stream: 'payments',
        records: [
          { id: 1, amount: new Decimal('1234567890.12'), created_at: '2024-03-01T23:30:00.000001+00:00', note: 'a "quoted", note' },
          { id: 2, amount: null, created_at: '2024-03-02T00:30:00-02:00', note: '' },
        ],
      },
      { type: 'STATE', value: { bookmarks: { payments: { id: 2 } } } },
    ];
    const states = [];
    for await (const state of new GcsDestination({ config: { ...gcs.settings, prefix: 'lake', format: 'parquet', partition_by: 'created_at:day' } }).write(messages)) states.push(state);
    expect(states).toEqual([{ type: 'STATE', value: { bookmarks: { payments: { id: 2 } } } }]);

    const read: RecordData[] = [];
    const source = new GcsSource({ config: { ...gcs.settings, prefix: 'lake', streams: [{ name: 'payments', pattern: 'payments/**/*.parquet' }] } });
    for await (const message of source.read()) if (message.type === 'RECORD_BATCH') read.push(...message.records);
    const rows = read.map((r) => ({ day: r['created_at_day'], id: r['id'], amount: r['amount'] === null ? null : String(r['amount']), created_at: r['created_at'], note: r['note'], file: r['_sdc_source_file'] }));
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    expect(rows).toEqual([
      { day: '2024-03-01', id: 1, amount: '1234567890.12', created_at: '2024-03-01T23:30:00.000001Z', note: 'a "quoted", note', file: expect.stringMatching(/^payments\/created_at_day=2024-03-01\/.*-00001\.parquet$/) },
      { day: '2024-03-02', id: 2, amount: null, created_at: '2024-03-02T02:30:00.000000Z', note: '', file: expect.stringMatching(/^payments\/created_at_day=2024-03-02\/.*-00002\.parquet$/) },
    ]);
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
      { type: 'SCHEMA', stream: 'payments', schema, key_properties: ['id'] },
      { type: 'RECORD_BATCH', stream: 'payments', records },
      { type: 'STATE', value: { n: 1 } },
    ])) states.push(state);
    expect(states).toHaveLength(1);
    const stored = gcs.objects().filter((name) => name.startsWith('big/'));
    expect(stored).toHaveLength(1);
    expect(gcs.openSessions()).toBe(0);
  });
});
