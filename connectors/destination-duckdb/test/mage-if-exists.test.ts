// Mage's DuckDB destination config (file_path, if_exists — which its docs mark required) against a DuckDB file.
import { afterAll, describe, expect, test } from 'vitest';
import type { Config } from '../src/generated/config.js';
import { load, query, record, schema, tempDir } from './helpers.js';

const tmp = tempDir('mage-if-exists');
afterAll(() => tmp.cleanup());

const users = (...rows: [number, string][]) => [
  schema('users', { id: { type: 'integer' }, name: { type: ['null', 'string'] } }, ['id']),
  ...rows.map(([id, name]) => record('users', { id, name })),
];
const rows = (path: string) => query(path, 'SELECT id::INTEGER AS id, name FROM users ORDER BY id, name');

describe("Mage's if_exists", () => {
  test('replace: the second run leaves only its own rows', async () => {
    const config = { file_path: tmp.db('replace'), if_exists: 'replace' } as unknown as Config;
    await load(config, users([1, 'a'], [2, 'b']));
    await load(config, users([2, 'B'], [3, 'C']));
    expect(await rows(tmp.db('replace'))).toEqual([
      { id: 2, name: 'B' },
      { id: 3, name: 'C' },
    ]);
  });

  test('append: every record is a new row, keys notwithstanding', async () => {
    const config = { file_path: tmp.db('append'), if_exists: 'append' } as unknown as Config;
    await load(config, users([1, 'a'], [2, 'b']));
    await load(config, users([2, 'B']));
    expect(await rows(tmp.db('append'))).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'B' },
      { id: 2, name: 'b' },
    ]);
  });

  test('fail: a run meeting an existing table stops naming it and changes nothing', async () => {
    const config = { file_path: tmp.db('fail'), if_exists: 'fail' } as unknown as Config;
    await load(config, users([1, 'a']));
    await expect(load(config, users([1, 'changed']))).rejects.toThrow(/table "main"\."users" already exists and if_exists is fail/);
    expect(await rows(tmp.db('fail'))).toEqual([{ id: 1, name: 'a' }]);
  });
});
