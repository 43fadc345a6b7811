import { afterAll, describe, expect, test } from 'vitest';
import type { ConflictMethod } from '@mage-int/core';
import { load, query, record, schema, tempDir } from './helpers.js';

const tmp = tempDir('merge');
afterAll(() => tmp.cleanup());

const users = (...rows: [number, string][]) => rows.map(([id, name]) => record('users', { id, name }));
const usersSchema = schema('users', { id: { type: 'integer' }, name: { type: ['null', 'string'] } }, ['id']);

/** Loads ids 1,2 (a, b), then a second run with 2 → B and 3 → C under `method`. */
async function twoRuns(name: string, method?: ConflictMethod) {
  const path = tmp.db(name);
  await load({ path }, [usersSchema, ...users([1, 'a'], [2, 'b'])]);
  await load({ path }, [usersSchema, ...users([2, 'B'], [3, 'C'])], method ? { users: method } : {});
  return query(path, 'SELECT id::INTEGER AS id, name FROM users ORDER BY id, name');
}

describe('conflict rules', () => {
  test('upserts by key by default: new keys inserted, existing rows replaced', async () => {
    expect(await twoRuns('default')).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'B' },
      { id: 3, name: 'C' },
    ]);
  });

  test('update_only replaces existing rows and drops new keys', async () => {
    expect(await twoRuns('update-only', 'update_only')).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'B' },
    ]);
  });

  test('ignore inserts new keys and leaves existing rows untouched', async () => {
    expect(await twoRuns('ignore', 'ignore')).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
      { id: 3, name: 'C' },
    ]);
  });

  test('append inserts every record even when keys repeat', async () => {
    expect(await twoRuns('append', 'append')).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'B' },
      { id: 2, name: 'b' },
      { id: 3, name: 'C' },
    ]);
  });

  test('a stream without key properties is appended', async () => {
    const path = tmp.db('keyless');
    const events = schema('events', { kind: { type: 'string' } });
    await load({ path }, [events, record('events', { kind: 'x' }), record('events', { kind: 'x' })]);
    await load({ path }, [events, record('events', { kind: 'x' })]);
    expect(await query(path, 'SELECT count(*)::INTEGER AS n FROM events')).toEqual([{ n: 3 }]);
  });

  test('within one batch the last record of a key wins, for every rule', async () => {
    for (const method of ['upsert', 'ignore', 'update_only'] as const) {
      const path = tmp.db(`dupes-${method}`);
      await load({ path }, [usersSchema, ...users([1, 'old'])]);
      await load({ path }, [usersSchema, ...users([1, 'first'], [5, 'x'], [1, 'second'], [5, 'y'], [1, 'last'])], { users: method });
      const rows = await query(path, 'SELECT id::INTEGER AS id, name FROM users ORDER BY id');
      if (method === 'upsert')
        expect(rows).toEqual([
          { id: 1, name: 'last' },
          { id: 5, name: 'y' },
        ]);
      if (method === 'ignore')
        expect(rows).toEqual([
          { id: 1, name: 'old' },
          { id: 5, name: 'y' },
        ]);
      if (method === 'update_only') expect(rows).toEqual([{ id: 1, name: 'last' }]);
    }
  });

  test('composite keys match on every key column; a field missing from a record becomes NULL', async () => {
    const path = tmp.db('composite');
    const lines = schema(
      'lines',
      { order: { type: 'integer' }, line: { type: 'integer' }, qty: { type: ['null', 'integer'] }, note: { type: ['null', 'string'] } },
      ['order', 'line'],
    );
    await load({ path }, [
      lines,
      record('lines', { order: 1, line: 1, qty: 5, note: 'n' }),
      record('lines', { order: 1, line: 2, qty: 6 }),
    ]);
    await load({ path }, [lines, record('lines', { order: 1, line: 2, qty: 7 }), record('lines', { order: 2, line: 1, qty: 1 })]);
    expect(await query(path, 'SELECT "order"::INTEGER AS o, line::INTEGER AS l, qty::INTEGER AS q, note FROM lines ORDER BY 1, 2')).toEqual(
      [
        { o: 1, l: 1, q: 5, note: 'n' },
        { o: 1, l: 2, q: 7, note: null },
        { o: 2, l: 1, q: 1, note: null },
      ],
    );
  });

  test('loads RECORD_BATCH messages like single records', async () => {
    const path = tmp.db('batch');
    await load({ path }, [
      usersSchema,
      { type: 'RECORD_BATCH', stream: 'users', records: Array.from({ length: 5000 }, (_, i) => ({ id: i % 1000, name: `n${i}` })) },
    ]);
    expect(await query(path, 'SELECT count(*)::INTEGER AS n, max(name) FILTER (WHERE id = 999) AS last FROM users')).toEqual([
      { n: 1000, last: 'n4999' },
    ]);
  });
});
