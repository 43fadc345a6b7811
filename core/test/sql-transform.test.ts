import { describe, expect, it } from 'vitest';
import { applyTransforms, Decimal, JsonText, sqlTransform, type SourceMessage } from '../src/index.js';

const ORDERS = {
  properties: {
    id: { type: 'integer', 'sql-datatype': 'bigint' },
    status: { type: ['string', 'null'] },
    amount: { type: ['number', 'null'], 'sql-datatype': 'numeric(12,2)' },
    fx: { type: ['number', 'null'] },
    big: { type: ['integer', 'null'] },
    placed_at: { type: ['string', 'null'], format: 'date-time' },
    meta: { type: ['object', 'null'] },
    note: { type: ['number', 'null'], 'sql-datatype': 'numeric' },
  },
};

async function run(sql: string, records: Record<string, unknown>[], keyProperties?: string[]): Promise<SourceMessage[]> {
  async function* source(): AsyncGenerator<SourceMessage> {
    yield { type: 'SCHEMA', stream: 'orders', schema: ORDERS, key_properties: ['id'] };
    yield { type: 'RECORD_BATCH', stream: 'orders', records: records.slice(0, 2) };
    yield { type: 'STATE', value: { n: 1 } };
    yield { type: 'RECORD_BATCH', stream: 'orders', records: records.slice(2) };
  }
  const out: SourceMessage[] = [];
  const transform = sqlTransform(sql, 'sql #1', keyProperties ? { keyProperties } : {});
  for await (const m of applyTransforms(source(), [{ transform }])) out.push(m);
  return out;
}

const ROWS = [
  {
    id: 1,
    status: 'paid',
    amount: new Decimal('1234567890.12'),
    fx: 1.1,
    big: 170141183460469231731687303715884105727n,
    placed_at: '2024-03-01T10:00:00.123456Z',
    meta: { a: 1 },
    note: new Decimal('0.1234567890123456789012345'),
  },
  { id: 2, status: 'test', amount: 5, fx: 2, big: null, placed_at: null, meta: null, note: null },
  {
    id: 3,
    status: 'paid',
    amount: new Decimal('0.10'),
    fx: 3,
    big: -1,
    placed_at: '2024-03-02T00:00:00Z',
    meta: new JsonText('{"b":[1,2]}'),
    note: 7,
  },
];

describe('sql transforms (in-memory DuckDB per batch)', () => {
  it("runs the issue's query per batch: the schema comes from DuckDB's result types, decimals and big integers stay exact", async () => {
    const out = await run(
      "select *, amount * 2 as amount_x2, amount * fx as amount_eur, upper(status) as s from batch where status <> 'test'",
      ROWS,
    );
    expect(out.map((m) => m.type)).toEqual(['SCHEMA', 'RECORD_BATCH', 'STATE', 'RECORD_BATCH']);
    const schema = out[0] as Extract<SourceMessage, { type: 'SCHEMA' }>;
    const props = schema.schema.properties!;
    // Columns passed through keep the source's description.
    expect(props['amount']).toEqual(ORDERS.properties.amount);
    expect(props['placed_at']).toEqual(ORDERS.properties.placed_at);
    expect(props['note']).toEqual(ORDERS.properties.note);
    expect(props['amount_x2']).toEqual({ type: ['number', 'null'], 'sql-datatype': 'numeric(18,2)' });
    expect(props['amount_eur']).toEqual({ type: ['number', 'null'] });
    expect(props['s']).toEqual({ type: ['string', 'null'] });
    expect(schema.key_properties).toEqual(['id']);
    const first = (out[1] as Extract<SourceMessage, { type: 'RECORD_BATCH' }>).records;
    expect(first).toHaveLength(1);
    expect(first[0]).toEqual({
      id: 1,
      status: 'paid',
      // exactNumber's rule: a JS number whenever the double holds the value exactly.
      amount: 1234567890.12,
      fx: 1.1,
      big: 170141183460469231731687303715884105727n,
      placed_at: '2024-03-01T10:00:00.123456Z',
      meta: { a: 1 },
      note: new Decimal('0.1234567890123456789012345'),
      amount_x2: 2469135780.24,
      amount_eur: 1358024679.132,
      s: 'PAID',
    });
    const second = (out[3] as Extract<SourceMessage, { type: 'RECORD_BATCH' }>).records;
    expect(second[0]).toMatchObject({ id: 3, amount: 0.1, big: -1, meta: { b: [1, 2] }, note: 7, amount_x2: 0.2 });
    expect(out[2]).toEqual({ type: 'STATE', value: { n: 1 } });
  });

  it('a query that drops the key is refused unless the step names another key; errors name the transform and stream', async () => {
    await expect(run('select status, count(*) as n from batch group by status', ROWS)).rejects.toThrow(
      'transform sql #1: stream "orders", field "id": key property "id" is not a column of the query\'s result',
    );
    const grouped = await run('select status, count(*) as n from batch group by status order by status', ROWS, ['status']);
    expect((grouped[0] as Extract<SourceMessage, { type: 'SCHEMA' }>).key_properties).toEqual(['status']);
    expect((grouped[1] as Extract<SourceMessage, { type: 'RECORD_BATCH' }>).records).toEqual([
      { status: 'paid', n: 1 },
      { status: 'test', n: 1 },
    ]);
    await expect(run('select nope from batch', ROWS)).rejects.toThrow(
      /^transform sql #1: stream "orders": the query does not run over the stream's batch: .*nope/,
    );
  });
});
