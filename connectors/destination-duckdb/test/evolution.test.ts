import { afterAll, describe, expect, test } from 'vitest';
import { Decimal } from '@mage-int/core';
import { columnTypes, load, query, record, schema, tempDir } from './helpers.js';

const tmp = tempDir('evolution');
afterAll(() => tmp.cleanup());

describe('schema evolution', () => {
  test('adds new columns, in the same run and in later runs, keeping existing rows', async () => {
    const path = tmp.db('add');
    await load({ path }, [
      schema('items', { id: { type: 'integer' } }, ['id']),
      record('items', { id: 1 }),
      schema('items', { id: { type: 'integer' }, color: { type: 'string' } }, ['id']),
      record('items', { id: 2, color: 'red' }),
    ]);
    await load({ path }, [
      schema('items', { id: { type: 'integer' }, weight: { type: 'number' } }, ['id']),
      record('items', { id: 3, weight: 1.5 }),
    ]);
    expect(await columnTypes(path, 'items')).toEqual({ id: 'BIGINT', color: 'VARCHAR', weight: 'DOUBLE' });
    expect(await query(path, 'SELECT id::INTEGER AS id, color, weight FROM items ORDER BY id')).toEqual([
      { id: 1, color: null, weight: null },
      { id: 2, color: 'red', weight: null },
      { id: 3, color: null, weight: 1.5 },
    ]);
  });

  test('widens column types without losing values', async () => {
    const path = tmp.db('widen');
    const v1 = schema(
      'w',
      {
        id: { type: 'integer' },
        n: { type: 'integer' },
        d: { type: 'string', format: 'date' },
        ts: { type: 'string', format: 'date-time', 'sql-datatype': 'timestamp' },
        flag: { type: 'boolean' },
        amount: { type: 'number', multipleOf: 0.01, 'x-precision': 5 },
      },
      ['id'],
    );
    await load({ path }, [
      v1,
      record('w', {
        id: 1,
        n: 9007199254740993n,
        d: '2024-01-02',
        ts: '2024-01-02T03:04:05.123456',
        flag: true,
        amount: new Decimal('123.45'),
      }),
    ]);
    const v2 = schema(
      'w',
      {
        id: { type: 'integer' },
        n: { type: 'number', multipleOf: 0.001 },
        d: { type: 'string', format: 'date-time', 'sql-datatype': 'timestamp' },
        ts: { type: 'string', format: 'date-time' },
        flag: { type: 'string' },
        amount: { type: 'number', multipleOf: 0.0001, 'x-precision': 12 },
      },
      ['id'],
    );
    await load({ path }, [
      v2,
      record('w', {
        id: 2,
        n: new Decimal('1.125'),
        d: '2024-05-06T07:08:09',
        ts: '2024-05-06T07:08:09.000001+02:00',
        flag: 'maybe',
        amount: new Decimal('12345678.1234'),
      }),
    ]);
    expect(await columnTypes(path, 'w')).toEqual({
      id: 'BIGINT',
      n: 'DECIMAL(38,3)',
      d: 'TIMESTAMP',
      ts: 'TIMESTAMP WITH TIME ZONE',
      flag: 'VARCHAR',
      amount: 'DECIMAL(12,4)',
    });
    expect(
      await query(
        path,
        'SELECT id::INTEGER AS id, n::VARCHAR AS n, d::VARCHAR AS d, ts::VARCHAR AS ts, flag, amount::VARCHAR AS amount FROM w ORDER BY id',
      ),
    ).toEqual([
      { id: 1, n: '9007199254740993.000', d: '2024-01-02 00:00:00', ts: '2024-01-02 03:04:05.123456+00', flag: 'true', amount: '123.4500' },
      { id: 2, n: '1.125', d: '2024-05-06 07:08:09', ts: '2024-05-06 05:08:09.000001+00', flag: 'maybe', amount: '12345678.1234' },
    ]);
  });

  test('a column that turns from number to object becomes JSON; integer meeting float becomes exact text', async () => {
    const path = tmp.db('json');
    await load({ path }, [
      schema('j', { id: { type: 'integer' }, v: { type: 'integer' }, f: { type: 'number' } }, ['id']),
      record('j', { id: 1, v: 5, f: 0.25 }),
    ]);
    await load({ path }, [
      schema('j', { id: { type: 'integer' }, v: { type: ['integer', 'object'] }, f: { type: 'integer' } }, ['id']),
      record('j', { id: 2, v: { a: [1] }, f: 2n ** 64n }),
    ]);
    expect(await columnTypes(path, 'j')).toEqual({ id: 'BIGINT', v: 'JSON', f: 'VARCHAR' });
    expect(await query(path, 'SELECT v, f FROM j ORDER BY id')).toEqual([
      { v: '5', f: '0.25' },
      { v: '{"a":[1]}', f: '18446744073709551616' },
    ]);
  });

  test('a field dropped from the schema keeps its column; new records leave it NULL', async () => {
    const path = tmp.db('dropped');
    await load({ path }, [schema('t', { id: { type: 'integer' }, old: { type: 'string' } }, ['id']), record('t', { id: 1, old: 'x' })]);
    await load({ path }, [schema('t', { id: { type: 'integer' } }, ['id']), record('t', { id: 2 }), record('t', { id: 1 })]);
    expect(await query(path, 'SELECT id::INTEGER AS id, old FROM t ORDER BY id')).toEqual([
      { id: 1, old: 'x' },
      { id: 2, old: null },
    ]);
  });
});
