import { afterAll, describe, expect, test } from 'vitest';
import { activate, columnTypes, load, query, record, schema, state, tempDir } from './helpers.js';

const tmp = tempDir('deletes');
afterAll(() => tmp.cleanup());

const items = schema('items', { id: { type: 'integer' }, name: { type: 'string' } }, ['id']);
const v = (version: number, id: number, name: string) => record('items', { id, name }, { version });

describe('ACTIVATE_VERSION', () => {
  test('hard delete removes rows the new version did not write', async () => {
    const path = tmp.db('activate-hard');
    await load({ path, hard_delete: true }, [items, activate('items', 1), v(1, 1, 'a'), v(1, 2, 'b'), v(1, 3, 'c'), activate('items', 1)]);
    await load({ path, hard_delete: true }, [items, v(2, 1, 'A'), v(2, 3, 'C'), activate('items', 2)]);
    expect(await query(path, 'SELECT id::INTEGER AS id, name, _sdc_table_version::INTEGER AS version FROM items ORDER BY id')).toEqual([
      { id: 1, name: 'A', version: 2 },
      { id: 3, name: 'C', version: 2 },
    ]);
  });

  test('soft delete keeps those rows and stamps _sdc_deleted_at', async () => {
    const path = tmp.db('activate-soft');
    await load({ path }, [items, v(1, 1, 'a'), v(1, 2, 'b'), activate('items', 1)]);
    const before = Date.now();
    await load({ path }, [items, v(2, 1, 'A'), activate('items', 2)]);
    const rows = await query(path, 'SELECT id::INTEGER AS id, name, epoch_ms(_sdc_deleted_at)::DOUBLE AS deleted FROM items ORDER BY id');
    expect(rows[0]).toEqual({ id: 1, name: 'A', deleted: null });
    expect(rows[1]).toMatchObject({ id: 2, name: 'b' });
    expect(rows[1]?.['deleted']).toBeGreaterThanOrEqual(before - 1000);
    // The row comes back in a later version: it is live again, and the one now missing is marked.
    await load({ path }, [items, v(3, 2, 'b again'), activate('items', 3)]);
    expect(await query(path, 'SELECT id::INTEGER AS id, name, _sdc_deleted_at IS NOT NULL AS deleted FROM items ORDER BY id')).toEqual([
      { id: 1, name: 'A', deleted: true },
      { id: 2, name: 'b again', deleted: false },
    ]);
  });

  test('an ACTIVATE_VERSION before any record creates the table empty', async () => {
    const path = tmp.db('activate-first');
    await load({ path }, [items, activate('items', 5)]);
    expect(await query(path, 'SELECT count(*)::INTEGER AS n FROM items')).toEqual([{ n: 0 }]);
    expect(await columnTypes(path, 'items')).toEqual({
      id: 'BIGINT',
      name: 'VARCHAR',
      _sdc_deleted_at: 'TIMESTAMP WITH TIME ZONE',
      _sdc_table_version: 'BIGINT',
    });
  });

  test('rows loaded without a version count as older than any version', async () => {
    const path = tmp.db('activate-unversioned');
    await load({ path, hard_delete: true }, [items, record('items', { id: 1, name: 'plain' })]);
    await load({ path, hard_delete: true }, [items, v(7, 2, 'versioned'), activate('items', 7)]);
    expect(await query(path, 'SELECT id::INTEGER AS id FROM items')).toEqual([{ id: 2 }]);
  });

  // A table this run created skips the statement only while every row written carries the activated version or a later one.
  test('in one run into a new table, rows of an older version or none are still removed', async () => {
    const path = tmp.db('activate-same-run');
    await load({ path, hard_delete: true }, [items, v(1, 1, 'old'), v(2, 2, 'new'), activate('items', 2)]);
    expect(await query(path, 'SELECT id::INTEGER AS id FROM items')).toEqual([{ id: 2 }]);
    const unversioned = tmp.db('activate-same-run-unversioned');
    await load({ path: unversioned }, [items, record('items', { id: 1, name: 'plain' }), v(3, 2, 'new'), activate('items', 3)]);
    expect(await query(unversioned, 'SELECT id::INTEGER AS id, _sdc_deleted_at IS NOT NULL AS deleted FROM items ORDER BY id')).toEqual([
      { id: 1, deleted: true },
      { id: 2, deleted: false },
    ]);
    const fresh = tmp.db('activate-same-run-fresh');
    await load({ path: fresh, hard_delete: true }, [items, activate('items', 4), v(4, 1, 'a'), v(5, 2, 'b'), activate('items', 4)]);
    expect(await query(fresh, 'SELECT id::INTEGER AS id FROM items ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  });
});

describe('CDC delete records (_sdc_deleted_at)', () => {
  const cdc = schema(
    'orders',
    { id: { type: 'integer' }, status: { type: ['null', 'string'] }, _sdc_deleted_at: { type: ['null', 'string'], format: 'date-time' } },
    ['id'],
  );
  const row = (id: number, status: string | null, deleted?: string) =>
    record('orders', { id, status, ...(deleted ? { _sdc_deleted_at: deleted } : {}) });

  test('hard delete removes the row with that key', async () => {
    const path = tmp.db('cdc-hard');
    await load({ path, hard_delete: true }, [cdc, row(1, 'new'), row(2, 'new'), row(3, 'new')]);
    await load({ path, hard_delete: true }, [
      cdc,
      row(1, 'paid'),
      row(2, null, '2024-03-01T10:00:00Z'),
      row(4, 'new'),
      row(4, null, '2024-03-01T10:00:01Z'),
    ]);
    expect(await query(path, 'SELECT id::INTEGER AS id, status FROM orders ORDER BY id')).toEqual([
      { id: 1, status: 'paid' },
      { id: 3, status: 'new' },
    ]);
  });

  test('soft delete marks the row, keeping values the delete lacks; unknown keys are kept as marked rows; a later insert revives', async () => {
    const path = tmp.db('cdc-soft');
    await load({ path }, [cdc, row(1, 'new'), row(2, 'new'), row(3, 'new')]);
    await load({ path }, [
      cdc,
      row(2, null, '2024-03-01T10:00:00.5Z'),
      row(3, 'closed', '2024-03-01T10:00:01Z'),
      row(9, null, '2024-03-01T10:00:00Z'),
    ]);
    expect(await query(path, 'SELECT id::INTEGER AS id, status, _sdc_deleted_at::VARCHAR AS deleted FROM orders ORDER BY id')).toEqual([
      { id: 1, status: 'new', deleted: null },
      { id: 2, status: 'new', deleted: '2024-03-01 10:00:00.5+00' },
      { id: 3, status: 'closed', deleted: '2024-03-01 10:00:01+00' },
      { id: 9, status: null, deleted: '2024-03-01 10:00:00+00' },
    ]);
    await load({ path }, [cdc, row(2, 'again')]);
    expect(await query(path, 'SELECT status, _sdc_deleted_at AS deleted FROM orders WHERE id = 2')).toEqual([
      { status: 'again', deleted: null },
    ]);
  });

  test('a delete record whose stream schema does not declare _sdc_deleted_at still deletes', async () => {
    const path = tmp.db('cdc-undeclared');
    const plain = schema('orders', { id: { type: 'integer' }, status: { type: ['null', 'string'] } }, ['id']);
    await load({ path, hard_delete: true }, [plain, row(1, 'new'), row(2, 'new'), row(1, null, '2024-03-01T10:00:00Z')]);
    expect(await query(path, 'SELECT id::INTEGER AS id FROM orders')).toEqual([{ id: 2 }]);
  });
});

describe('metadata columns', () => {
  test('add_metadata_columns fills every _sdc_ column', async () => {
    const path = tmp.db('metadata');
    await load({ path, add_metadata_columns: true }, [
      items,
      record('items', { id: 1, name: 'a' }, { version: 3, time_extracted: '2024-01-01T00:00:00.000001Z' }),
      record('items', { id: 2, name: 'b' }),
      state({}),
    ]);
    expect(Object.keys(await columnTypes(path, 'items'))).toEqual([
      'id',
      'name',
      '_sdc_extracted_at',
      '_sdc_received_at',
      '_sdc_batched_at',
      '_sdc_deleted_at',
      '_sdc_sequence',
      '_sdc_table_version',
    ]);
    const rows = await query(
      path,
      `SELECT id::INTEGER AS id, _sdc_extracted_at::VARCHAR AS extracted, _sdc_received_at IS NOT NULL AS received, _sdc_batched_at >= _sdc_received_at AS batched,
      _sdc_deleted_at AS deleted, _sdc_sequence::VARCHAR AS seq, _sdc_table_version::INTEGER AS version FROM items ORDER BY id`,
    );
    expect(rows.map(({ seq: _, ...rest }) => rest)).toEqual([
      { id: 1, extracted: '2024-01-01 00:00:00.000001+00', received: true, batched: true, deleted: null, version: 3 },
      { id: 2, extracted: null, received: true, batched: true, deleted: null, version: null },
    ]);
    expect(BigInt(String(rows[1]?.['seq']))).toBeGreaterThan(BigInt(String(rows[0]?.['seq'])));
  });

  test('without add_metadata_columns tables hold only the schema fields', async () => {
    const path = tmp.db('no-metadata');
    await load({ path }, [items, record('items', { id: 1, name: 'a' })]);
    expect(Object.keys(await columnTypes(path, 'items'))).toEqual(['id', 'name']);
  });
});
