import { describe, expect, it } from 'vitest';
import { Decimal, getMetadata, MessageGuard, stringifyExactJson, type RecordData, type SourceMessage } from '@mage-int/core';
import source from '../src/index.js';
import { Faker } from '../src/index.js';
import { isoTimestamp } from '../src/streams/faker-stream.js';
import { catalogFor, context, readAll, recordsOf } from './helpers.js';

const small = { seed: 7, customers: 300, products: 40, orders: 2000, batch_size: 256 };
const all = { customers: {}, products: {}, orders: {} };

/** The messages as text, without the table version (the one value taken from the clock). */
function withoutVersions(messages: SourceMessage[]): string {
  return messages
    .map((m) => stringifyExactJson(m))
    .join('\n')
    .replace(/"version":\d+/g, '"version":0');
}

describe('discover', () => {
  it('describes customers, products and orders with keys, replication keys and row counts', async () => {
    const catalog = await source.discover(small, context());
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual(['customers', 'products', 'orders']);
    for (const stream of catalog.streams) {
      const md = getMetadata(stream);
      expect(md['table-key-properties']).toEqual(['id']);
      expect(md['valid-replication-keys']).toEqual(['updated_at', 'created_at']);
      expect(md['selected-by-default']).toBe(true);
      expect(md['row-count']).toBe(small[stream.stream as 'customers']);
      expect(getMetadata(stream, ['properties', 'id'])['inclusion']).toBe('automatic');
      expect(stream.schema.properties?.['updated_at']).toEqual({ type: 'string', format: 'date-time' });
    }
    const products = catalog.streams[1]!;
    expect(products.schema.properties?.['price']).toMatchObject({ type: 'number', multipleOf: 0.01 });
  });
});

