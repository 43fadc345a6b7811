// The destination's conversation with the BigQuery API, on the stand-in: retries of HTTP faults (by the client
// library) and of failed jobs (by the connection), the token exchange and its refusal, query-result paging, load
// errors as BigQuery reports them, REPEATED columns and partitioning.
import type { BigQuery } from '@google-cloud/bigquery';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, formatError, silentLogger, type JsonSchema, type SourceMessage } from '@mage-int/core';
import { bigQueryErrorResponse, type BigQueryStandIn } from '@mage-int/testkit';
import { bigQueryClient } from '@mage-int/bigquery';
import destination, { BigQueryDestination, resolveConfig } from '../src/index.js';
import type { Config } from '../src/generated/config.js';
import { standInConfig } from './stand-in.js';

let standIn: BigQueryStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function setUp(options = {}, extra: Partial<Config> = {}) {
  const made = await standInConfig(options, extra);
  standIn = made.standIn;
  return made;
}

const schema = (properties: Record<string, JsonSchema>, keys = ['id']): SourceMessage => ({
  type: 'SCHEMA',
  stream: 'items',
  schema: { type: 'object', properties },
  key_properties: keys,
});
const record = (data: Record<string, unknown>): SourceMessage => ({ type: 'RECORD', stream: 'items', record: data });

async function load(config: Config, messages: SourceMessage[], logs: string[] = []): Promise<unknown[]> {
  const logger = createLogger({ name: 'test', write: (line) => logs.push(line), level: 'debug' });
  const states: unknown[] = [];
  async function* input() {
    yield* messages;
  }
  for await (const state of new BigQueryDestination({ config, logger }).write(input())) states.push(state.value);
  return states;
}

const items = [
  schema({ id: { type: 'integer' }, name: { type: ['null', 'string'] } }),
  record({ id: 1, name: 'a' }),
  record({ id: 2, name: 'b' }),
];

