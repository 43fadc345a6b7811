import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal, silentLogger, type JsonSchema, type SourceMessage, type StateMessage } from '@mage-int/core';
import type { SnowflakeStandIn } from '@mage-int/testkit';
import destination, { SnowflakeDestination } from '../src/index.js';
import type { Config } from '../src/generated/config.js';
import { standInConfig } from './stand-in.js';

async function load(config: Config, messages: SourceMessage[]): Promise<StateMessage[]> {
  const states: StateMessage[] = [];
  const client = new SnowflakeDestination({ config, logger: silentLogger });
  async function* input() {
    yield* messages;
  }
  for await (const state of client.write(input(), { streams: {} })) states.push(state);
  return states;
}

const schema = (stream: string, properties: Record<string, JsonSchema>, keys: string[] = ['id']): SourceMessage => ({
  type: 'SCHEMA',
  stream,
  schema: { type: 'object', properties },
  key_properties: keys,
});
const record = (stream: string, data: Record<string, unknown>): SourceMessage => ({ type: 'RECORD', stream, record: data });
const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });

describe('destination-snowflake against the Snowflake stand-in', () => {
  let standIn: SnowflakeStandIn;
  let config: Config;
  beforeAll(async () => {
    ({ standIn, config } = await standInConfig());
  });
  afterAll(() => standIn.close());

  it('check() logs in with snowflake-sdk, creates the schema and a probe table', async () => {
    expect(await destination.check(config, ctx())).toMatchObject({ ok: true });
    expect(standIn.requestsTo('/session/v1/login-request').length).toBeGreaterThan(0);
    const wrong = await destination.check({ ...config, password: 'nope' }, ctx());
    expect(wrong.ok).toBe(false);
    expect(wrong.message).toMatch(/390100/);
  });

  it('upserts through PUT to the table stage, COPY INTO a staging table and MERGE; STATE after the commit', async () => {
    const states = await load(config, [
      schema('orders', {
        id: { type: 'integer' },
        amount: { type: ['null', 'number'], multipleOf: 0.000001 },
        at: { type: ['null', 'string'], format: 'date-time' },
        attrs: { type: ['null', 'object'] },
        note: { type: ['null', 'string'] },
      }),
      record('orders', {
        id: 1,
        amount: new Decimal('12345678901234567890.123456'),
        at: '2024-02-29T23:59:59.999999+05:30',
        attrs: { a: [1, 'x'] },
        note: '',
      }),
      record('orders', { id: 2, amount: 1.5, at: null, attrs: null, note: 'a,"b"\nc\\d' }),
      { type: 'STATE', value: { bookmarks: { orders: { id: 2 } } } },
      record('orders', { id: 1, amount: 2, at: '2024-01-01T00:00:00Z', attrs: { a: 1 }, note: null }),
    ]);
    expect(states.map((s) => s.value)).toEqual([{ bookmarks: { orders: { id: 2 } } }]);
    const rows = await standIn.rows(config.schema.toUpperCase(), 'ORDERS');
    expect(rows.sort((a, b) => Number(a['ID']) - Number(b['ID']))).toEqual([
      { ID: '1', AMOUNT: '2.000000', AT: '2024-01-01T00:00:00.000000Z', ATTRS: { a: 1 }, NOTE: null },
      { ID: '2', AMOUNT: '1.500000', AT: null, ATTRS: null, NOTE: 'a,"b"\nc\\d' },
    ]);
    expect(standIn.statements.some((s) => s.startsWith("PUT 'file://"))).toBe(true);
    expect(standIn.statements.some((s) => s.startsWith('COPY INTO "'))).toBe(true);
    expect(standIn.statements.some((s) => s.startsWith('MERGE INTO "'))).toBe(true);
    expect(standIn.statements).toContain("ALTER SESSION SET TIMEZONE = 'UTC' STATEMENT_TIMEOUT_IN_SECONDS = 3600");
    expect(standIn.stagedFiles()).toEqual([]);
    expect((await standIn.tableNames(config.schema.toUpperCase())).filter((t) => t.startsWith('_MAGE_STAGE_'))).toEqual([]);
  });
});
