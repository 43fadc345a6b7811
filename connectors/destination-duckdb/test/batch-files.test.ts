import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { SourceMessage } from '@mage-int/core';
import { afterAll, describe, expect, test } from 'vitest';
import { columnTypes, load, query, schema, state, tempDir } from './helpers.js';

const { dir, db, cleanup } = tempDir('duckdb-batch-files-');
afterAll(cleanup);

/** A Parquet BATCH file written by DuckDB from `select`. */
async function parquet(name: string, select: string): Promise<string> {
  const path = join(dir, name);
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(`SET TimeZone = 'UTC'; COPY (${select}) TO '${path}' (FORMAT parquet)`);
  c.closeSync();
  instance.closeSync();
  return path;
}

const batch = (stream: string, path: string): SourceMessage => ({
  type: 'BATCH',
  stream,
  encoding: { format: 'parquet', compression: 'none' },
  manifest: [pathToFileURL(path).href],
  record_count: 3,
});

describe('Parquet BATCH files', () => {
  test('load with one INSERT, or, when a column does not cast exactly, as the records the file holds', async () => {
    const path = db('batch.duckdb');
    const exact = await parquet(
      'exact.parquet',
      `SELECT i AS id, CAST(i * 1.25 AS DECIMAL(10,2)) AS price, TIMESTAMPTZ '2024-01-01 00:00:00.000001+00' + to_days(CAST(i AS INTEGER)) AS seen_at, 'n' || i AS note FROM range(1, 4) r(i)`,
    );
    // score is a double where the schema says string: a DOUBLE column's text is the record path's, not DuckDB's cast.
    const mixed = await parquet(
      'mixed.parquet',
      `SELECT i + 3 AS id, i / 2 AS score, 'n' || i AS note, {'a': i, 'tags': ['x', 'y']} AS meta FROM range(1, 4) r(i)`,
    );
    const states = await load({ path, batch_dir: dir }, [
      schema('items', {
        id: { type: 'integer' },
        price: { type: ['number', 'null'], 'sql-datatype': 'numeric(10,2)' },
        seen_at: { type: ['string', 'null'], format: 'date-time' },
        note: { type: ['string', 'null'] },
      }),
      batch('items', exact),
      schema('scores', {
        id: { type: 'integer' },
        score: { type: ['string', 'null'] },
        note: { type: ['string', 'null'] },
        meta: { type: ['object', 'null'] },
      }),
      batch('scores', mixed),
      state({ n: 1 }),
    ]);
    expect(states).toEqual([{ type: 'STATE', value: { n: 1 } }]);
    expect(
      await query(
        path,
        `SELECT id, price::VARCHAR AS price, strftime(seen_at, '%Y-%m-%dT%H:%M:%S.%f') AS seen_at, note FROM items ORDER BY id`,
      ),
    ).toEqual([
      { id: '1', price: '1.25', seen_at: '2024-01-02T00:00:00.000001', note: 'n1' },
      { id: '2', price: '2.50', seen_at: '2024-01-03T00:00:00.000001', note: 'n2' },
      { id: '3', price: '3.75', seen_at: '2024-01-04T00:00:00.000001', note: 'n3' },
    ]);
    expect(await columnTypes(path, 'items')).toMatchObject({ price: 'DECIMAL(10,2)', seen_at: 'TIMESTAMP WITH TIME ZONE' });
    // A struct (as a Singer SDK tap writes objects) arrives as the JSON object it holds.
    expect(await query(path, `SELECT meta::VARCHAR AS meta FROM scores WHERE id = 4`)).toEqual([{ meta: '{"a":1,"tags":["x","y"]}' }]);
    expect(await query(path, `SELECT id, score FROM scores ORDER BY id`)).toEqual([
      { id: '4', score: '0.5' },
      { id: '5', score: '1' }, // DuckDB's own cast would write 1.0
      { id: '6', score: '1.5' },
    ]);
  });

  test('a parquet-view BATCH loads the file through its view; a view field outside the closed set is refused', async () => {
    const path = db('view.duckdb');
    const source = await parquet(
      'source.parquet',
      `SELECT CAST(i AS SMALLINT) AS n, CAST(i / 4 AS FLOAT) AS f, CAST(TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i) AS TIMESTAMP_NS) AS at, 'x' || i AS label FROM range(1, 4) r(i)`,
    );
    const view = (fields: unknown): SourceMessage =>
      ({
        type: 'BATCH',
        stream: 'viewed',
        encoding: { format: 'parquet-view', compression: 'none' },
        manifest: [pathToFileURL(source).href],
        view: { fields },
      }) as SourceMessage;
    const viewed = schema('viewed', {
      id: { type: 'integer' },
      ratio: { type: ['number', 'null'] },
      at: { type: ['string', 'null'], format: 'date-time' },
      label: { type: ['string', 'null'] },
      file: { type: ['string', 'null'] },
      line: { type: ['integer', 'null'] },
    });
    await load({ path, batch_dir: dir }, [
      viewed,
      view([
        { name: 'id', column: 'n', cast: 'BIGINT' },
        { name: 'ratio', column: 'f', cast: 'DOUBLE' },
        { name: 'at', column: 'at', cast: 'TIMESTAMP' },
        { name: 'label', column: 'label' },
        { name: 'file', text: "it's.parquet" },
        { name: 'line', rowNumber: true },
      ]),
    ]);
    expect(await query(path, `SELECT id, ratio, strftime("at", '%H:%M:%S') AS "at", label, file, line FROM viewed ORDER BY id`)).toEqual([
      { id: '1', ratio: 0.25, at: '00:00:01', label: 'x1', file: "it's.parquet", line: '1' },
      { id: '2', ratio: 0.5, at: '00:00:02', label: 'x2', file: "it's.parquet", line: '2' },
      { id: '3', ratio: 0.75, at: '00:00:03', label: 'x3', file: "it's.parquet", line: '3' },
    ]);
    // The source file is the source's: still there.
    expect(await query(path, `SELECT count(*)::INTEGER AS n FROM read_parquet('${source}')`)).toEqual([{ n: 3 }]);
    for (const fields of [[{ name: 'id', column: 'n', cast: 'BIGINT); DROP TABLE viewed; --' }], [{ name: 'id' }], []])
      await expect(load({ path, batch_dir: dir }, [viewed, view(fields)])).rejects.toThrow(/the view of a parquet-view BATCH/);
  });

  test('an append of files whose row groups are not of DuckDB size loads unordered, and a refused one goes record by record', async () => {
    const path = db('unordered.duckdb');
    const file = async (name: string, last: string) => {
      const out = join(dir, name);
      const instance = await DuckDBInstance.create(':memory:');
      const c = await instance.connect();
      // Row groups of 2,048 rows: not DuckDB's 122,880, so the INSERT runs with preserve_insertion_order off.
      await c.run(
        `COPY (SELECT i AS id, CASE WHEN i = 5000 THEN '${last}' ELSE '2024-01-01 00:00:00+00' END AS seen_at FROM range(1, 5001) r(i)) TO '${out}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
      );
      c.closeSync();
      instance.closeSync();
      return out;
    };
    const good = await file('unordered-good.parquet', '2024-01-02 00:00:00+00');
    const events = schema('events', { id: { type: 'integer' }, seen_at: { type: ['string', 'null'], format: 'date-time' } });
    const states = await load({ path, batch_dir: dir }, [events, batch('events', good), batch('events', good), state({ n: 1 })]);
    expect(states).toEqual([{ type: 'STATE', value: { n: 1 } }]);
    expect(
      await query(path, `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, sum(id)::BIGINT AS s FROM events`),
    ).toEqual([{ n: 10000, ids: 5000, s: '25005000' }]);
    // A text DuckDB will not cast to TIMESTAMPTZ: the INSERT is refused (the first file's rows stay in the open batch)
    // and the file's records are staged instead, where the record path names the record.
    const bad = await file('unordered-bad.parquet', 'not a time');
    await expect(
      load({ path: db('unordered-bad.duckdb'), batch_dir: dir }, [events, batch('events', good), batch('events', bad)]),
    ).rejects.toThrow(/record #9999, field "seen_at".*not a time/);
  });
});
