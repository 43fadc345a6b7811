import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { MemoryStateStore, runPipeline, silentLogger, type Destination, type Source, type SourceMessage } from '@mage-int/core';
import duckdb from '@mage-int/destination-duckdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import files from '../src/index.js';

// source-files → destination-duckdb in process: with the destination's `loadsBatchFiles`, CSV files go as `csv-view`
// BATCH files (their rows numbered, read by DuckDB inside the destination's INSERT) and Parquet files as themselves or
// as Parquet copies; the tables must equal those of the record path, row for row.
const dir = mkdtempSync(join(tmpdir(), 'source-files-batch-'));
const root = join(dir, 'in');
const batchDir = join(dir, 'batches');
const DATA = `id, amount, ratio, active, note, day, _sdc_source_file, _sdc_source_lineno, _sdc_source_last_modified`;

function put(key: string, content: string | Buffer): void {
  const path = join(root, key);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  const at = new Date(Date.now() - 3_600_000);
  utimesSync(path, at, at);
}

const sourceConfig = {
  root,
  streams: [
    { name: 'orders', pattern: 'orders/**/*.csv' },
    { name: 'events', pattern: 'events/*.parquet', key_properties: ['id'] },
    // One column with an empty line (skipped by the record path, a NULL row for DuckDB), and two columns with one.
    { name: 'single', pattern: 'single/*.csv' },
    { name: 'gaps', pattern: 'gaps/*.csv' },
    // gzip, a BOM, a line skipped before the header, CRLF line ends (one inside a quoted value), an empty line, a last
    // line without a line end.
    { name: 'zipped', pattern: 'zipped/*.csv.gz', csv: { skip_rows: 1 } },
    // The same with a key, and a CRLF file with a key: a Parquet copy's statement (csv-view is for streams without
    // keys) cannot count a CR inside a value as csv-parse does (a line of its own): these go record by record.
    { name: 'zipkeyed', pattern: 'zipped/*.csv.gz', csv: { skip_rows: 1 }, key_properties: ['id'] },
    { name: 'crlfkeyed', pattern: 'crlf/*.csv', key_properties: ['id'] },
    // No header: given column names, an empty line.
    { name: 'headless', pattern: 'headless/*.csv', csv: { header: false, column_names: ['word', 'n'] } },
    {
      name: 'loose',
      pattern: 'loose/*.csv',
      schema: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          amount: { type: 'number' },
          ratio: { type: 'number' },
          active: { type: 'boolean' },
          note: { type: 'string' },
        },
      },
    },
  ],
};

/** source-files, counting the BATCH messages it emits. */
function counting(formats: string[] = []): { source: Source<never>; batches: () => number } {
  let batches = 0;
  const source = files as unknown as Source<never>;
  return {
    source: {
      ...source,
      async *read(...args: Parameters<Source<never>['read']>): AsyncGenerator<SourceMessage> {
        for await (const message of source.read(...args)) {
          if (message.type === 'BATCH') {
            batches++;
            formats.push(message.encoding.format);
          }
          yield message;
        }
      },
    },
    batches: () => batches,
  };
}

