// The SQL the dialect writes, as golden files (test/golden/*.sql) reviewed against BigQuery's documented syntax (links
// in each file's header), and its MERGE statements run on DuckDB, whose MERGE shares BigQuery's form: only the
// quoting differs (backticks there, double quotes here), so the same clauses are shown to do what they promise.
import { readFileSync, writeFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import type { ConflictMethod, JsonSchema } from '@mage-int/core';
import type { ColumnDefinition, MergePlan, StandardType } from '@mage-int/core/sql';
import { BigQueryDialect } from '../src/index.js';

const dialect = new BigQueryDialect({ partitionBy: 'updated_at', partitionGranularity: 'DAY', clusterByKey: true }, 'run1');
const plain = new BigQueryDialect({}, 'run1');
const table = { schema: 'raw', name: 'orders' };
const staging = plain.stagingTable(table, 1);

const field = (name: string, schema: JsonSchema): ColumnDefinition<StandardType> => ({
  name,
  type: dialect.columnType(schema, { interpretContentEncoding: false }),
});
const columns = [
  field('id', { type: 'integer' }),
  field('region', { type: 'string' }),
  field('amount', { type: ['null', 'number'], multipleOf: 0.01, 'x-precision': 12 }),
  field('ratio', { type: ['null', 'number'] }),
  field('price', { type: ['null', 'number'], 'sql-datatype': 'numeric(40,2)' }),
  field('updated_at', { type: ['null', 'string'], format: 'date-time' }),
  field('local_at', { type: ['null', 'string'], format: 'date-time', 'sql-datatype': 'timestamp without time zone' }),
  field('day', { type: ['null', 'string'], format: 'date' }),
  field('tags', { type: 'array', items: { type: 'string' } }),
  field('scores', { type: ['null', 'array'], items: { type: 'integer' } }),
  field('attrs', { type: ['null', 'object'] }),
  field('blob', { type: ['null', 'string'], contentEncoding: 'base64' }),
  field('ok', { type: ['null', 'boolean'] }),
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

/** Each case: a name and its statements. */
const cases: [string, string[]][] = [
  ['create table: keyed, partitioned by a TIMESTAMP, clustered on the key', dialect.createTable(table, columns, ['id', 'region'])],
  ['create table: keyless, no options', plain.createTable({ schema: 'raw', name: 'events' }, columns.slice(0, 3), [])],
  ['add column', plain.addColumn(table, field('note', { type: ['null', 'string'] }))],
  ['widen in place: INT64 to BIGNUMERIC', plain.alterColumnType(table, 'id', plain.fieldType('INT64'), plain.fieldType('BIGNUMERIC'))],
  ['widen through a copy: BOOL to STRING', plain.alterColumnType(table, 'ok', plain.fieldType('BOOL'), plain.fieldType('STRING'))],
  ['widen through a copy: INT64 to JSON', plain.alterColumnType(table, 'region', plain.fieldType('INT64'), plain.fieldType('JSON'))],
  ['merge: upsert', plain.merge(plan('upsert'))],
  ['merge: upsert with hard delete', plain.merge(plan('upsert', { hardDelete: true }))],
  ['merge: update_only', plain.merge(plan('update_only'))],
  ['merge: ignore', plain.merge(plan('ignore'))],
  ['merge: append', plain.merge(plan('append'))],
  ['activate version: hard', plain.activateVersion(table, 1700000000000, true)],
  ['activate version: soft', plain.activateVersion(table, 1700000000000, false)],
  ['drop staging', plain.dropStaging(staging)],
];

function render(): string {
  const header = readFileSync(new URL('./golden/bigquery-dialect.sql', import.meta.url), 'utf8').split('\n-- case: ')[0] as string;
  return `${header}${cases.map(([name, statements]) => `\n-- case: ${name}\n${statements.map((s) => `${s};\n`).join('')}`).join('')}`;
}

describe('BigQueryDialect', () => {
  it('writes the DDL and DML of test/golden/bigquery-dialect.sql (UPDATE_GOLDEN=1 rewrites it for review)', () => {
    const path = new URL('./golden/bigquery-dialect.sql', import.meta.url);
    const text = render();
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, text);
    expect(text).toBe(readFileSync(path, 'utf8'));
  });

  it('maps types: NUMERIC only where the precision fits, BIGNUMERIC otherwise, REPEATED only for never-null scalar arrays', () => {
    const sql = (schema: JsonSchema) => dialect.columnType(schema, { interpretContentEncoding: false }).sql;
    expect(sql({ type: 'number', multipleOf: 0.01, 'x-precision': 12 })).toBe('NUMERIC');
    // Unknown precision: BIGNUMERIC, which holds any scale ≤ 38 (NUMERIC would refuse a 30-digit integer part).
    expect(sql({ type: 'number', multipleOf: 0.01 })).toBe('BIGNUMERIC');
    expect(sql({ type: 'number', multipleOf: 1e-10 })).toBe('BIGNUMERIC');
    expect(sql({ type: 'number', 'sql-datatype': 'numeric(38,9)' })).toBe('NUMERIC');
    expect(sql({ type: 'number', 'sql-datatype': 'numeric(39,9)' })).toBe('BIGNUMERIC');
    expect(sql({ type: 'number' })).toBe('BIGNUMERIC');
    expect(sql({ type: 'array', items: { type: 'integer' } })).toBe('ARRAY<INT64>');
    expect(sql({ type: ['null', 'array'], items: { type: 'integer' } })).toBe('JSON');
    expect(sql({ type: 'array', items: { type: ['null', 'integer'] } })).toBe('JSON');
    expect(sql({ type: 'array', items: { type: 'array', items: { type: 'integer' } } })).toBe('JSON');
    expect(sql({ type: 'string', format: 'date-time' })).toBe('TIMESTAMP');
    expect(dialect.widen(dialect.fieldType('NUMERIC'), dialect.columnType({ type: 'number' }, {})).sql).toBe('BIGNUMERIC');
    expect(dialect.widen(dialect.fieldType('INT64'), dialect.columnType({ type: 'number' }, {})).sql).toBe('BIGNUMERIC');
    expect(dialect.widen(dialect.fieldType('FLOAT64'), dialect.columnType({ type: 'integer' }, {})).sql).toBe('FLOAT64');
  });

  it('quotes names and literals as GoogleSQL does (backslash escapes)', () => {
    expect(plain.quoteIdentifier('we`ird\\name')).toBe('`we\\`ird\\\\name`');
    expect(plain.quoteLiteral("it's\na \\ test")).toBe("'it\\'s\\na \\\\ test'");
  });

  it('MERGE statements do on DuckDB what they promise (the same statements, double-quoted names)', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const duck = (sql: string) => sql.replace(/`((?:[^`\\]|\\.)*)`/g, (_m, name: string) => `"${name.replace(/\\(.)/g, '$1')}"`);
    const rows = async () =>
      (await db.runAndReadAll('SELECT id, region, amount FROM raw.orders ORDER BY id, region'))
        .getRowObjectsJson()
        .map((r) => Object.values(r).join('|'));
    const reset = async () => {
      await db.run('DROP TABLE IF EXISTS raw.orders');
      await db.run('CREATE TABLE raw.orders (id BIGINT NOT NULL, region VARCHAR NOT NULL, amount DECIMAL(38,9))');
      await db.run("INSERT INTO raw.orders VALUES (1, 'eu', 1), (2, 'us', 2)");
      await db.run(`DROP TABLE IF EXISTS raw."${staging.name}"`);
      await db.run(
        `CREATE TABLE raw."${staging.name}" (id BIGINT, region VARCHAR, amount DECIMAL(38,9), _mage_seq BIGINT, _mage_deleted BOOLEAN)`,
      );
      // key (1, eu) twice: the later row wins; (2, us) deleted; (3, eu) new.
      await db.run(
        `INSERT INTO raw."${staging.name}" VALUES (1, 'eu', 10, 1, NULL), (1, 'eu', 11, 2, NULL), (2, 'us', 20, 3, TRUE), (3, 'eu', 30, 4, NULL)`,
      );
    };
    await db.run('CREATE SCHEMA raw');
    const run = async (p: MergePlan) => {
      await reset();
      for (const sql of plain.merge(p)) await db.run(duck(sql));
      return rows();
    };
    try {
      expect(await run(plan('upsert'))).toEqual(['1|eu|11.000000000', '2|us|20.000000000', '3|eu|30.000000000']);
      expect(await run(plan('upsert', { hardDelete: true }))).toEqual(['1|eu|11.000000000', '3|eu|30.000000000']);
      expect(await run(plan('update_only'))).toEqual(['1|eu|11.000000000', '2|us|20.000000000']);
      expect(await run(plan('ignore'))).toEqual(['1|eu|1.000000000', '2|us|2.000000000', '3|eu|30.000000000']);
      expect(await run(plan('append'))).toHaveLength(6);
      await reset();
      await db.run('ALTER TABLE raw.orders ADD COLUMN _sdc_table_version BIGINT');
      await db.run('ALTER TABLE raw.orders ADD COLUMN _sdc_deleted_at TIMESTAMPTZ');
      await db.run('UPDATE raw.orders SET _sdc_table_version = 5 WHERE id = 2');
      for (const sql of plain.activateVersion(table, 5, false)) await db.run(duck(sql).replace('CURRENT_TIMESTAMP()', 'CURRENT_TIMESTAMP'));
      const soft = await db.runAndReadAll('SELECT id FROM raw.orders WHERE _sdc_deleted_at IS NOT NULL');
      expect(soft.getRowObjectsJson()).toEqual([{ id: '1' }]);
      for (const sql of plain.activateVersion(table, 5, true)) await db.run(duck(sql));
      expect(await rows()).toEqual(['2|us|2.000000000']);
    } finally {
      db.closeSync();
      instance.closeSync();
    }
  });
});
