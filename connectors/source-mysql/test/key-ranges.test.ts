// Key ranges of one large FULL_TABLE table (issue 16's `key_ranges`) from MariaDB itself: the bounds, and every range
// read as a worker's task reads it (ctx.keyRange, the planned bookmarks in the state) — together the table exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyRangeBookmarks, silentLogger, type Catalog, type KeyRange, type RecordData } from '@mage-int/core';
import mysqlSource, { MySQL } from '../src/index.js';
import { keysetCompare } from '../src/keyset-sql.js';
import type { PlanColumn } from '../src/table-plan.js';
import { collect, createTestDatabase, recordsOf, select, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let catalog: Catalog;
const ROWS = 20_000;
const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });

beforeAll(async () => {
  db = await createTestDatabase({ batch_size: 1000, key_properties: {} });
  await db.sql(`SET SESSION max_recursive_iterations = 100000`);
  // Skewed keys: half the rows dense, half 10 apart — the bounds must come from the rows, not from min/max arithmetic.
  await db.sql(`CREATE TABLE skewed (id bigint PRIMARY KEY, v varchar(20) NOT NULL)`);
  await db.sql(`INSERT INTO skewed
    WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${ROWS})
    SELECT IF(n <= ${ROWS / 2}, n, n * 10), CONCAT('row ', n) FROM seq`);
  // A composite key with text in a binary collation (ordered by code point, as the framework compares).
  await db.sql(`CREATE TABLE pairs (a int, b varchar(10) COLLATE utf8mb4_bin, v int, PRIMARY KEY (a, b))`);
  await db.sql(`INSERT INTO pairs
    WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 3000)
    SELECT n % 3, IF(n % 2 = 0, CONCAT('K', n), CONCAT('k', n)), n FROM seq`);
  await db.sql(`CREATE TABLE ci_pairs (b varchar(10) PRIMARY KEY, v int) COLLATE utf8mb4_general_ci`);
  await db.sql(`INSERT INTO ci_pairs VALUES ('a', 1), ('B', 2), ('c', 3)`);
  await db.sql(`CREATE TABLE keyless (v int)`);
  await db.sql(`INSERT INTO keyless VALUES (1), (2), (3)`);
  await db.sql(`CREATE TABLE nullable_key (k int NULL, v int)`);
  await db.sql(`INSERT INTO nullable_key VALUES (1, 1), (NULL, 2), (3, 3)`);
  await db.sql(`ANALYZE TABLE skewed, pairs`);
  catalog = await new MySQL({ config: { ...db.config, key_properties: { [`${db.name}.nullable_key`]: ['k'] } } }).discover();
}, 60_000);
afterAll(async () => db?.drop());

function entry(table: string) {
  const found = catalog.streams.find((s) => s.stream === table);
  if (!found) throw new Error(`no stream ${table}`);
  return found;
}

const ranges = (table: string, count: number): Promise<KeyRange[]> =>
  mysqlSource.operations!.keyRanges!(db.config, entry(table), count, ctx());

/** Each range read as a worker's task reads it: ctx.keyRange and the bookmarks the planner stores (run-plan.ts). */
async function readRanges(table: string, planned: KeyRange[]): Promise<RecordData[][]> {
  const stream = entry(table).tap_stream_id;
  const state = { bookmarks: keyRangeBookmarks(stream, planned, 1234) };
  const cat = select(catalog, { [table]: { method: 'FULL_TABLE' } });
  // One range: the planner does not split, the stream is read whole as usual.
  if (planned.length === 1) return [recordsOf(await collect(mysqlSource.read(db.config, cat, { bookmarks: {} }, ctx())), table)];
  const out: RecordData[][] = [];
  for (let index = 1; index <= planned.length; index++) {
    const messages = await collect(
      mysqlSource.read(db.config, cat, state, { ...ctx(), keyRange: { stream, count: planned.length, index } }),
    );
    out.push(recordsOf(messages, table));
  }
  return out;
}

