// The SQL the dialect writes, as a golden file (test/golden/redshift-dialect.sql) reviewed against Redshift's
// documented syntax (links in its header), and its merge, ACTIVATE_VERSION and widening statements run through the
// Redshift stand-in (PostgreSQL behind the proxy that refuses what Redshift refuses), so the clauses do what they promise.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConflictMethod, JsonSchema } from '@mage-int/core';
import { standardMerge, type ColumnDefinition, type LoadColumn, type MergePlan, type StandardType } from '@mage-int/core/sql';
import { authorizationClause } from '@mage-int/redshift';
import { RedshiftDialect } from '../src/index.js';
import { standInConfig, type StandInSetup } from './stand-in.js';

const dialect = new RedshiftDialect('run1', (table, keys) =>
  table.name === 'orders' ? { distStyle: 'key', sortKeys: ['updated_at', ...keys] } : { distStyle: 'even' },
);
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
  field('score', { type: ['null', 'number'], 'sql-datatype': 'double precision' }),
  field('updated_at', { type: ['null', 'string'], format: 'date-time' }),
  field('local_at', { type: ['null', 'string'], format: 'date-time', 'sql-datatype': 'timestamp without time zone' }),
  field('day', { type: ['null', 'string'], format: 'date' }),
  field('tags', { type: 'array', items: { type: 'string' } }),
  field('attrs', { type: ['null', 'object'] }),
  field('blob', { type: ['null', 'string'], contentEncoding: 'base64' }),
  field('ok', { type: ['null', 'boolean'] }),
  field('select', { type: ['null', 'string'] }),
];
const plan = (method: ConflictMethod, extra: Partial<MergePlan> = {}): MergePlan => ({
  target: table,
  staging,
  columns: ['id', 'region', 'amount', 'attrs'],
  keys: ['id', 'region'],
  method,
  uniqueKey: false,
  hardDelete: false,
  ...extra,
});
const type = (dataType: string, length?: number, precision?: number, scale?: number) =>
  dialect.catalogType(dataType, length, precision, scale);
dialect.remember(
  table,
  new Map([
    ['id', type('bigint')],
    ['region', type('character varying', 65535)],
    ['amount', type('numeric', null as never, 38, 2)],
    ['attrs', type('super')],
    ['blob', type('varbyte')],
  ]),
);
const loadColumns: LoadColumn<StandardType>[] = [
  ...columns.slice(0, 3),
  columns[10] as ColumnDefinition<StandardType>,
  { name: '_mage_seq', type: 'sequence' },
  { name: '_mage_deleted', type: 'deleted' },
];

