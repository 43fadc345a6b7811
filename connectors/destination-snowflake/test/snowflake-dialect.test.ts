// The SQL the dialect writes, as a golden file (test/golden/snowflake-dialect.sql) reviewed against Snowflake's
// documented syntax (links in its header), and its MERGE and ACTIVATE_VERSION statements run on DuckDB, whose MERGE
// shares Snowflake's form (double-quoted names alike), so the clauses are shown to do what they promise.
import { readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import type { ConflictMethod, JsonSchema } from '@mage-int/core';
import type { ColumnDefinition, LoadColumn, MergePlan, StandardType } from '@mage-int/core/sql';
import { SnowflakeDialect } from '../src/index.js';

const dialect = new SnowflakeDialect('run1');
const table = { schema: 'raw', name: 'orders' };
const staging = dialect.stagingTable(table, 1);

const field = (name: string, schema: JsonSchema): ColumnDefinition<StandardType> => ({
  name,
  type: dialect.columnType(schema, { interpretContentEncoding: false }),
});
const columns = [
  field('id', { type: 'integer' }),
  field('region', { type: 'string' }),
  field('amount', { type: ['null', 'number'], multipleOf: 0.01 }),
  field('ratio', { type: ['null', 'number'] }),
  field('price', { type: ['null', 'number'], 'sql-datatype': 'numeric(40,2)' }),
  field('updated_at', { type: ['null', 'string'], format: 'date-time' }),
  field('local_at', { type: ['null', 'string'], format: 'date-time', 'sql-datatype': 'timestamp without time zone' }),
  field('day', { type: ['null', 'string'], format: 'date' }),
  field('tags', { type: 'array', items: { type: 'string' } }),
  field('attrs', { type: ['null', 'object'] }),
  field('blob', { type: ['null', 'string'], contentEncoding: 'base64' }),
  field('ok', { type: ['null', 'boolean'] }),
  field('select', { type: ['null', 'string'] }),
];
const loadColumns: LoadColumn<StandardType>[] = [
  ...columns.slice(0, 3),
  columns[9] as ColumnDefinition<StandardType>,
  { name: '_mage_seq', type: 'sequence' },
  { name: '_mage_deleted', type: 'deleted' },
];
const plan = (method: ConflictMethod, extra: Partial<MergePlan> = {}): MergePlan => ({
  target: table,
  staging,
  columns: ['id', 'region', 'amount'],
  keys: ['id', 'region'],
  method,
  uniqueKey: false,
  hardDelete: false,
  ...extra,
});
const number = (sql: string) => dialect.catalogType(sql);

/** Each case: a name and its statements. */
const cases: [string, string[]][] = [
  ['create schema', dialect.createSchema('raw')],
  ['create table: keyed', dialect.createTable(table, columns, ['id', 'region'])],
  ['create table: keyless', dialect.createTable({ schema: 'raw', name: 'events' }, columns.slice(0, 3), [])],
  ['add column', dialect.addColumn(table, field('note', { type: ['null', 'string'] }))],
  [
    'widen: NUMBER(38,0) to NUMBER(38,2) (a scale cannot change in place)',
    dialect.alterColumnType(table, 'id', number('NUMBER(38,0)'), number('NUMBER(38,2)')),
  ],
  ['widen: BOOLEAN to VARCHAR', dialect.alterColumnType(table, 'ok', number('BOOLEAN'), number('VARCHAR'))],
  ['widen: NUMBER(38,0) to VARIANT', dialect.alterColumnType(table, 'region', number('NUMBER(38,0)'), number('VARIANT'))],
  [
    'create staging (temporary, the staged columns, load order and delete flag)',
    dialect.createStaging(staging, table, ['id', 'region', 'amount', 'attrs']),
  ],
  ['put to the table stage', [dialect.put('/tmp/mage-int-snowflake-x/rows.csv.gz', dialect.tableStage(staging))]],
  ['copy into staging', [dialect.copyInto(staging, loadColumns, dialect.tableStage(staging), 'rows.csv.gz')]],
  ['merge: upsert', dialect.merge(plan('upsert'))],
  ['merge: upsert with hard delete', dialect.merge(plan('upsert', { hardDelete: true }))],
  ['merge: update_only', dialect.merge(plan('update_only'))],
  ['merge: ignore', dialect.merge(plan('ignore'))],
  ['merge: append', dialect.merge(plan('append'))],
  ['activate version: hard', dialect.activateVersion(table, 1700000000000, true)],
  ['activate version: soft', dialect.activateVersion(table, 1700000000000, false)],
  ['drop staging', dialect.dropStaging(staging)],
];

function render(): string {
  const header = readFileSync(new URL('./golden/snowflake-dialect.sql', import.meta.url), 'utf8').split('\n-- case: ')[0] as string;
  return `${header}${cases.map(([name, statements]) => `\n-- case: ${name}\n${statements.map((s) => `${s};\n`).join('')}`).join('')}`;
}

describe('SnowflakeDialect', () => {
  it('writes the DDL and DML of test/golden/snowflake-dialect.sql (UPDATE_GOLDEN=1 rewrites it for review)', () => {
    const path = new URL('./golden/snowflake-dialect.sql', import.meta.url);
    const text = render();
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, text);
    expect(text).toBe(readFileSync(path, 'utf8'));
  });

  it('maps types: NUMBER(38,s) by the declared scale (else 9), TIMESTAMP_TZ/NTZ, VARIANT, BINARY', () => {
    const sql = (schema: JsonSchema) => dialect.columnType(schema, { interpretContentEncoding: false }).sql;
    expect(sql({ type: 'integer' })).toBe('NUMBER(38,0)');
    expect(sql({ type: 'number', multipleOf: 0.01 })).toBe('NUMBER(38,2)');
    expect(sql({ type: 'number' })).toBe('NUMBER(38,9)');
    expect(sql({ type: 'number', 'sql-datatype': 'numeric(20,4)' })).toBe('NUMBER(38,4)');
    expect(sql({ type: 'number', multipleOf: 1e-40 })).toBe('NUMBER(38,37)');
    expect(sql({ type: 'string', format: 'date-time' })).toBe('TIMESTAMP_TZ(9)');
    expect(sql({ type: 'object' })).toBe('VARIANT');
    expect(sql({ type: 'string', contentEncoding: 'base64' })).toBe('BINARY');
    expect(sql({ type: 'string', contentEncoding: 'base16' })).toBe('VARCHAR');
    expect(dialect.columnType({ type: 'string', contentEncoding: 'base16' }, { interpretContentEncoding: true }).sql).toBe('BINARY');
    // What DESCRIBE TABLE reports reads back as the same type (no widening on the next run).
    for (const type of [
      'NUMBER(38,0)',
      'NUMBER(38,2)',
      'TIMESTAMP_TZ(9)',
      'TIMESTAMP_NTZ(9)',
      'VARIANT',
      'BINARY(8388608)',
      'VARCHAR(16777216)',
    ])
      expect(dialect.sameType(dialect.catalogType(type), dialect.catalogType(type.replace(/\(8388608\)|\(16777216\)/, '')))).toBe(true);
    expect(dialect.widen(number('NUMBER(38,0)'), number('NUMBER(38,2)')).sql).toBe('NUMBER(38,2)');
    expect(dialect.widen(number('NUMBER(38,4)'), number('NUMBER(38,2)')).sql).toBe('NUMBER(38,4)');
  });

  it('quotes names upper-cased (what Snowflake makes of an unquoted name) and literals with backslashes doubled', () => {
    expect(dialect.quoteIdentifier('order items "x"')).toBe('"ORDER ITEMS ""X"""');
    expect(dialect.qualify({ schema: 'raw', name: 'select' })).toBe('"RAW"."SELECT"');
    // Lower-casing the catalog's name gives the kit's name back: ß has no one-character upper case, so it stays.
    expect(dialect.quoteIdentifier('naïve_ünïcode_straße')).toBe('"NAÏVE_ÜNÏCODE_STRAßE"');
    expect(dialect.quoteLiteral("it's a \\ test")).toBe("'it''s a \\\\ test'");
  });

  it('MERGE and ACTIVATE_VERSION statements do on DuckDB what they promise (the same statements)', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const rows = async () =>
      (await db.runAndReadAll('SELECT id, region, amount FROM raw.orders ORDER BY id, region'))
        .getRowObjectsJson()
        .map((r) => Object.values(r).join('|'));
    const reset = async () => {
      await db.run('DROP TABLE IF EXISTS raw.orders');
      await db.run('CREATE TABLE raw.orders (id BIGINT NOT NULL, region VARCHAR NOT NULL, amount DECIMAL(38,2))');
      await db.run("INSERT INTO raw.orders VALUES (1, 'eu', 1), (2, 'us', 2)");
      await db.run(`DROP TABLE IF EXISTS raw."${staging.name.toUpperCase()}"`);
      await db.run(
        `CREATE TABLE raw."${staging.name.toUpperCase()}" (id BIGINT, region VARCHAR, amount DECIMAL(38,2), _mage_seq BIGINT, _mage_deleted BOOLEAN)`,
      );
      // key (1, eu) twice: the later row wins; (2, us) deleted; (3, eu) new.
      await db.run(
        `INSERT INTO raw."${staging.name.toUpperCase()}" VALUES (1, 'eu', 10, 1, NULL), (1, 'eu', 11, 2, NULL), (2, 'us', 20, 3, TRUE), (3, 'eu', 30, 4, NULL)`,
      );
    };
    await db.run('CREATE SCHEMA raw');
    const run = async (p: MergePlan) => {
      await reset();
      for (const sql of dialect.merge(p)) await db.run(sql);
      return rows();
    };
    try {
      expect(await run(plan('upsert'))).toEqual(['1|eu|11.00', '2|us|20.00', '3|eu|30.00']);
      expect(await run(plan('upsert', { hardDelete: true }))).toEqual(['1|eu|11.00', '3|eu|30.00']);
      expect(await run(plan('update_only'))).toEqual(['1|eu|11.00', '2|us|20.00']);
      expect(await run(plan('ignore'))).toEqual(['1|eu|1.00', '2|us|2.00', '3|eu|30.00']);
      expect(await run(plan('append'))).toHaveLength(6);
      await reset();
      await db.run('ALTER TABLE raw.orders ADD COLUMN _sdc_table_version BIGINT');
      await db.run('ALTER TABLE raw.orders ADD COLUMN _sdc_deleted_at TIMESTAMPTZ');
      await db.run('UPDATE raw.orders SET _sdc_table_version = 5 WHERE id = 2');
      for (const sql of dialect.activateVersion(table, 5, false)) await db.run(sql);
      const soft = await db.runAndReadAll('SELECT id FROM raw.orders WHERE _sdc_deleted_at IS NOT NULL');
      expect(soft.getRowObjectsJson()).toEqual([{ id: '1' }]);
      for (const sql of dialect.activateVersion(table, 5, true)) await db.run(sql);
      expect(await rows()).toEqual(['2|us|2.00']);
    } finally {
      db.closeSync();
      instance.closeSync();
    }
  });
});