describe('generated data', () => {
  it('is byte-identical across runs with the same seed and sizes', async () => {
    const catalog = await catalogFor(small, all);
    const first = await readAll(small, catalog);
    const second = await readAll(small, catalog);
    expect(withoutVersions(second)).toBe(withoutVersions(first));
  });

  it('changes with the seed', async () => {
    const one = recordsOf(await readAll(small, await catalogFor(small, all)), 'customers');
    const other = recordsOf(await readAll({ ...small, seed: 8 }, await catalogFor(small, all)), 'customers');
    expect(other.map((r) => r['email'])).not.toEqual(one.map((r) => r['email']));
  });

  it('emits exactly the configured number of records per stream, ids 1..n', async () => {
    const messages = await readAll(small, await catalogFor(small, all));
    for (const stream of ['customers', 'products', 'orders'] as const) {
      const ids = recordsOf(messages, stream).map((r) => r['id']);
      expect(ids).toEqual(Array.from({ length: small[stream] }, (_, i) => i + 1));
    }
  });

  it('passes the protocol guard with record validation on', async () => {
    const guard = new MessageGuard({ validateRecords: true });
    const messages = await readAll(small, await catalogFor(small, all));
    for (const message of messages) guard.check(message);
    expect(
      messages.filter((m) => m.type === 'RECORD_BATCH').every((m) => m.type === 'RECORD_BATCH' && m.records.length <= small.batch_size),
    ).toBe(true);
  });

  it('keeps orders consistent with the customers and products they reference', async () => {
    const messages = await readAll(small, await catalogFor(small, all));
    const customers = new Map(recordsOf(messages, 'customers').map((r) => [r['id'], r]));
    const products = new Map(recordsOf(messages, 'products').map((r) => [r['id'], r]));
    const orders = recordsOf(messages, 'orders');
    const statuses = new Set<unknown>();
    for (const order of orders) {
      const customer = customers.get(order['customer_id']);
      const product = products.get(order['product_id']);
      expect(customer, `order ${String(order['id'])}`).toBeDefined();
      expect(product, `order ${String(order['id'])}`).toBeDefined();
      expect(String(customer!['created_at']) <= String(order['created_at'])).toBe(true);
      expect(String(product!['created_at']) <= String(order['created_at'])).toBe(true);
      expect(String(order['created_at']) <= String(order['updated_at'])).toBe(true);
      // amount = unit_price × quantity, exactly.
      const unit = order['unit_price'] as Decimal;
      const amount = order['amount'] as Decimal;
      expect(unit).toBeInstanceOf(Decimal);
      expect(amount.text).toMatch(/^\d+\.\d\d$/);
      const cents = (d: Decimal) => BigInt(d.text.replace('.', ''));
      expect(cents(amount)).toBe(cents(unit) * BigInt(order['quantity'] as number));
      statuses.add(order['status']);
    }
    // Over ~1.4 simulated days of orders the early lifecycle steps all show up.
    expect([...statuses]).toEqual(expect.arrayContaining(['pending', 'paid', 'shipped', 'cancelled']));
  });

  it('writes prices as exact two-place decimals', async () => {
    const products = recordsOf(await readAll(small, await catalogFor(small, { products: {} })), 'products');
    for (const product of products) {
      expect(product['price']).toBeInstanceOf(Decimal);
      expect(stringifyExactJson(product['price'])).toMatch(/^\d+\.\d\d$/);
    }
  });

  it('gives a record the same creation time and references whatever the sizes', async () => {
    const fewer = recordsOf(await readAll(small, await catalogFor(small, { orders: {} })), 'orders');
    const more = recordsOf(await readAll({ ...small, orders: 3000 }, await catalogFor(small, { orders: {} })), 'orders');
    const pick = (r: RecordData) => [
      r['id'],
      r['customer_id'],
      r['product_id'],
      r['quantity'],
      r['created_at'],
      stringifyExactJson(r['amount']),
    ];
    expect(more.slice(0, fewer.length).map(pick)).toEqual(fewer.map(pick));
  });

  it('keeps only the selected fields, plus the key', async () => {
    const catalog = await catalogFor(small, { customers: {} });
    const customers = catalog.streams[0]!;
    for (const field of ['phone', 'city', 'tier']) {
      customers.metadata.find((m) => m.breadcrumb[1] === field)!.metadata['selected'] = false;
    }
    const messages = await readAll(small, catalog);
    const schema = messages.find((m) => m.type === 'SCHEMA');
    expect(schema?.type === 'SCHEMA' && Object.keys(schema.schema.properties ?? {})).toEqual([
      'id',
      'name',
      'email',
      'country',
      'marketing_opt_in',
      'created_at',
      'updated_at',
    ]);
    expect(Object.keys(recordsOf(messages, 'customers')[0]!)).toEqual([
      'id',
      'name',
      'email',
      'country',
      'marketing_opt_in',
      'created_at',
      'updated_at',
    ]);
  });

  it('generates lazily: the first batch of a billion orders arrives at once', async () => {
    const huge = { orders: 1_000_000_000, batch_size: 1000 };
    const started = performance.now();
    for await (const message of new Faker({ config: huge }).read(await catalogFor(huge, { orders: {} }))) {
      if (message.type === 'RECORD_BATCH') {
        expect(message.records).toHaveLength(1000);
        break;
      }
    }
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('formats timestamps exactly like Date#toISOString', () => {
    const samples = [
      0,
      1,
      999,
      86_399_999,
      86_400_000,
      Date.parse('2024-02-29T23:59:59.999Z'),
      Date.parse('1969-12-31T23:59:59.001Z'),
      Date.parse('9999-12-31T23:59:59.999Z'),
    ];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 253402300799999));
    for (const ms of samples) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
  });
});

describe('config', () => {
  it('rejects orders without customers or products, and unparseable start dates', async () => {
    await expect(source.check({ customers: 0, orders: 10 }, context())).resolves.toMatchObject({
      ok: false,
      message: expect.stringContaining('customers'),
    });
    await expect(source.check({ start_date: 'yesterday' }, context())).resolves.toMatchObject({
      ok: false,
      message: expect.stringContaining('start_date'),
    });
    await expect(source.check({}, context())).resolves.toMatchObject({
      ok: true,
      message: 'generates 1000 customers, 100 products, 5000 orders from seed 42',
    });
  });

  it('fills defaults and rejects unknown settings in the programmatic API', () => {
    expect(new Faker().config).toMatchObject({ seed: 42, customers: 1000, products: 100, orders: 5000, batch_size: 5000 });
    expect(() => new Faker({ config: { rows: 5 } as never })).toThrow(/"rows" is not a known setting/);
  });

  it('refuses LOG_BASED and unknown replication keys', async () => {
    await expect(readAll(small, await catalogFor(small, { orders: { method: 'LOG_BASED' } }))).rejects.toThrow(
      /does not support LOG_BASED/,
    );
    await expect(readAll(small, await catalogFor(small, { orders: { method: 'INCREMENTAL', key: 'status' } }))).rejects.toThrow(
      /"status" cannot be a replication key/,
    );
  });
});