/** Each case: a name and its statements. */
const cases: [string, string[]][] = [
  ['create schema', dialect.createSchema('raw')],
  ['create table: keyed, DISTKEY and COMPOUND SORTKEY', dialect.createTable(table, columns, ['id', 'region'])],
  ['create table: keyless, DISTSTYLE EVEN', dialect.createTable({ schema: 'raw', name: 'events' }, columns.slice(0, 3), [])],
  ['add column', dialect.addColumn(table, field('note', { type: ['null', 'string'] }))],
  ['widen: BIGINT to NUMERIC(38,2)', dialect.alterColumnType(table, 'id', type('bigint'), type('numeric', undefined, 38, 2))],
  ['widen: BOOLEAN to VARCHAR', dialect.alterColumnType(table, 'ok', type('boolean'), dialect.typeOf('string'))],
  ['widen: BIGINT to SUPER', dialect.alterColumnType(table, 'region', type('bigint'), type('super'))],
  [
    'widen: VARCHAR(256) to VARCHAR(65535) in place',
    dialect.alterColumnType(table, 'region', type('character varying', 256), dialect.typeOf('string')),
  ],
  [
    'create staging (temporary; SUPER staged as text; load order and delete flag)',
    dialect.createStaging(staging, table, ['id', 'region', 'amount', 'attrs']),
  ],
  [
    'copy into staging (IAM role)',
    [
      dialect.copyFromS3(
        staging,
        loadColumns.map((c) => c.name),
        `s3://my-bucket/loads/mage-int-redshift/run/${staging.name}-1.csv.gz`,
        authorizationClause({ iamRole: 'arn:aws:iam::123456789012:role/RedshiftCopy' }),
        'us-east-1',
      ),
    ],
  ],
  ['copy authorization: access keys', [authorizationClause({ accessKeyId: 'AKIA…', secretAccessKey: 'secret', sessionToken: 'token' })]],
  ['merge: upsert', dialect.merge(plan('upsert'))],
  ['merge: upsert with hard delete', dialect.merge(plan('upsert', { hardDelete: true }))],
  ['merge: update_only', dialect.merge(plan('update_only'))],
  ['merge: update_only with hard delete', dialect.merge(plan('update_only', { hardDelete: true }))],
  ['merge: ignore', dialect.merge(plan('ignore'))],
  ['merge: ignore with hard delete', dialect.merge(plan('ignore', { hardDelete: true }))],
  ['merge: append', dialect.merge(plan('append'))],
  ['activate version: hard', dialect.activateVersion(table, 1700000000000, true)],
  ['activate version: soft', dialect.activateVersion(table, 1700000000000, false)],
  ['drop staging', dialect.dropStaging(staging)],
];

function render(): string {
  const path = new URL('./golden/redshift-dialect.sql', import.meta.url);
  const header = readFileSync(path, 'utf8').split('\n-- case: ')[0] as string;
  return `${header.trimEnd()}\n${cases.map(([name, statements]) => `\n-- case: ${name}\n${statements.map((s) => `${s};\n`).join('')}`).join('')}`;
}

describe('RedshiftDialect', () => {
  it('writes the DDL and DML of test/golden/redshift-dialect.sql (UPDATE_GOLDEN=1 rewrites it for review)', () => {
    const path = new URL('./golden/redshift-dialect.sql', import.meta.url);
    const text = render();
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, text);
    expect(text).toBe(readFileSync(path, 'utf8'));
  });

  it('maps types: BIGINT, NUMERIC(38,s) by the declared scale (else 9), VARCHAR(65535), TIMESTAMPTZ, SUPER, VARBYTE', () => {
    const sql = (schema: JsonSchema, interpretContentEncoding = false) => dialect.columnType(schema, { interpretContentEncoding }).sql;
    expect(sql({ type: 'integer' })).toBe('BIGINT');
    expect(sql({ type: 'number', multipleOf: 0.01 })).toBe('NUMERIC(38,2)');
    expect(sql({ type: 'number' })).toBe('NUMERIC(38,9)');
    expect(sql({ type: 'number', 'sql-datatype': 'numeric(20,4)' })).toBe('NUMERIC(38,4)');
    expect(sql({ type: 'number', multipleOf: 1e-40 })).toBe('NUMERIC(38,37)');
    expect(sql({ type: 'number', 'sql-datatype': 'double precision' })).toBe('DOUBLE PRECISION');
    expect(sql({ type: 'string' })).toBe('VARCHAR(65535)');
    expect(sql({ type: 'string', format: 'date-time' })).toBe('TIMESTAMPTZ');
    expect(sql({ type: 'string', format: 'date-time', 'sql-datatype': 'timestamp without time zone' })).toBe('TIMESTAMP');
    expect(sql({ type: 'object' })).toBe('SUPER');
    expect(sql({ type: 'array', items: { type: 'integer' }, 'sql-datatype': 'integer[]' })).toBe('SUPER');
    expect(sql({ type: 'string', contentEncoding: 'base64' })).toBe('VARBYTE');
    expect(sql({ type: 'string', contentEncoding: 'base16' })).toBe('VARCHAR(65535)');
    expect(sql({ type: 'string', contentEncoding: 'base16' }, true)).toBe('VARBYTE');
    // What SVV_COLUMNS reports reads back as the same type (no widening on the next run).
    expect(dialect.sameType(type('numeric', undefined, 38, 2), dialect.columnType({ type: 'number', multipleOf: 0.01 }, {}))).toBe(true);
    expect(dialect.sameType(type('character varying', 65535), dialect.columnType({ type: 'string' }, {}))).toBe(true);
    expect(dialect.sameType(type('timestamp with time zone'), dialect.columnType({ type: 'string', format: 'date-time' }, {}))).toBe(true);
    expect(dialect.sameType(type('super'), dialect.columnType({ type: 'object' }, {}))).toBe(true);
    expect(dialect.widen(type('bigint'), type('numeric', undefined, 38, 2)).sql).toBe('NUMERIC(38,2)');
    expect(dialect.widen(type('numeric', undefined, 38, 4), type('numeric', undefined, 38, 2)).sql).toBe('NUMERIC(38,4)');
    expect(dialect.widen(type('character varying', 256), dialect.typeOf('string')).sql).toBe('VARCHAR(65535)');
  });

  it('quotes names lower-cased as the kit names them, and literals with quotes doubled (backslashes refused)', () => {
    expect(dialect.qualify({ schema: 'raw', name: 'select' })).toBe('"raw"."select"');
    expect(dialect.qualify(staging)).toBe('"mage_stage_run1_1"');
    expect(dialect.quoteLiteral("it's")).toBe("'it''s'");
    expect(() => dialect.quoteLiteral('a\\b')).toThrow(/backslash/);
    expect(dialect.identifiers).toEqual({ maxBytes: 127, lowercase: true });
  });
});

