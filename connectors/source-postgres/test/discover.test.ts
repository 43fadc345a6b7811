import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMetadata, silentLogger, type CatalogStream, type DiscoverProgress } from '@mage-int/core';
import postgres, { PostgreSQL } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`
    CREATE SCHEMA other;
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE DOMAIN positive_price AS numeric(10,2) CHECK (VALUE > 0);
    CREATE TABLE items (
      id bigint PRIMARY KEY, name varchar(40) NOT NULL, price numeric(12,3), ratio double precision, mood mood,
      cost positive_price, tags text[], doc jsonb, created_at timestamptz, updated date, blob bytea, uid uuid,
      span interval, addr inet, during int4range, cash money, sku char(5), x xml, t time, ttz timetz);
    CREATE TABLE no_pk (a int, b text);
    CREATE TABLE uniq (code text NOT NULL, n int, UNIQUE (code));
    CREATE VIEW item_names AS SELECT id, name FROM items;
    CREATE MATERIALIZED VIEW item_count AS SELECT count(*) AS n FROM items;
    CREATE TABLE events (id int, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
    CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE other.things (id serial PRIMARY KEY);
    INSERT INTO items (id, name) SELECT g, 'n' || g FROM generate_series(1, 50) g;
    ANALYZE items;
  `);
});
afterAll(async () => db.drop());

function byStream(streams: CatalogStream[], name: string): CatalogStream {
  const s = streams.find((x) => x.stream === name);
  if (!s) throw new Error(`no stream ${name} in ${streams.map((x) => x.stream).join(',')}`);
  return s;
}