describe('key ranges from MariaDB', () => {
  it('splits skewed keys into 4 ranges of about equal rows that read the table exactly once', async () => {
    const planned = await ranges('skewed', 4);
    expect(planned).toHaveLength(4);
    expect(planned[0]).not.toHaveProperty('from');
    expect(planned[3]).not.toHaveProperty('to');
    const parts = await readRanges('skewed', planned);
    for (const part of parts) expect(part.length).toBeGreaterThan(ROWS / 8);
    const ids = parts.flat().map((r) => Number(r['id']));
    expect(ids).toHaveLength(ROWS);
    expect(new Set(ids).size).toBe(ROWS);
    // The quantiles of the key order: the second bound sits in the sparse half.
    expect(Number(planned[2]!.from!['id'])).toBeGreaterThan(ROWS / 2);
  });

  it('splits a composite key (int, binary-collated text) and reads every row once', async () => {
    const planned = await ranges('pairs', 5);
    expect(planned).toHaveLength(5);
    expect(Object.keys(planned[1]!.from!)).toEqual(['a', 'b']);
    const parts = await readRanges('pairs', planned);
    for (const part of parts) expect(part.length).toBeGreaterThan(3000 / 10);
    const keys = parts.flat().map((r) => `${r['a']}:${r['b']}`);
    expect(keys).toHaveLength(3000);
    expect(new Set(keys).size).toBe(3000);
  });

  it('reads a table whole (one open range) without a key, with a nullable key, or with a case-insensitive text key', async () => {
    for (const table of ['keyless', 'nullable_key', 'ci_pairs']) {
      const planned = await ranges(table, 4);
      expect(planned, table).toEqual([{}]);
      const [whole] = await readRanges(table, planned);
      expect(whole, table).toHaveLength(3);
    }
  });

  it('asks the server for exactly a range: from (inclusive) ≤ keys < to, in key order', async () => {
    const columns = [
      { name: 'a', kind: 'integer' },
      { name: 'b', kind: 'text' },
    ] as PlanColumn[];
    const from = keysetCompare(columns, [1, 'k'], '>', true);
    const to = keysetCompare(columns, [2, 'K'], '<');
    expect(from).toBe("((`a` > 1) OR (`a` = 1 AND `b` > 'k') OR (`a` = 1 AND `b` = 'k'))");
    expect(to).toBe("((`a` < 2) OR (`a` = 2 AND `b` < 'K'))");
    const [row] = (await db.sql(`SELECT COUNT(*) AS n FROM pairs WHERE ${from} AND ${to}`)) as { n: number }[];
    const [expected] = (await db.sql(`SELECT COUNT(*) AS n FROM pairs WHERE (a, b) >= (1, 'k') AND (a, b) < (2, 'K')`)) as { n: number }[];
    expect(Number(row!.n)).toBe(Number(expected!.n));
    expect(Number(row!.n)).toBeGreaterThan(0);
  });

  it('takes the bounds of a large table from a sample of its rows: still about equal ranges', async () => {
    const rows = 300_000;
    await db.sql(`SET SESSION max_recursive_iterations = ${rows}`);
    await db.sql(`CREATE TABLE large (id int PRIMARY KEY)`);
    await db.sql(`INSERT INTO large WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${rows})
      SELECT IF(n <= ${rows / 2}, n, n * 7) FROM seq`);
    await db.sql(`ANALYZE TABLE large`);
    // The estimate is above 200,000 rows: the bounds come from a sample.
    const [estimate] = (await db.sql(
      `SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'large'`,
    )) as {
      n: number;
    }[];
    expect(Number(estimate!.n)).toBeGreaterThan(200_000);
    catalog = await new MySQL({ config: { ...db.config, key_properties: { [`${db.name}.nullable_key`]: ['k'] } } }).discover();
    const planned = await ranges('large', 4);
    expect(planned).toHaveLength(4);
    let total = 0;
    for (const range of planned) {
      const where = [...(range.from ? [`id >= ${Number(range.from['id'])}`] : []), ...(range.to ? [`id < ${Number(range.to['id'])}`] : [])];
      const [row] = (await db.sql(`SELECT COUNT(*) AS n FROM large${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`)) as {
        n: number;
      }[];
      const n = Number(row!.n);
      // A sample of ~200,000 rows puts each quantile within a fraction of a percent.
      expect(n).toBeGreaterThan(rows * 0.2);
      expect(n).toBeLessThan(rows * 0.3);
      total += n;
    }
    expect(total).toBe(rows);
  }, 60_000);

  it('asks for one range: one open range', async () => {
    expect(await ranges('skewed', 1)).toEqual([{}]);
  });
});
