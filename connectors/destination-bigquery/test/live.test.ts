// Against the real BigQuery, only when BIGQUERY_TEST_PROJECT and GOOGLE_APPLICATION_CREDENTIALS are set (a service
// account with roles/bigquery.dataEditor and roles/bigquery.jobUser on that project); skipped, saying why, otherwise.
// It makes a dataset of its own (location BIGQUERY_TEST_LOCATION, default US), loads, merges, evolves the schema,
// deletes, reads everything back with a query, and deletes the dataset.
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, describe, expect, it } from 'vitest';
import { Decimal, silentLogger, type JsonSchema, type SourceMessage } from '@mage-int/core';
import destination, { BigQueryDestination } from '../src/index.js';
import type { Config } from '../src/generated/config.js';

const project = process.env['BIGQUERY_TEST_PROJECT'];
const credentials = process.env['GOOGLE_APPLICATION_CREDENTIALS'];
const reason = !project ? 'BIGQUERY_TEST_PROJECT is not set' : !credentials ? 'GOOGLE_APPLICATION_CREDENTIALS is not set' : undefined;
if (reason) console.log(`destination-bigquery live test skipped: ${reason} (set both to run it against the real BigQuery)`);

const location = process.env['BIGQUERY_TEST_LOCATION'] ?? 'US';
const dataset = `mage_int_live_${process.pid}_${Date.now().toString(36)}`;
const config = { project_id: project ?? '', dataset, location, path_to_credentials_json_file: credentials ?? '' } satisfies Config;

async function load(messages: SourceMessage[], streams = {}): Promise<unknown[]> {
  const states: unknown[] = [];
  async function* input() {
    yield* messages;
  }
  for await (const state of new BigQueryDestination({ config, logger: silentLogger }).write(input(), { streams })) states.push(state.value);
  return states;
}

describe.skipIf(reason !== undefined)('destination-bigquery against the real BigQuery', () => {
  const bigquery = new BigQuery({ projectId: project, keyFilename: credentials, location });
  afterAll(async () => {
    await bigquery.dataset(dataset).delete({ force: true });
  });

  it('checks, loads exact values, upserts, evolves the schema and hard-deletes', async () => {
    expect(await destination.check(config, { logger: silentLogger, signal: new AbortController().signal })).toMatchObject({ ok: true });
    const schema = (properties: Record<string, JsonSchema>): SourceMessage => ({
      type: 'SCHEMA',
      stream: 'orders',
      schema: { type: 'object', properties },
      key_properties: ['id'],
    });
    const base = {
      id: { type: 'integer' },
      big: { type: ['null', 'integer'] },
      amount: { type: ['null', 'number'] },
      at: { type: ['null', 'string'], format: 'date-time' },
      tags: { type: 'array', items: { type: 'string' } },
      attrs: { type: ['null', 'object'] },
    };
    await load([
      schema(base),
      {
        type: 'RECORD',
        stream: 'orders',
        record: {
          id: 1,
          big: 9223372036854775807n,
          amount: new Decimal('12345678901234567890.123456789012345678'),
          at: '2024-02-29T23:59:59.999999+05:30',
          tags: ['a', 'b'],
          attrs: { k: [1, 2] },
        },
      },
      { type: 'RECORD', stream: 'orders', record: { id: 2, big: null, amount: 0.1, at: null, tags: [], attrs: null } },
      { type: 'STATE', value: { bookmarks: { orders: { n: 1 } } } },
    ]);
    const states = await load([
      schema({ ...base, note: { type: ['null', 'string'] } }),
      {
        type: 'RECORD',
        stream: 'orders',
        record: { id: 2, big: 5, amount: 1, at: '2024-01-01T00:00:00Z', tags: ['x'], attrs: null, note: 'updated' },
      },
      { type: 'RECORD', stream: 'orders', record: { id: 3, big: 1, amount: 1, at: null, tags: [], attrs: null, note: 'new' } },
      { type: 'STATE', value: { bookmarks: { orders: { n: 2 } } } },
    ]);
    expect(states).toEqual([{ bookmarks: { orders: { n: 2 } } }]);
    const [rows] = await bigquery.query({
      query: `SELECT id, CAST(big AS STRING) AS big, CAST(amount AS STRING) AS amount, FORMAT_TIMESTAMP('%FT%H:%M:%E6SZ', at) AS at, tags, TO_JSON_STRING(attrs) AS attrs, note FROM \`${dataset}.orders\` ORDER BY id`,
      location,
    });
    expect(rows).toEqual([
      {
        id: 1,
        big: '9223372036854775807',
        amount: '12345678901234567890.123456789012345678',
        at: '2024-02-29T18:29:59.999999Z',
        tags: ['a', 'b'],
        attrs: '{"k":[1,2]}',
        note: null,
      },
      { id: 2, big: '5', amount: '1', at: '2024-01-01T00:00:00.000000Z', tags: ['x'], attrs: null, note: 'updated' },
      { id: 3, big: '1', amount: '1', at: null, tags: [], attrs: null, note: 'new' },
    ]);
    const [tables] = await bigquery.dataset(dataset).getTables();
    expect(tables.map((t) => t.id)).toEqual(['orders']);
  }, 300_000);
});
