// Against the real BigQuery, only when BIGQUERY_TEST_PROJECT and GOOGLE_APPLICATION_CREDENTIALS are set (a service
// account with roles/bigquery.dataEditor and roles/bigquery.jobUser); skipped, saying why, otherwise. It loads a
// table with destination-bigquery into a dataset of its own, discovers and reads it back, and deletes the dataset.
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal, emptyState, setMetadata, silentLogger, type SourceMessage } from '@mage-int/core';
import { BigQueryDestination } from '@mage-int/destination-bigquery';
import { readAll } from '@mage-int/testkit';
import bigquerySource, { type Config } from '../src/index.js';

const project = process.env['BIGQUERY_TEST_PROJECT'];
const credentials = process.env['GOOGLE_APPLICATION_CREDENTIALS'];
const reason = !project ? 'BIGQUERY_TEST_PROJECT is not set' : !credentials ? 'GOOGLE_APPLICATION_CREDENTIALS is not set' : undefined;
if (reason) console.log(`source-bigquery live test skipped: ${reason} (set both to run it against the real BigQuery)`);

const location = process.env['BIGQUERY_TEST_LOCATION'] ?? 'US';
const dataset = `mage_int_live_src_${process.pid}_${Date.now().toString(36)}`;
const config: Config = { project_id: project ?? '', dataset, location, path_to_credentials_json_file: credentials ?? '', page_size: 2 };

describe.skipIf(reason !== undefined)('source-bigquery against the real BigQuery', () => {
  afterAll(async () => {
    await new BigQuery({ projectId: project, keyFilename: credentials, location }).dataset(dataset).delete({ force: true });
  });

  it('discovers the key and types of a table and reads it back exactly, page by page', async () => {
    const messages: SourceMessage[] = [
      {
        type: 'SCHEMA',
        stream: 'orders',
        key_properties: ['id'],
        schema: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            big: { type: ['null', 'integer'] },
            amount: { type: ['null', 'number'] },
            at: { type: ['null', 'string'], format: 'date-time' },
          },
        },
      },
      {
        type: 'RECORD',
        stream: 'orders',
        record: {
          id: 1,
          big: 9223372036854775807n,
          amount: new Decimal('0.123456789012345678901234567890'),
          at: '2024-01-01T00:00:00.000001Z',
        },
      },
      { type: 'RECORD', stream: 'orders', record: { id: 2, big: null, amount: 2, at: null } },
      { type: 'RECORD', stream: 'orders', record: { id: 3, big: 3, amount: null, at: '2024-01-02T00:00:00Z' } },
    ];
    async function* input() {
      yield* messages;
    }
    for await (const _ of new BigQueryDestination({ config, logger: silentLogger }).write(input())) {
      // states only
    }
    const catalog = await bigquerySource.discover(config, { logger: silentLogger, signal: new AbortController().signal });
    const orders = catalog.streams.find((s) => s.tap_stream_id === 'orders');
    expect(orders?.key_properties).toEqual(['id']);
    for (const s of catalog.streams) setMetadata(s, [], { selected: s === orders });
    const result = await readAll(bigquerySource, config, catalog, emptyState());
    const rows = (result.records.get('orders') ?? []).sort((a, b) => Number(a['id']) - Number(b['id']));
    expect(rows.map((r) => [r['id'], String(r['big']), r['at']])).toEqual([
      [1, '9223372036854775807', '2024-01-01T00:00:00.000001Z'],
      [2, 'null', null],
      [3, '3', '2024-01-02T00:00:00.000000Z'],
    ]);
    expect((rows[0]?.['amount'] as Decimal).text).toBe('0.12345678901234567890123456789');
  }, 300_000);
});
