// A BigQuery stand-in (tools/testkit) with a dataset loaded by destination-bigquery — the round trip a user makes —
// and the source's config for it.
import { Decimal, silentLogger, type SourceMessage } from '@mage-int/core';
import { BigQueryDestination } from '@mage-int/destination-bigquery';
import { startBigQueryStandIn, type BigQueryStandIn, type BigQueryStandInOptions } from '@mage-int/testkit';
import type { Config } from '../src/index.js';

// The client library must not probe the GCE metadata server: nothing here leaves 127.0.0.1.
process.env['METADATA_SERVER_DETECTION'] = 'none';

/** The orders the dataset holds: exact values of every kind, two sharing an updated_at. */
export const ORDERS: Record<string, unknown>[] = [
  {
    id: 1,
    big: 9223372036854775807n,
    amount: new Decimal('12345678901234567890.123456789012345678'),
    updated_at: '2024-01-01T00:00:00.000001Z',
    tags: ['a', 'b'],
    attrs: { k: [1, 2] },
    note: 'first',
  },
  { id: 2, big: -5, amount: 0.5, updated_at: '2024-01-02T00:00:00Z', tags: [], attrs: null, note: null },
  { id: 3, big: null, amount: null, updated_at: '2024-01-02T00:00:00Z', tags: ['x'], attrs: 'text', note: 'tie' },
  { id: 4, big: 7, amount: 1, updated_at: '2024-01-03T12:30:00.123456Z', tags: [], attrs: [true], note: 'last' },
];

export async function seededStandIn(options: BigQueryStandInOptions = {}): Promise<{ standIn: BigQueryStandIn; config: Config }> {
  const standIn = await startBigQueryStandIn(options);
  const config: Config = {
    project_id: standIn.projectId,
    dataset: `src_${process.pid}_${Math.random().toString(36).slice(2, 8)}`,
    api_endpoint: standIn.url,
    credentials_json: JSON.stringify(standIn.credentials()),
  };
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
          updated_at: { type: 'string', format: 'date-time' },
          tags: { type: 'array', items: { type: 'string' } },
          attrs: {},
          note: { type: ['null', 'string'] },
        },
      },
    },
    ...ORDERS.map((record): SourceMessage => ({ type: 'RECORD', stream: 'orders', record })),
  ];
  async function* input() {
    yield* messages;
  }
  for await (const _ of new BigQueryDestination({ config, logger: silentLogger }).write(input())) {
    // states only
  }
  return { standIn, config };
}
