import { afterAll, describe, expect, test } from 'vitest';
import { Decimal, RecordValidationError } from '@mage-int/core';
import { columnTypes, load, query, record, schema, tempDir } from './helpers.js';

const tmp = tempDir('types');
afterAll(() => tmp.cleanup());

describe('table creation and type mapping', () => {
  test('creates the schema and table with DuckDB types for every JSON Schema type', async () => {
    const path = tmp.db('mapping');
    await load({ path, schema: 'raw' }, [
      schema(
        'Public-Everything',
        {
          ID: { type: 'integer' },
          flag: { type: ['null', 'boolean'] },
          ratio: { type: 'number' },
          price: { type: 'number', multipleOf: 0.01, 'x-precision': 10 },
          total: { type: 'number', 'sql-datatype': 'numeric(20,4)' },
          exact: { type: 'number', 'x-decimal': true },
          born: { type: 'string', format: 'date' },
          alarm: { type: 'string', format: 'time' },
          local: { type: 'string', format: 'date-time', 'sql-datatype': 'timestamp without time zone' },
          at: { type: 'string', format: 'date-time' },
          uid: { type: 'string', format: 'uuid' },
          raw: { type: 'string', contentEncoding: 'base64' },
          hex: { type: 'string', contentEncoding: 'base16' },
          doc: { type: 'object', properties: { a: { type: 'integer' } } },
          tags: { type: 'array', items: { type: 'string' } },
          either: { type: ['string', 'integer'] },
          anything: {},
          'Full Name': { type: 'string' },
        },
        ['ID'],
      ),
    ]);
    expect(await columnTypes(path, 'public_everything', 'raw')).toEqual({
      id: 'BIGINT',
      flag: 'BOOLEAN',
      ratio: 'DOUBLE',
      price: 'DECIMAL(10,2)',
      total: 'DECIMAL(20,4)',
      exact: 'VARCHAR',
      born: 'DATE',
      alarm: 'TIME',
      local: 'TIMESTAMP',
      at: 'TIMESTAMP WITH TIME ZONE',
      uid: 'UUID',
      raw: 'BLOB',
      hex: 'VARCHAR', // base16 stays text unless interpret_content_encoding (next test)
      doc: 'JSON',
      tags: 'JSON',
      either: 'JSON',
      anything: 'JSON',
      full_name: 'VARCHAR',
    });
  });

  test('base16 strings are text by default; interpret_content_encoding decodes them to BLOB and names stream, record and field of malformed hex', async () => {
    const messages = (hex: string) => [
      schema('files', { id: { type: 'integer' }, hex: { type: 'string', contentEncoding: 'base16' } }, ['id']),
      record('files', { id: 7, hex }),
    ];
    const asText = tmp.db('base16-text');
    await load({ path: asText }, messages('0x00FF'));
    expect(await query(asText, 'SELECT hex FROM files')).toEqual([{ hex: '0x00FF' }]);
    const decoded = tmp.db('base16-blob');
    await load({ path: decoded, interpret_content_encoding: true }, messages('0x00FF'));
    expect(await columnTypes(decoded, 'files')).toMatchObject({ hex: 'BLOB' });
    expect(await query(decoded, 'SELECT hex(hex) AS hex FROM files')).toEqual([{ hex: '00FF' }]);
    const malformed = load({ path: tmp.db('base16-bad'), interpret_content_encoding: true }, messages('0xZZ'));
    await expect(malformed).rejects.toMatchObject({ code: 'CONTENT_ENCODING_INVALID', stream: 'files', record: '{"id":7}', field: 'hex' });
  });

  test('keeps values exact: big integers, decimals, microsecond timestamps, unicode, NUL, bytes', async () => {
    const path = tmp.db('values');
    await load({ path }, [
      schema(
        'v',
        {
          id: { type: 'integer' },
          big: { type: 'integer' },
          price: { type: 'number', multipleOf: 0.0001 },
          unbounded: { type: 'number', 'x-decimal': true },
          ratio: { type: 'number' },
          at: { type: 'string', format: 'date-time' },
          local: { type: 'string', format: 'date-time', 'sql-datatype': 'timestamp' },
          day: { type: 'string', format: 'date' },
          text: { type: 'string' },
          raw: { type: 'string', contentEncoding: 'base64' },
          hex: { type: 'string', contentEncoding: 'base16' },
          doc: { type: 'object' },
          uid: { type: 'string', format: 'uuid' },
        },
        ['id'],
      ),
      record('v', {
        id: 1,
        big: 9223372036854775807n,
        price: new Decimal('12345678901234567890.1234'),
        unbounded: new Decimal('3.14159265358979323846264338327950288419716939937510'),
        ratio: 0.1,
        at: '2024-02-29T23:59:59.123456+05:30',
        local: '2024-02-29T23:59:59.654321',
        day: '2024-02-29',
        text: 'naïve 日本語 🚀 a\u0000b',
        raw: Buffer.from([0, 1, 2, 255]).toString('base64'),
        hex: '00ff10',
        doc: { n: 12345678901234567890n, d: new Decimal('0.10000000000000000001'), s: 'x\u0000y' },
        uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      }),
      record('v', { id: 2, at: '2024-01-01T00:00:00.000001Z', local: '1999-12-31 23:59:59.999999', price: 0.5, ratio: 1e300 }),
    ]);
    const rows = await query(
      path,
      `SELECT id, big::VARCHAR AS big, price::VARCHAR AS price, unbounded, ratio, epoch_us("at")::VARCHAR AS at_us, "local"::VARCHAR AS "local", "day"::VARCHAR AS "day",
      text, length(text) AS text_length, hex(raw) AS raw, hex, doc::VARCHAR AS doc, uid::VARCHAR AS uid FROM v ORDER BY id`,
    );
    expect(rows[0]).toEqual({
      id: '1',
      big: '9223372036854775807',
      price: '12345678901234567890.1234',
      unbounded: '3.14159265358979323846264338327950288419716939937510',
      ratio: 0.1,
      at_us: String(Date.UTC(2024, 1, 29, 18, 29, 59) * 1000 + 123456),
      local: '2024-02-29 23:59:59.654321',
      day: '2024-02-29',
      text: 'naïve 日本語 🚀 a\u0000b',
      text_length: '15',
      raw: '000102FF',
      hex: '00ff10',
      doc: '{"n":12345678901234567890,"d":0.10000000000000000001,"s":"x\\u0000y"}',
      uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    });
    expect(rows[1]).toMatchObject({
      id: '2',
      price: '0.5000',
      ratio: 1e300,
      at_us: String(Date.UTC(2024, 0, 1) * 1000 + 1),
      local: '1999-12-31 23:59:59.999999',
    });
  });

  test('integers on both sides of the 32-bit range and decimals written with trailing zeros load exactly', async () => {
    const path = tmp.db('int32');
    const ints = [0, -1, 2147483647, 2147483648, -2147483648, -2147483649, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
    const decimals = ['79.10', '7.5', '-0.00', '0', '-12', '123456789012.34', '0.01'];
    await load({ path }, [
      schema('n', { id: { type: 'integer' }, n: { type: 'integer' }, d: { type: 'number', 'sql-datatype': 'numeric(14,2)' } }, ['id']),
      ...ints.map((n, i) => record('n', { id: i, n, d: new Decimal(decimals[i % decimals.length] as string) })),
    ]);
    expect(await columnTypes(path, 'n')).toEqual({ id: 'BIGINT', n: 'BIGINT', d: 'DECIMAL(14,2)' });
    expect(await query(path, 'SELECT n::VARCHAR AS n, d::VARCHAR AS d FROM n ORDER BY id')).toEqual(
      ints.map((n, i) => ({ n: String(n), d: ['79.10', '7.50', '0.00', '0.00', '-12.00', '123456789012.34', '0.01'][i % 7] })),
    );
    // A decimal with more places than the column, even written with trailing zeros past them, widens it rather than round.
    await load({ path }, [
      schema('n', { id: { type: 'integer' }, n: { type: 'integer' }, d: { type: 'number', 'sql-datatype': 'numeric(14,2)' } }, ['id']),
      record('n', { id: 100, n: 1, d: new Decimal('1.2300') }),
      record('n', { id: 101, n: 1, d: new Decimal('1.234') }),
    ]);
    expect((await columnTypes(path, 'n'))['d']).toBe('DECIMAL(15,3)');
    expect(await query(path, 'SELECT d::VARCHAR AS d FROM n WHERE id >= 100 ORDER BY id')).toEqual([{ d: '1.230' }, { d: '1.234' }]);
  });

  test('widens an integer column to HUGEINT, then VARCHAR, when values outgrow it', async () => {
    const path = tmp.db('bigints');
    await load({ path }, [
      schema('n', { id: { type: 'integer' }, n: { type: 'integer' } }, ['id']),
      record('n', { id: 1, n: 42 }),
      record('n', { id: 2, n: -(2n ** 100n) }),
    ]);
    expect((await columnTypes(path, 'n'))['n']).toBe('HUGEINT');
    await load({ path }, [schema('n', { id: { type: 'integer' }, n: { type: 'integer' } }, ['id']), record('n', { id: 3, n: 10n ** 40n })]);
    expect((await columnTypes(path, 'n'))['n']).toBe('VARCHAR');
    expect(await query(path, 'SELECT id, n FROM n ORDER BY id')).toEqual([
      { id: '1', n: '42' },
      { id: '2', n: (-(2n ** 100n)).toString() },
      { id: '3', n: (10n ** 40n).toString() },
    ]);
  });

  test('widens a DECIMAL column when a value has more digits than it holds, instead of rounding', async () => {
    const path = tmp.db('decimals');
    await load({ path }, [
      schema('d', { id: { type: 'integer' }, amount: { type: 'number', multipleOf: 0.01, 'x-precision': 6 } }, ['id']),
      record('d', { id: 1, amount: new Decimal('1234.56') }),
      record('d', { id: 2, amount: new Decimal('1.005') }),
      record('d', { id: 3, amount: new Decimal('123456789.5') }),
    ]);
    expect((await columnTypes(path, 'd'))['amount']).toBe('DECIMAL(12,3)');
    expect(await query(path, 'SELECT amount::VARCHAR AS amount FROM d ORDER BY id')).toEqual([
      { amount: '1234.560' },
      { amount: '1.005' },
      { amount: '123456789.500' },
    ]);
  });

  test('a number column holds doubles, and turns into exact text when a value has more digits than a double', async () => {
    const path = tmp.db('doubles');
    await load({ path }, [
      schema('f', { id: { type: 'integer' }, x: { type: 'number' } }, ['id']),
      record('f', { id: 1, x: 0.1 }),
      record('f', { id: 2, x: new Decimal('0.30000000000000004') }),
      record('f', { id: 3, x: 1e-7 }),
    ]);
    expect((await columnTypes(path, 'f'))['x']).toBe('DOUBLE');
    await load({ path }, [
      schema('f', { id: { type: 'integer' }, x: { type: 'number' } }, ['id']),
      record('f', { id: 4, x: new Decimal('123456789012345678901234567890.123456789') }),
      record('f', { id: 5, x: 2n ** 64n }),
    ]);
    expect((await columnTypes(path, 'f'))['x']).toBe('VARCHAR');
    expect((await query(path, 'SELECT x FROM f ORDER BY id')).map((r) => r['x'])).toEqual([
      '0.1',
      '0.30000000000000004',
      '1e-07',
      '123456789012345678901234567890.123456789',
      '18446744073709551616',
    ]);
  });

  test('folds names to lower case by default and keeps case when asked; colliding names get suffixes', async () => {
    const path = tmp.db('names');
    await load({ path }, [
      schema('Orders', { 'Order ID': { type: 'integer' }, order_id: { type: 'integer' }, select: { type: 'string' } }),
      record('Orders', { 'Order ID': 1, order_id: 2, select: 'x' }),
    ]);
    // The field already named validly keeps its name, whatever the order.
    expect(await query(path, 'SELECT * FROM orders')).toEqual([{ order_id_2: '1', order_id: '2', select: 'x' }]);
    // The mapping is remembered in column comments, so a later schema in another order finds the same columns.
    await load({ path }, [
      schema('Orders', { select: { type: 'string' }, order_id: { type: 'integer' }, 'Order ID': { type: 'integer' } }),
      record('Orders', { 'Order ID': 3, order_id: 4, select: 'y' }),
    ]);
    expect(await query(path, 'SELECT order_id_2, order_id FROM orders ORDER BY 1')).toEqual([
      { order_id_2: '1', order_id: '2' },
      { order_id_2: '3', order_id: '4' },
    ]);
    expect(Object.keys(await columnTypes(path, 'orders'))).toEqual(['order_id_2', 'order_id', 'select']);
    await load({ path, lowercase_identifiers: false }, [
      schema('MixedCase', { CamelField: { type: 'string' }, camelfield: { type: 'string' } }),
      record('MixedCase', { CamelField: 'a', camelfield: 'b' }),
    ]);
    expect(await columnTypes(path, 'MixedCase')).toEqual({ CamelField: 'VARCHAR', camelfield_2: 'VARCHAR' });
  });

  test('rejects a value its column cannot take, naming stream, record and field', async () => {
    const path = tmp.db('bad');
    const attempt = load({ path }, [
      schema('bad', { id: { type: 'integer' }, at: { type: 'string', format: 'date-time' } }, ['id']),
      record('bad', { id: 7, at: 'yesterday' }),
    ]);
    await expect(attempt).rejects.toBeInstanceOf(RecordValidationError);
    await expect(attempt).rejects.toThrow(/stream "bad", record \{"id":7\}, field "at"/);
    const notNumber = load({ path }, [schema('bad2', { id: { type: 'integer' } }), record('bad2', { id: 'seven' })]);
    await expect(notNumber).rejects.toThrow(/field "id": value "seven" does not fit column type BIGINT/);
  });
});

describe('SQL date and time values', () => {
  test('keeps dates before 1 AD, years past 9999, infinities, 24:00:00 and time offsets', async () => {
    const path = tmp.db('temporal');
    await load({ path }, [
      schema(
        't',
        {
          id: { type: 'integer' },
          day: { type: ['null', 'string'], format: 'date' },
          at: { type: ['null', 'string'], format: 'date-time' },
          local: { type: ['null', 'string'], format: 'date-time', 'sql-datatype': 'timestamp without time zone' },
          clock: { type: ['null', 'string'], format: 'time' },
          zoned: { type: ['null', 'string'], format: 'time', 'sql-datatype': 'time with time zone' },
        },
        ['id'],
      ),
      record('t', {
        id: 1,
        day: '-0043-03-15',
        at: '-0043-03-15T12:00:00.5+01:00',
        local: '10000-01-01t00:00:00',
        clock: '24:00:00',
        zoned: '10:00:00.25-05:30',
      }),
      record('t', { id: 2, day: 'infinity', at: '-infinity', local: 'infinity', clock: '23:59:59.999999', zoned: '10:00:00Z' }),
    ]);
    expect(await columnTypes(path, 't')).toMatchObject({ clock: 'TIME', zoned: 'TIME WITH TIME ZONE' });
    expect(
      await query(
        path,
        'SELECT "day"::VARCHAR AS d, "at"::VARCHAR AS a, "local"::VARCHAR AS l, clock::VARCHAR AS c, zoned::VARCHAR AS z FROM t ORDER BY id',
      ),
    ).toEqual([
      { d: '0044-03-15 (BC)', a: '0044-03-15 (BC) 11:00:00.5+00', l: '10000-01-01 00:00:00', c: '24:00:00', z: '10:00:00.25-05:30' },
      { d: 'infinity', a: '-infinity', l: 'infinity', c: '23:59:59.999999', z: '10:00:00+00' },
    ]);
  });

  test('zero and non-zero offsets both keep the instant (+00:00 as PostgreSQL sources write it, +02:00 converted)', async () => {
    const path = tmp.db('offsets');
    const ts = { type: 'string', format: 'date-time' } as const;
    const local = { type: 'string', format: 'date-time', 'sql-datatype': 'timestamp without time zone' } as const;
    await load({ path }, [
      schema('o', { id: { type: 'integer' }, at: ts, wall: local }, ['id']),
      record('o', { id: 1, at: '2020-01-01T00:00:01.234567+00:00', wall: '2020-01-01T00:00:01.234567+00:00' }),
      record('o', { id: 2, at: '2020-01-01 00:00:01.5+00', wall: '2020-01-01T10:00:00-00:00' }),
      record('o', { id: 3, at: '2020-01-01T10:00:00+02:00', wall: '2020-01-01T10:00:00+02:00' }),
    ]);
    expect(await query(path, 'SELECT "at"::VARCHAR AS "at", wall::VARCHAR AS wall FROM o ORDER BY id')).toEqual([
      { at: '2020-01-01 00:00:01.234567+00', wall: '2020-01-01 00:00:01.234567' },
      { at: '2020-01-01 00:00:01.5+00', wall: '2020-01-01 10:00:00' },
      { at: '2020-01-01 08:00:00+00', wall: '2020-01-01 08:00:00' },
    ]);
  });

  test('a TIME column becomes TIMETZ when a value carries an offset', async () => {
    const path = tmp.db('timetz');
    await load({ path }, [
      schema('c', { id: { type: 'integer' }, at: { type: 'string', format: 'time' } }, ['id']),
      record('c', { id: 1, at: '08:00:00' }),
      record('c', { id: 2, at: '09:00:00+02' }),
    ]);
    expect((await columnTypes(path, 'c'))['at']).toBe('TIME WITH TIME ZONE');
    expect(await query(path, 'SELECT "at"::VARCHAR AS v FROM c ORDER BY id')).toEqual([{ v: '08:00:00+00' }, { v: '09:00:00+02' }]);
  });
});