async function load(
  path: string,
  destination: Destination<never>,
  extra: Partial<Parameters<typeof runPipeline>[0]> = {},
  formats: string[] = [],
) {
  const { source, batches } = counting(formats);
  await runPipeline({
    pipelineId: 'batch-files-test',
    source,
    sourceConfig,
    destination,
    // The run's BATCH files go under batch_dir (else the system temp folder).
    destinationConfig: { path, batch_dir: batchDir },
    streams: {
      orders: { replication_method: 'FULL_TABLE' },
      events: { replication_method: 'FULL_TABLE' },
      single: { replication_method: 'FULL_TABLE' },
      gaps: { replication_method: 'FULL_TABLE' },
    },
    stateStore: new MemoryStateStore(),
    logger: silentLogger,
    ...extra,
  });
  return batches();
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** Rows in one table and not the other (both ways), over `columns`. */
async function difference(a: string, b: string, table: string, columns: string): Promise<number> {
  const [row] = await query(
    `ATTACH '${a}' AS a (READ_ONLY); ATTACH '${b}' AS b (READ_ONLY);
     SELECT (SELECT count(*) FROM (SELECT ${columns} FROM a.${table} EXCEPT ALL SELECT ${columns} FROM b.${table}))
          + (SELECT count(*) FROM (SELECT ${columns} FROM b.${table} EXCEPT ALL SELECT ${columns} FROM a.${table})) AS n`,
  );
  return Number(row?.['n']);
}

const recordsOnly = { ...(duckdb as unknown as Destination<never>), loadsBatchFiles: undefined };

describe('source-files → destination-duckdb through BATCH files', () => {
  beforeAll(async () => {
    mkdirSync(batchDir);
    // Quoted newlines and delimiters, "" (empty text) beside an unquoted empty field (NULL), booleans as yes/no,
    // decimals with trailing zeros, a double with 17 digits, Hive partition values.
    put(
      'orders/region=eu/a.csv',
      'id,amount,ratio,active,note,day\n1,1.50,0.1,true,"multi\nline, with ""quotes""",2024-01-02\n2,,0.30000000000000004,false,"",2024-01-03\n3,7,,true,,\n4,-0.25,1e3,false,"a\n\nb",2024-02-29\n',
    );
    // Numbers with spaces around them, a leading `+`, `-0`, `.5`, `5.`, `1e3`: not DuckDB's own print of the value, so
    // the conversion's slow tests (RecordShaper's trimming) decide them; `yes`/`NO`/`1` as booleans. A given schema:
    // inference would call such columns text.
    put('loose/a.csv', 'id,amount,ratio,active,note\n 6 ,+8,-0,yes,t\n+7, .5 ,5.,NO,u\n-8,1e3,-.25,1,v\n');
    // An amount a double would round: the record path keeps it as an exact decimal, so this file goes record by record.
    put('orders/region=us/b.csv', 'id,amount,ratio,active,note,day\n5,12345678901234567890.25,2.5,true,plain,2024-03-01\n');
    put('single/a.csv', 'word\nx\n\ny\n');
    put('gaps/a.csv', 'id,word\n1,x\n\n2,y\n');
    put('zipped/a.csv.gz', gzipSync('\uFEFFexported by x\r\nid,name,score\r\n1,"a\r\nb",1.5\r\n\r\n2,,2.5\r\n3,"",-1\r\n4,z,0'));
    put('headless/a.csv', 'x,1\ny,2\n\nz,3\n');
    put('crlf/a.csv', 'id,name\r\n1,"a\r\nb"\r\n2,c\r\n');
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    mkdirSync(join(root, 'events'), { recursive: true });
    await c.run(`COPY (SELECT i AS id, CAST(i * 1.25 AS DECIMAL(12,2)) AS price, TIMESTAMPTZ '2024-01-01 00:00:00.123456+00' + to_hours(i) AS seen_at,
      DATE '2024-01-01' + CAST(i AS INTEGER) AS day, i % 2 = 0 AS even, CASE WHEN i % 3 = 0 THEN NULL ELSE 'e' || i END AS label, CAST(i AS SMALLINT) AS small
      FROM range(1, 2001) r(i)) TO '${join(root, 'events/a.parquet')}' (FORMAT parquet)`);
    c.closeSync();
    instance.closeSync();
    for (const name of ['events/a.parquet'])
      utimesSync(join(root, name), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the same rows as the record path, with line numbers, partitions and exact types', async () => {
    const fast = join(dir, 'fast.duckdb');
    const slow = join(dir, 'slow.duckdb');
    const formats: string[] = [];
    // Every CSV as a csv-view (b.csv too: its exact decimal makes the destination's INSERT stop, and the destination
    // reads it through the files kit's record path), the keyed Parquet file through its view.
    expect(await load(fast, duckdb as unknown as Destination<never>, {}, formats)).toBe(8);
    expect(formats.filter((f) => f === 'csv-view')).toHaveLength(7);
    expect(formats.filter((f) => f === 'parquet-view')).toHaveLength(1);
    expect(await load(slow, recordsOnly)).toBe(0);
    // A destination that takes only Parquet copies gets the same rows; one without csv-view never receives it.
    const copy = join(dir, 'copy.duckdb');
    expect(await load(copy, { ...(duckdb as unknown as Destination<never>), loadsBatchFiles: ['parquet'] })).toBe(3);
    const viewless: string[] = [];
    const parquetViews = join(dir, 'parquet-views.duckdb');
    expect(
      await load(
        parquetViews,
        { ...(duckdb as unknown as Destination<never>), loadsBatchFiles: ['parquet', 'parquet-view'] },
        {},
        viewless,
      ),
    ).toBe(3);
    expect(viewless).toEqual(['parquet-view', 'parquet-view', 'parquet-view']);
    expect(await difference(parquetViews, slow, 'orders', `region, ${DATA}`)).toBe(0);
    for (const [table, columns] of [
      ['zipped', 'id, name, score'],
      ['zipkeyed', 'id, name, score'],
      ['crlfkeyed', 'id, name'],
    ] as const)
      for (const other of [fast, copy, parquetViews])
        expect(await difference(other, slow, table, `${columns}, _sdc_source_file, _sdc_source_lineno`), `${table} ${other}`).toBe(0);
    expect(await difference(fast, slow, 'zipped', 'id, name, score, _sdc_source_file, _sdc_source_lineno')).toBe(0);
    expect(await difference(fast, slow, 'zipkeyed', 'id, name, score, _sdc_source_file, _sdc_source_lineno')).toBe(0);
    expect(await difference(fast, slow, 'headless', 'word, n, _sdc_source_lineno')).toBe(0);
    expect(
      await query(`ATTACH '${fast}' AS f (READ_ONLY); SELECT id, name, score, _sdc_source_lineno AS line FROM f.zipped ORDER BY id`),
    ).toEqual([
      // csv-parse counts a CRLF inside a quoted value as two lines.
      { id: 1n, name: 'a\r\nb', score: 1.5, line: 5n },
      { id: 2n, name: null, score: 2.5, line: 7n },
      { id: 3n, name: '', score: -1, line: 8n },
      { id: 4n, name: 'z', score: 0, line: 9n },
    ]);
    expect(
      await query(`ATTACH '${fast}' AS f (READ_ONLY); SELECT word, n, _sdc_source_lineno AS line FROM f.headless ORDER BY word`),
    ).toEqual([
      { word: 'x', n: 1n, line: 1n },
      { word: 'y', n: 2n, line: 2n },
      { word: 'z', n: 3n, line: 4n },
    ]);
    for (const [table, columns] of [
      ['orders', `region, ${DATA}`],
      ['loose', 'id, amount, ratio, active, note, _sdc_source_file, _sdc_source_lineno, _sdc_source_last_modified'],
      ['events', 'id, price, seen_at, day, even, label, small, _sdc_source_file, _sdc_source_lineno'],
    ])
      expect(await difference(copy, slow, table as string, columns as string)).toBe(0);
    expect(await difference(fast, slow, 'orders', `region, ${DATA}`)).toBe(0);
    expect(await difference(fast, slow, 'single', 'word, _sdc_source_lineno')).toBe(0);
    expect(await difference(fast, slow, 'gaps', 'id, word, _sdc_source_lineno')).toBe(0);
    expect(await difference(fast, slow, 'loose', 'id, amount, ratio, active, note, _sdc_source_lineno')).toBe(0);
    expect(
      await query(
        `ATTACH '${fast}' AS f (READ_ONLY); SELECT id, amount, ratio::VARCHAR AS ratio, active, _sdc_source_lineno AS line FROM f.loose ORDER BY id`,
      ),
    ).toEqual([
      { id: -8n, amount: 1000, ratio: '-0.25', active: true, line: 4n },
      { id: 6n, amount: 8, ratio: '-0.0', active: true, line: 2n },
      { id: 7n, amount: 0.5, ratio: '5.0', active: false, line: 3n },
    ]);
    expect(await query(`ATTACH '${fast}' AS f (READ_ONLY); SELECT count(*)::INTEGER AS n FROM f.single`)).toEqual([{ n: 2 }]);
    expect(
      await difference(fast, slow, 'events', 'id, price, seen_at, day, even, label, small, _sdc_source_file, _sdc_source_lineno'),
    ).toBe(0);
    const rows = await query(
      `ATTACH '${fast}' AS f (READ_ONLY); SELECT id, amount::VARCHAR AS amount, note, active, _sdc_source_lineno AS line, region FROM f.orders ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1n, amount: '1.5', note: 'multi\nline, with "quotes"', active: true, line: 3n, region: 'eu' },
      { id: 2n, amount: null, note: '', active: false, line: 4n, region: 'eu' },
      { id: 3n, amount: '7.0', note: null, active: true, line: 5n, region: 'eu' },
      { id: 4n, amount: '-0.25', note: 'a\n\nb', active: false, line: 8n, region: 'eu' },
      { id: 5n, amount: '12345678901234567890.25', note: 'plain', active: true, line: 2n, region: 'us' },
    ]);
    const types = await query(
      `ATTACH '${fast}' AS f (READ_ONLY); SELECT column_name AS c, data_type AS t FROM duckdb_columns() WHERE database_name = 'f' AND table_name = 'events' AND column_name IN ('price', 'seen_at', 'day')`,
    );
    expect(types).toEqual([
      { c: 'price', t: 'DECIMAL(12,2)' },
      { c: 'seen_at', t: 'TIMESTAMP WITH TIME ZONE' },
      { c: 'day', t: 'DATE' },
    ]);
    // The run's BATCH files are gone.
    expect(readdirSync(batchDir)).toEqual([]);
  });

  it('loads a Parquet file through its view (linked, not copied): the same rows as the copy and the record path', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    mkdirSync(join(root, 'wide/region=eu'), { recursive: true });
    mkdirSync(join(root, 'blobs'), { recursive: true });
    // Every cast a view may ask for (integers of other widths, FLOAT, TIMESTAMP without a zone and in ns, TIME, UUID),
    // NULLs, text with a newline and quotes, a Hive partition; no key properties, so the INSERT goes straight in.
    await c.run(`COPY (SELECT CAST(i AS INTEGER) AS id, CAST(i AS HUGEINT) AS big, CAST(i / 8 AS FLOAT) AS f, i / 3 AS d,
      CAST(i * 2.5 AS DECIMAL(18,3)) AS price, TIMESTAMP '2024-05-01 10:00:00.123456' + to_seconds(i) AS local_at,
      CAST(TIMESTAMP '2024-05-01 10:00:00' AS TIMESTAMP_NS) + to_microseconds(i) AS ns_at, TIME '12:34:56.5' AS t,
      CAST('00000000-0000-0000-0000-' || lpad(CAST(i AS VARCHAR), 12, '0') AS UUID) AS u,
      CASE WHEN i % 4 = 0 THEN NULL ELSE 'w "' || i || E'"\n' END AS note, i % 2 = 1 AS odd, DATE '2024-02-28' + CAST(i AS INTEGER) AS day
      FROM range(1, 3001) r(i)) TO '${join(root, 'wide/region=eu/a.parquet')}' (FORMAT parquet, COMPRESSION zstd)`);
    // A BLOB (base64 in records): not a view's cast, so this file goes as a copy.
    await c.run(
      `COPY (SELECT i AS id, CAST('b' || i AS BLOB) AS payload FROM range(1, 11) r(i)) TO '${join(root, 'blobs/a.parquet')}' (FORMAT parquet)`,
    );
    c.closeSync();
    instance.closeSync();
    for (const name of ['wide/region=eu/a.parquet', 'blobs/a.parquet'])
      utimesSync(join(root, name), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const run = async (path: string, destination: Destination<never>, config: Record<string, unknown> = {}) => {
      const formats: string[] = [];
      const source = files as unknown as Source<never>;
      await runPipeline({
        pipelineId: 'batch-files-view',
        source: {
          ...source,
          async *read(...args: Parameters<Source<never>['read']>): AsyncGenerator<SourceMessage> {
            for await (const message of source.read(...args)) {
              if (message.type === 'BATCH') formats.push(message.encoding.format);
              yield message;
            }
          },
        },
        sourceConfig: {
          root,
          streams: [
            { name: 'wide', pattern: 'wide/**/*.parquet' },
            { name: 'blobs', pattern: 'blobs/*.parquet', key_properties: ['id'] },
          ],
        },
        destination,
        destinationConfig: { path, batch_dir: batchDir, ...config },
        streams: { wide: { replication_method: 'FULL_TABLE' }, blobs: { replication_method: 'FULL_TABLE' } },
        stateStore: new MemoryStateStore(),
        logger: silentLogger,
      });
      return formats;
    };
    const viewed = join(dir, 'view.duckdb');
    const copied = join(dir, 'view-copy.duckdb');
    const refused = join(dir, 'view-refused.duckdb');
    const records = join(dir, 'view-records.duckdb');
    expect(await run(viewed, duckdb as unknown as Destination<never>)).toEqual(['parquet-view', 'parquet']);
    expect(await run(copied, { ...(duckdb as unknown as Destination<never>), loadsBatchFiles: ['parquet'] })).toEqual([
      'parquet',
      'parquet',
    ]);
    // `strip` keeps the INSERT from loading the files (NUL characters are checked record by record): the view's rows
    // are read back as records, through the view, and staged.
    expect(await run(refused, duckdb as unknown as Destination<never>, { nul_characters: 'strip' })).toEqual(['parquet-view', 'parquet']);
    expect(await run(records, recordsOnly)).toEqual([]);
    const wide =
      'region, id, big, f, d, price, local_at, ns_at, t, u, note, odd, day, _sdc_source_file, _sdc_source_lineno, _sdc_source_last_modified';
    for (const other of [copied, refused, viewed]) {
      expect(await difference(other, records, 'wide', wide)).toBe(0);
      expect(await difference(other, records, 'blobs', 'id, payload, _sdc_source_lineno')).toBe(0);
    }
    expect(
      await query(`ATTACH '${viewed}' AS v (READ_ONLY); SELECT count(*)::INTEGER AS n, count(note)::INTEGER AS notes FROM v.wide`),
    ).toEqual([{ n: 3000, notes: 2250 }]);
    // The links are gone, the source's file stays.
    expect(readdirSync(batchDir)).toEqual([]);
    expect(readdirSync(join(root, 'wide/region=eu'))).toEqual(['a.parquet']);
  });

  it('sends records when fields are deselected or a transform sits between', async () => {
    const projected = join(dir, 'projected.duckdb');
    const batches = await load(projected, duckdb as unknown as Destination<never>, {
      streams: { orders: { replication_method: 'FULL_TABLE', fields: ['id', 'note'] }, events: { replication_method: 'FULL_TABLE' } },
    });
    expect(batches).toBe(0);
    const columns = await query(
      `ATTACH '${projected}' AS p (READ_ONLY); SELECT string_agg(column_name, ',' ORDER BY column_index) AS c FROM duckdb_columns() WHERE database_name = 'p' AND table_name = 'orders'`,
    );
    expect(String(columns[0]?.['c'])).not.toContain('amount');
    const transformed = join(dir, 'transformed.duckdb');
    expect(
      await load(transformed, duckdb as unknown as Destination<never>, { transforms: [{ stream_maps: { orders: { id2: 'id * 2' } } }] }),
    ).toBe(0);
    const doubled = await query(
      `ATTACH '${transformed}' AS t (READ_ONLY); SELECT sum(id2)::INTEGER AS s, count(*)::INTEGER AS n FROM t.orders`,
    );
    expect(doubled).toEqual([{ s: 30, n: 5 }]);
  });

  it('numbers a large CSV for the destination (its Parquet pieces when keyed), with the rows and line numbers of the record path', async () => {
    // 17 MiB (over 16): a BOM, quoted values holding newlines (two thirds of the line ends are inside quotes, so a cut
    // counting quotes wrongly lands inside one), doubled quotes, "" beside an unquoted empty field.
    const lines = ['\uFEFFid,amount,note,tag'];
    for (let i = 1; lines.length < 400_000; i++)
      lines.push(`${i},${(i % 997) / 4},"n ${i}\nsays ""hi"", then\n${i % 7}",${i % 5 === 0 ? '' : i % 5 === 1 ? '""' : `t${i % 11}`}`);
    put('big/a.csv', `${lines.join('\n')}\n`);
    const big = async (path: string, destination: Destination<never>, keyed: boolean) => {
      const manifests: number[] = [];
      const source = files as unknown as Source<never>;
      await runPipeline({
        pipelineId: 'batch-files-big',
        source: {
          ...source,
          async *read(...args: Parameters<Source<never>['read']>): AsyncGenerator<SourceMessage> {
            for await (const message of source.read(...args)) {
              if (message.type === 'BATCH') manifests.push(message.manifest.length);
              yield message;
            }
          },
        },
        sourceConfig: { root, streams: [{ name: 'big', pattern: 'big/*.csv', ...(keyed ? { key_properties: ['id'] } : {}) }] },
        destination,
        destinationConfig: { path, batch_dir: batchDir },
        stateStore: new MemoryStateStore(),
        logger: silentLogger,
      });
      return manifests;
    };
    const fast = join(dir, 'big-fast.duckdb');
    const keyed = join(dir, 'big-keyed.duckdb');
    const slow = join(dir, 'big-slow.duckdb');
    expect(await big(fast, duckdb as unknown as Destination<never>, false)).toEqual([1]);
    expect(await big(keyed, duckdb as unknown as Destination<never>, true)).toEqual([1]);
    expect(await big(slow, recordsOnly, false)).toEqual([]);
    const columns = 'id, amount, note, tag, _sdc_source_file, _sdc_source_lineno';
    expect(await difference(fast, slow, 'big', columns)).toBe(0);
    expect(await difference(keyed, slow, 'big', columns)).toBe(0);
    expect(
      await query(`ATTACH '${fast}' AS f (READ_ONLY); SELECT count(*)::INTEGER AS n, max(_sdc_source_lineno)::INTEGER AS last FROM f.big`),
    ).toEqual([{ n: 399_999, last: 1_199_998 }]);
    expect(readdirSync(batchDir)).toEqual([]);
  });

  it('leaves a value the record path refuses to the record path, which names its line', async () => {
    // DuckDB alone would read 1.5 and 1e3 as integers (rounded): the fast path must not.
    for (const [name, value] of [
      ['decimal', '1.5'],
      ['exponent', '1e3'],
      ['underscore', '1_000'],
    ]) {
      put(`bad-${name}/a.csv`, `id,n\n1,2\n2,${value}\n`);
      const { source } = counting();
      const run = runPipeline({
        pipelineId: 'batch-files-bad',
        source,
        sourceConfig: {
          root,
          streams: [
            {
              name: 'bad',
              pattern: `bad-${name}/*.csv`,
              schema: {
                type: 'object',
                properties: { id: { type: 'integer' }, n: { type: name === 'underscore' ? 'number' : 'integer' } },
              },
            },
          ],
        },
        destination: duckdb as unknown as Destination<never>,
        destinationConfig: { path: join(dir, `bad-${name}.duckdb`) },
        stateStore: new MemoryStateStore(),
        logger: silentLogger,
      });
      await expect(run).rejects.toThrow(new RegExp(`a\\.csv:3: "${value}" is not a valid (integer|number)`));
    }
  });
});