describe('discovery', () => {
  it('finds tables, views, materialized views and partitioned parents (not partitions) of the schema', async () => {
    const catalog = await new PostgreSQL({ config: db.config }).discover();
    expect(catalog.streams.map((s) => s.stream).sort()).toEqual(['events', 'item_count', 'item_names', 'items', 'no_pk', 'uniq']);
    const items = byStream(catalog.streams, 'items');
    expect(items.tap_stream_id).toBe('public-items');
    const md = getMetadata(items);
    expect(md['table-key-properties']).toEqual(['id']);
    expect(md['schema-name']).toBe('public');
    expect(md['database-name']).toBe(db.name);
    expect(md['is-view']).toBe(false);
    expect(md['row-count']).toBe(50);
    expect(md['valid-replication-keys']).toEqual(expect.arrayContaining(['id', 'created_at', 'updated', 'name', 'price']));
    expect(md['valid-replication-keys']).not.toContain('doc');
    expect(getMetadata(byStream(catalog.streams, 'item_names'))['is-view']).toBe(true);
    expect(getMetadata(byStream(catalog.streams, 'item_count'))['is-view']).toBe(true);
    expect(getMetadata(byStream(catalog.streams, 'events'))['table-key-properties']).toEqual(['id', 'at']);
    expect(getMetadata(byStream(catalog.streams, 'uniq'))['table-key-properties']).toEqual(['code']);
    expect(getMetadata(byStream(catalog.streams, 'no_pk'))['table-key-properties']).toEqual([]);
  });

  it('maps column types to JSON Schema and keeps sql-datatype', async () => {
    const catalog = await new PostgreSQL({ config: db.config }).discover();
    const items = byStream(catalog.streams, 'items');
    const p = items.schema.properties!;
    expect(p['id']).toEqual({ type: ['integer'], 'sql-datatype': 'bigint' });
    expect(p['name']).toEqual({ type: ['string'], 'sql-datatype': 'character varying(40)' });
    expect(p['price']).toEqual({ type: ['null', 'number'], 'sql-datatype': 'numeric(12,3)' });
    expect(p['ratio']).toEqual({ type: ['null', 'number'], 'sql-datatype': 'double precision' });
    expect(p['mood']).toEqual({ type: ['null', 'string'], 'sql-datatype': 'text' });
    expect(p['cost']).toEqual({ type: ['null', 'number'], 'sql-datatype': 'numeric(10,2)' });
    expect(p['tags']).toEqual({ type: ['null', 'array'], items: { type: ['null', 'string', 'array'] }, 'sql-datatype': 'text[]' });
    expect(p['doc']!.type).toEqual(['null', 'object', 'array', 'string', 'number', 'boolean']);
    expect(p['created_at']).toEqual({ type: ['null', 'string'], format: 'date-time', 'sql-datatype': 'timestamp with time zone' });
    expect(p['updated']).toMatchObject({ format: 'date' });
    expect(p['blob']).toMatchObject({ contentEncoding: 'base16' });
    expect(p['uid']).toMatchObject({ format: 'uuid' });
    expect(p['cash']).toMatchObject({ type: ['null', 'number'] });
    expect(p['sku']).toMatchObject({ 'sql-datatype': 'character(5)' });
    expect(p['during']).toMatchObject({ type: ['null', 'string'], 'sql-datatype': 'text' });
    expect(getMetadata(items, ['properties', 'mood'])['sql-datatype']).toBe('mood');
    expect(getMetadata(items, ['properties', 'cost'])['sql-datatype']).toBe('positive_price');
    expect(getMetadata(items, ['properties', 'id'])['inclusion']).toBe('automatic');
  });

  it('discovers several schemas and names streams schema_table', async () => {
    const catalog = await new PostgreSQL({ config: { ...db.config, schema: ['public', 'other'] } }).discover();
    expect(catalog.streams.map((s) => s.stream)).toContain('other_things');
    expect(catalog.streams.map((s) => s.tap_stream_id)).toContain('other-things');
  });

  it('takes view keys from config', async () => {
    const catalog = await new PostgreSQL({ config: { ...db.config, key_properties: { 'public.item_names': ['id'] } } }).discover();
    expect(getMetadata(byStream(catalog.streams, 'item_names'))['table-key-properties']).toEqual(['id']);
  });

  it('discovers 1,000 tables in a few seconds', async () => {
    await db.sql(
      `CREATE SCHEMA many; DO $$ BEGIN FOR i IN 1..1000 LOOP EXECUTE format('CREATE TABLE many.t%s (id int PRIMARY KEY, a text, b timestamptz, c numeric)', i); END LOOP; END $$;`,
    );
    const started = Date.now();
    const catalog = await new PostgreSQL({ config: { ...db.config, schema: 'many' } }).discover();
    const elapsed = Date.now() - started;
    expect(catalog.streams).toHaveLength(1000);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('check reports a clear error for a wrong database and never shows the password', async () => {
    const result = await new PostgreSQL({ config: { ...db.config, database: 'mage_no_such_db', password: 'sekret-pw' } }).check();
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/database "mage_no_such_db" does not exist/);
    expect(result.message).not.toContain('sekret-pw');
    expect((await new PostgreSQL({ config: db.config }).check()).ok).toBe(true);
  });
});

describe('discovery progress', () => {
  it('reports tables introspected of the total, in increasing counts ending at the total, over many tables', async () => {
    const tables = 450; // more than two batches of DISCOVER_BATCH (200)
    await db.sql(
      `CREATE SCHEMA progress; ${Array.from({ length: tables }, (_, i) => `CREATE TABLE progress.t${String(i).padStart(3, '0')} (id int PRIMARY KEY, v text);`).join(' ')}`,
    );
    const reports: DiscoverProgress[] = [];
    const catalog = await postgres.discover({ ...db.config, schema: 'progress' } as never, {
      logger: silentLogger,
      signal: new AbortController().signal,
      onProgress: (p) => reports.push({ ...p }),
    });
    expect(catalog.streams).toHaveLength(tables);
    expect(reports.map((p) => p.done)).toEqual([0, 200, 400, 450]);
    expect(new Set(reports.map((p) => `${p.unit} of ${p.total}`))).toEqual(new Set([`tables of ${tables}`]));
    expect(reports.at(-1)?.current).toBe('progress.t449');
    // The batched queries describe each table as the one round trip did.
    expect(getMetadata(catalog.streams.find((s) => s.stream === 't123')!)['table-key-properties']).toEqual(['id']);
  });
});
