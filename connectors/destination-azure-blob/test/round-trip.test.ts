import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal, type RecordData, type SourceMessage } from '@mage-int/core';
import { startAzurite, type AzureStandIn } from '@mage-int/files-azure/testing';
import { AzureBlobSource } from '@mage-int/source-azure-blob';
import { AzureBlobDestination } from '../src/index.js';

let azure: AzureStandIn;
beforeAll(async () => {
  azure = await startAzurite();
});
afterAll(() => azure.close());

const schema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    amount: { type: ['number', 'null'], multipleOf: 0.01, 'sql-datatype': 'numeric(12,2)' },
    created_at: { type: 'string', format: 'date-time' },
    note: { type: ['string', 'null'] },
  },
};

describe('destination-azure-blob → source-azure-blob', () => {
  it('writes Hive-partitioned Parquet blobs that read back exactly, and releases the STATE after them', async () => {
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
    for await (const state of new AzureBlobDestination({ config: { ...azure.settings, prefix: 'lake', format: 'parquet', partition_by: 'created_at:day' } }).write(messages)) states.push(state);
    expect(states).toEqual([{ type: 'STATE', value: { bookmarks: { payments: { id: 2 } } } }]);

    const read: RecordData[] = [];
    const source = new AzureBlobSource({ config: { ...azure.settings, prefix: 'lake', streams: [{ name: 'payments', pattern: 'payments/**/*.parquet' }] } });
    for await (const message of source.read()) if (message.type === 'RECORD_BATCH') read.push(...message.records);
    const rows = read.map((r) => ({ day: r['created_at_day'], id: r['id'], amount: r['amount'] === null ? null : String(r['amount']), created_at: r['created_at'], note: r['note'], file: r['_sdc_source_file'] }));
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    expect(rows).toEqual([
      { day: '2024-03-01', id: 1, amount: '1234567890.12', created_at: '2024-03-01T23:30:00.000001Z', note: 'a "quoted", note', file: expect.stringMatching(/^payments\/created_at_day=2024-03-01\/.*-00001\.parquet$/) },
      { day: '2024-03-02', id: 2, amount: null, created_at: '2024-03-02T02:30:00.000000Z', note: '', file: expect.stringMatching(/^payments\/created_at_day=2024-03-02\/.*-00002\.parquet$/) },
    ]);
  });

  it('check fails naming a container that does not exist', async () => {
    const check = await new AzureBlobDestination({ config: { ...azure.settings, container: 'nope' } }).check();
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/container "nope" failed: ContainerNotFound/);
  });
});