describe('RedshiftDialect statements on the stand-in', () => {
  let setup: StandInSetup;
  beforeAll(async () => {
    setup = await standInConfig();
  });
  afterAll(() => setup.close());

  it('merge, ACTIVATE_VERSION and widening do what they promise (the statements of the golden file)', async () => {
    const pg = (await import('pg')).default;
    const client = new pg.Client({
      host: setup.standIn.host,
      port: setup.standIn.port,
      database: setup.standIn.database,
      user: setup.standIn.user,
    });
    await client.connect();
    const rows = async () =>
      (await client.query('SELECT id, region, amount, JSON_SERIALIZE(attrs) AS attrs FROM raw.orders ORDER BY id, region')).rows.map((r) =>
        Object.values(r).join('|'),
      );
    const reset = async () => {
      await client.query('DROP TABLE IF EXISTS raw.orders');
      await client.query(
        'CREATE TABLE raw.orders (id BIGINT NOT NULL, region VARCHAR(65535) NOT NULL, amount NUMERIC(38,2), attrs SUPER, PRIMARY KEY (id, region))',
      );
      await client.query(`INSERT INTO raw.orders VALUES (1, 'eu', 1, JSON_PARSE('{"v":1}')), (2, 'us', 2, NULL)`);
      for (const sql of dialect.createStaging(staging, table, ['id', 'region', 'amount', 'attrs'])) await client.query(sql);
      // key (1, eu) twice: the later row wins; (2, us) deleted; (3, eu) new.
      await client.query(
        `INSERT INTO mage_stage_run1_1 VALUES (1, 'eu', 10, '{"v":10}', 1, NULL), (1, 'eu', 11, '{"v":11}', 2, NULL), (2, 'us', 20, NULL, 3, TRUE), (3, 'eu', 30, '[3]', 4, NULL)`,
      );
    };
    const run = async (p: MergePlan) => {
      await reset();
      for (const sql of dialect.merge(p)) await client.query(sql);
      return rows();
    };
    try {
      await client.query('CREATE SCHEMA raw');
      expect(await run(plan('upsert'))).toEqual(['1|eu|11.00|{"v": 11}', '2|us|20.00|', '3|eu|30.00|[3]']);
      expect(await run(plan('upsert', { hardDelete: true }))).toEqual(['1|eu|11.00|{"v": 11}', '3|eu|30.00|[3]']);
      expect(await run(plan('update_only'))).toEqual(['1|eu|11.00|{"v": 11}', '2|us|20.00|']);
      expect(await run(plan('update_only', { hardDelete: true }))).toEqual(['1|eu|11.00|{"v": 11}']);
      expect(await run(plan('ignore'))).toEqual(['1|eu|1.00|{"v": 1}', '2|us|2.00|', '3|eu|30.00|[3]']);
      expect(await run(plan('ignore', { hardDelete: true }))).toEqual(['1|eu|1.00|{"v": 1}', '3|eu|30.00|[3]']);
      expect(await run(plan('append'))).toHaveLength(6);
      await reset();
      await client.query('ALTER TABLE raw.orders ADD COLUMN _sdc_table_version BIGINT');
      await client.query('ALTER TABLE raw.orders ADD COLUMN _sdc_deleted_at TIMESTAMPTZ');
      await client.query('UPDATE raw.orders SET _sdc_table_version = 5 WHERE id = 2');
      for (const sql of dialect.activateVersion(table, 5, false)) await client.query(sql);
      expect((await client.query('SELECT id FROM raw.orders WHERE _sdc_deleted_at IS NOT NULL')).rows).toEqual([{ id: '1' }]);
      for (const sql of dialect.activateVersion(table, 5, true)) await client.query(sql);
      expect(await rows()).toEqual(['2|us|2.00|']);
      // widening keeps values: BIGINT → SUPER (a SUPER number), BOOLEAN → VARCHAR ('true'/'false')
      await client.query('ALTER TABLE raw.orders ADD COLUMN ok BOOLEAN');
      await client.query('UPDATE raw.orders SET ok = FALSE');
      for (const sql of dialect.alterColumnType(table, 'ok', type('boolean'), dialect.typeOf('string'))) await client.query(sql);
      for (const sql of dialect.alterColumnType(table, 'id', type('bigint'), type('super'))) await client.query(sql);
      expect((await client.query('SELECT JSON_SERIALIZE(id) AS id, ok FROM raw.orders')).rows).toEqual([{ id: '2', ok: 'false' }]);
      // what Redshift refuses, the stand-in refuses too
      await expect(client.query('INSERT INTO raw.orders (id, region) VALUES (1, $$x$$) ON CONFLICT DO NOTHING')).rejects.toThrow(
        /ON CONFLICT/,
      );
      await expect(client.query('CREATE TABLE raw.a (x INTEGER[])')).rejects.toThrow(/array types/);
      await expect(client.query('ALTER TABLE raw.orders ADD COLUMN IF NOT EXISTS y BIGINT')).rejects.toThrow(/IF NOT EXISTS/);
      // The SQL kit's standard MERGE (conditional WHEN MATCHED, a subquery source) is what Redshift refuses: the
      // dialect's DELETE + INSERT is needed, not a style choice.
      await reset();
      const [standard] = standardMerge(dialect, plan('upsert', { hardDelete: true }));
      await expect(client.query(standard as string)).rejects.toThrow(/MERGE takes a table as its source/);
      await expect(
        client.query(
          `MERGE INTO raw.orders USING mage_stage_run1_1 s ON orders.id = s.id WHEN MATCHED AND s._mage_deleted THEN DELETE WHEN NOT MATCHED THEN INSERT (id, region) VALUES (s.id, s.region)`,
        ),
      ).rejects.toThrow(/no conditions/);
      // Redshift's own form passes (one source row per key: the duplicate of (1, eu) removed first).
      await client.query('DELETE FROM mage_stage_run1_1 WHERE _mage_seq = 1');
      await client.query(
        `MERGE INTO raw.orders USING mage_stage_run1_1 s ON orders.id = s.id AND orders.region = s.region WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT (id, region) VALUES (s.id, s.region)`,
      );
    } finally {
      await client.end();
    }
  });
});