describe('destination-bigquery on the stand-in: retries, auth, paging, load errors', () => {
  it('rides out 429 rateLimitExceeded and 503 backendError answers (the client library retries them)', async () => {
    const { standIn, config } = await setUp();
    standIn.fail({ method: 'POST', path: /\/jobs$/, response: bigQueryErrorResponse(429, 'rateLimitExceeded', 'Exceeded rate limits') });
    standIn.fail({ method: 'GET', path: /\/tables\//, response: bigQueryErrorResponse(503, 'backendError', 'Backend error') });
    await load(config, [...items, { type: 'STATE', value: { n: 1 } }]);
    expect(await standIn.rows(config.dataset, 'items')).toHaveLength(2);
    expect(standIn.requests.filter((r) => r.fault).map((r) => r.status)).toEqual([503, 429]);
  }, 60_000);

  it('runs a job that failed with backendError again, with a new job id, and says so', async () => {
    const { standIn, config } = await setUp();
    standIn.failJobs({ reason: 'backendError', kind: 'load', times: 1 });
    standIn.failJobs({ reason: 'rateLimitExceeded', kind: 'query', times: 1 });
    const logs: string[] = [];
    await load(config, items, logs);
    expect(await standIn.rows(config.dataset, 'items')).toHaveLength(2);
    const warnings = logs.filter((l) => l.startsWith('WARN'));
    expect(warnings.some((m) => /load into .* failed \(backendError\), trying again/.test(m))).toBe(true);
    expect(warnings.some((m) => /failed \(rateLimitExceeded\), trying again/.test(m))).toBe(true);
  }, 60_000);

  it('runs a transaction again that BigQuery cancelled for a concurrent update of the same table', async () => {
    const { standIn, config } = await setUp();
    await load(config, items);
    standIn.failJobs({
      reason: 'invalidQuery',
      kind: 'query',
      message: 'Transaction is aborted due to concurrent update against table mage-test:x.items',
    });
    const logs: string[] = [];
    await load(config, [items[0] as SourceMessage, record({ id: 1, name: 'again' }), record({ id: 3, name: 'c' })], logs);
    expect((await standIn.rows(config.dataset, 'items')).map((r) => r['name']).sort()).toEqual(['again', 'b', 'c']);
    expect(logs.some((l) => l.startsWith('WARN') && /failed \(invalidQuery\), trying again/.test(l))).toBe(true);
  }, 60_000);

  it('stops after job_retries transient failures, and at once on an error that is not transient', async () => {
    const { standIn, config } = await setUp({}, { job_retries: 1 });
    standIn.failJobs({ reason: 'backendError', kind: 'load', times: 2 });
    await expect(load(config, items)).rejects.toThrow(/backendError/);
    // A value a NUMERIC cannot hold (10 decimals): BigQuery's load error, not retried.
    const error = await load(config, [
      schema({ id: { type: 'integer' }, price: { type: ['null', 'number'], 'sql-datatype': 'numeric(12,2)' } }),
      record({ id: 1, price: 1.0123456789 }),
    ]).catch((e: unknown) => e);
    expect(formatError(error)).toMatch(/Invalid NUMERIC value: 1\.0123456789.*Field: price/);
  }, 60_000);

  it('exchanges the key for tokens at its token_uri, again when they expire, and reports a refused key', async () => {
    const { standIn, config } = await setUp({ tokenLifetimeSeconds: 1 });
    await load(config, items);
    // google-auth-library renews a token within 5 minutes of expiry: with 1 s tokens, every call needs a new one.
    expect(standIn.requestsTo('/token').length).toBeGreaterThan(3);
    const other = JSON.parse(config.credentials_json as string) as Record<string, string>;
    const { generateKeyPairSync } = await import('node:crypto');
    other['private_key'] = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const result = await destination.check(
      { ...config, credentials_json: JSON.stringify(other) },
      { logger: silentLogger, signal: new AbortController().signal },
    );
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/Invalid JWT Signature/);
  }, 60_000);

  it('says which roles are missing when BigQuery answers 403 accessDenied', async () => {
    const { standIn, config } = await setUp();
    standIn.fail({
      method: 'GET',
      path: /\/datasets\/[^/]+$/,
      response: bigQueryErrorResponse(403, 'accessDenied', 'Access Denied: Dataset mage-test:x: Permission bigquery.datasets.get denied'),
    });
    const result = await destination.check(config, { logger: silentLogger, signal: new AbortController().signal });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(
      /Permission bigquery\.datasets\.get denied[\s\S]*roles\/bigquery\.dataEditor[\s\S]*roles\/bigquery\.jobUser/,
    );
  });

  it('serves query results page by page (jobs.query, then getQueryResults with pageToken)', async () => {
    const { standIn, config } = await setUp({ pageSize: 3 });
    await load(config, [
      schema({
        id: { type: 'integer' },
        at: { type: 'string', format: 'date-time' },
        amount: { type: 'number', multipleOf: 0.01, 'x-precision': 10 },
      }),
      ...Array.from({ length: 10 }, (_, i) => record({ id: i + 1, at: `2024-01-01T00:00:0${i}.00000${i}Z`, amount: (i + 1) / 4 })),
    ]);
    const client: BigQuery = bigQueryClient(resolveConfig(config));
    const [rows] = await client.query({ query: `SELECT id, \`at\`, amount FROM \`${config.dataset}.items\` ORDER BY id` });
    expect(rows).toHaveLength(10);
    expect(standIn.requestsTo(/\/queries\/[^/]+$/).filter((r) => r.query.get('pageToken')).length).toBe(3);
    const last = rows[9] as { id: number; at: { value: string }; amount: { toString(): string } };
    expect([last.id, last.at.value, last.amount.toString()]).toEqual([10, '2024-01-01T00:00:09.000009000Z', '2.5']);
  }, 60_000);

  it('makes REPEATED columns for never-null scalar arrays and partitions by the configured column', async () => {
    const { standIn, config } = await setUp({}, { partition_by: 'updated_at', partition_granularity: 'MONTH' });
    await load(config, [
      schema({
        id: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string' } },
        updated_at: { type: ['null', 'string'], format: 'date-time' },
      }),
      record({ id: 1, tags: ['a', 'b "quoted"'], updated_at: '2024-05-01T00:00:00Z' }),
      record({ id: 2, tags: [], updated_at: null }),
    ]);
    expect(standIn.schema(config.dataset, 'items')).toContainEqual({ name: 'tags', type: 'STRING', mode: 'REPEATED' });
    expect(standIn.statements.find((s) => s.startsWith('CREATE TABLE'))).toMatch(
      /PARTITION BY TIMESTAMP_TRUNC\(`updated_at`, MONTH\)\nCLUSTER BY `id`$/,
    );
    const rows = await standIn.rows(config.dataset, 'items');
    expect(rows.sort((a, b) => Number(a['id']) - Number(b['id'])).map((r) => r['tags'])).toEqual([['a', 'b "quoted"'], []]);
  }, 60_000);
});
