// The SQL kit's generic parts — SqlSession and StandardDialect — as a destination of their own: standard SQL
// (MERGE INTO, ANSI types) over a PostgreSQL connection, run through the shared destination fixtures like every
// destination. It is the reference for a new engine (docs/authoring-connectors.md): this whole destination is
// the ~60-line connection below plus the dialect's type names.
import pg from 'pg';
import { expect, it } from 'vitest';
import {
  Decimal,
  defineDestination,
  DestinationClient,
  parseExactJson,
  writeWithSession,
  type Destination,
  type SourceMessage,
} from '@mage-int/core';
import {
  SqlSession,
  StandardDialect,
  type LoadColumn,
  type SqlConnection,
  type SqlTable,
  type StandardDialectOptions,
  type StandardType,
  type TableRef,
} from '@mage-int/core/sql';
import { defineTestConfig } from '@mage-int/testkit';
import { describeConformance } from '@mage-int/testkit/vitest';

const SERVER = {
  host: process.env['PGHOST'] ?? '127.0.0.1',
  port: Number(process.env['PGPORT'] ?? 5432),
  user: process.env['PGUSER'] ?? 'postgres',
};
const DATABASE = 'mage_int_conformance_sql_kit';

const dialectOptions = {
  name: 'standard-sql on PostgreSQL',
  types: { binary: 'BYTEA', json: 'JSONB', uuid: 'UUID' },
  aliases: {
    'character varying': 'string',
    text: 'string',
    'timestamp without time zone': 'timestamp',
    'time without time zone': 'time',
    'double precision': 'number',
    integer: 'integer',
    smallint: 'integer',
  },
} as const;
const dialect = new StandardDialect(dialectOptions);

/** The PostgreSQL I/O of the session: one client, a catalog lookup, multi-row INSERTs into staging. */
class PostgresConnection implements SqlConnection<StandardType> {
  constructor(
    private readonly client: pg.Client,
    private gate?: () => Promise<void>,
  ) {}

  async execute(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async describeTable(table: TableRef): Promise<SqlTable<StandardType> | undefined> {
    const qualified = dialect.qualify(table);
    const columns = await this.client.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [qualified],
    );
    const gate = this.gate;
    this.gate = undefined;
    await gate?.();
    if (columns.rows.length === 0) return undefined;
    const keys = await this.client.query<{ columns: string[] }>(
      `SELECT array(SELECT a.attname::text FROM unnest(i.indkey) k JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS columns FROM pg_index i WHERE i.indrelid = to_regclass($1) AND i.indisunique`,
      [qualified],
    );
    return { columns: new Map(columns.rows.map((r) => [r.name, dialect.parseType(r.type)])), uniqueKeys: keys.rows.map((r) => r.columns) };
  }

  async loadRows(staging: TableRef, columns: readonly LoadColumn<StandardType>[], rows: readonly unknown[][]): Promise<void> {
    const list = columns.map((c) => dialect.quoteIdentifier(c.name)).join(', ');
    const perStatement = Math.max(1, Math.floor(30_000 / columns.length));
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const values: unknown[] = [];
      const tuples = chunk.map(
        (row) => `(${row.map((value) => `$${values.push(value instanceof Decimal ? value.text : value)}`).join(', ')})`,
      );
      await this.client.query(`INSERT INTO ${dialect.qualify(staging)} (${list}) VALUES ${tuples.join(', ')}`, values);
    }
  }

  async begin(): Promise<void> {
    await this.client.query('BEGIN');
  }
  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }
  async rollback(): Promise<void> {
    await this.client.query('ROLLBACK');
  }
  async close(): Promise<void> {
    await this.client.end();
  }
}

interface Config {
  database: string;
  schema: string;
  hard_delete?: boolean;
  add_record_metadata?: boolean;
  interpret_content_encoding?: boolean;
  batch_size_rows?: number;
}

/**
 * The destination; each session gets a dialect of its own (its staging tables are named per instance). With `gate`,
 * each session's first catalog lookup waits on it (sessions made to see a missing table at the same moment).
 */
function sqlDestination(engine: StandardDialectOptions = dialectOptions, gate?: () => Promise<void>): Destination<Config> {
  return defineDestination<Config>({
    kind: 'destination',
    name: 'standard-sql',
    spec: {
      type: 'object',
      required: ['database', 'schema'],
      properties: {
        database: { type: 'string' },
        schema: { type: 'string' },
        hard_delete: { type: 'boolean', default: false },
        add_record_metadata: { type: 'boolean', default: false },
        interpret_content_encoding: { type: 'boolean', default: false },
        batch_size_rows: { type: 'integer', minimum: 1, default: 1000 },
      },
    },
    check: async () => ({ ok: true }),
    write: (config, messages, ctx) =>
      writeWithSession(config, messages, ctx, async (control) => {
        const client = new pg.Client({ ...SERVER, database: config.database });
        await client.connect();
        await client.query(`SET TimeZone TO 'UTC'; SET client_min_messages TO warning`);
        const options = {
          schema: config.schema,
          hardDelete: config.hard_delete ?? false,
          addRecordMetadata: config.add_record_metadata ?? false,
          interpretContentEncoding: config.interpret_content_encoding ?? false,
        };
        return new SqlSession(new StandardDialect(engine), new PostgresConnection(client, gate), options, control);
      }),
  });
}
const destination = sqlDestination();

async function withClient<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...SERVER, database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let counter = 0;
const testConfig = defineTestConfig<Config>({
  kind: 'destination',
  async setup() {
    await withClient('postgres', async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (exists.rowCount === 0)
        await client
          .query(`CREATE DATABASE ${DATABASE}`)
          .catch((error: { code?: string }) => void (error.code === '42P04' || error.code === '23505' || Promise.reject(error)));
    });
    const schema = `sqlkit_${process.pid}_${Date.now().toString(36)}_${++counter}`;
    return {
      config: { database: DATABASE, schema },
      teardown: () => withClient(DATABASE, async (client) => void (await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`))),
    };
  },
  async readTable(config, stream) {
    const table = dialect.qualify({ schema: config.schema, name: stream.toLowerCase().replace(/[^\p{L}\p{N}_]+/gu, '_') });
    return withClient(config.database, async (client) => {
      await client.query(`SET TimeZone TO 'UTC'`);
      const found = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
      if (!found.rows[0]?.found) return undefined;
      const bytea = await client.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND atttypid = 'bytea'::regtype`,
        [table],
      );
      const base64 = bytea.rows.map(
        (r) => `${dialect.quoteLiteral(r.name)}, translate(encode(fixture_row.${dialect.quoteIdentifier(r.name)}, 'base64'), E'\\n', '')`,
      );
      const row = base64.length > 0 ? `to_jsonb(fixture_row) || jsonb_build_object(${base64.join(', ')})` : 'to_jsonb(fixture_row)';
      const result = await client.query<{ row: string }>(`SELECT (${row})::text AS row FROM ${table} fixture_row`);
      return result.rows.map((r) => parseExactJson(r.row) as Record<string, unknown>);
    });
  },
  skipFixtures: {
    'nul-characters-reject': 'PostgreSQL text cannot hold U+0000, and the reference session has no nul_characters policy',
    'nul-characters-strip': 'PostgreSQL text cannot hold U+0000, and the reference session has no nul_characters policy',
    'sql-datatype-kept': 'the standard dialect maps JSON Schema kinds only; keeping an engine type exactly is an engine dialect’s part',
    'arrays-sql-datatype': 'the standard dialect maps JSON Schema kinds only (arrays become JSON)',
  },
});

await describeConformance(
  destination as Destination<never>,
  testConfig as never,
  'SQL kit: SqlSession + StandardDialect (standard SQL over PostgreSQL) conformance',
);

it('keeps loading base16 into a column that already holds bytes when interpret_content_encoding is off', async () => {
  const target = await testConfig.setup();
  try {
    const schema: SourceMessage = {
      type: 'SCHEMA',
      stream: 'blobs',
      key_properties: ['id'],
      schema: { type: 'object', properties: { id: { type: 'integer' }, hex: { type: 'string', contentEncoding: 'base16' } } },
    };
    const record = (id: number, hex: string): SourceMessage => ({ type: 'RECORD', stream: 'blobs', record: { id, hex } });
    await new DestinationClient(destination, { config: { ...target.config, interpret_content_encoding: true } }).load([
      schema,
      record(1, '0xA1B2'),
    ]);
    await new DestinationClient(destination, { config: target.config }).load([schema, record(2, '0102')]);
    expect(await testConfig.readTable(target.config, 'blobs')).toEqual(
      expect.arrayContaining([
        { id: 1, hex: 'obI=' },
        { id: 2, hex: 'AQI=' },
      ]),
    );
  } finally {
    await target.teardown?.();
  }
});

it('creates staging tables outside the transaction for an engine whose DDL commits implicitly, and drops them after', async () => {
  const target = await testConfig.setup();
  try {
    const implicitDdl = sqlDestination({ ...dialectOptions, capabilities: { transactionalDdl: false } });
    const schema: SourceMessage = {
      type: 'SCHEMA',
      stream: 'items',
      key_properties: ['id'],
      schema: {
        type: 'object',
        properties: { id: { type: 'integer' }, v: { type: 'string' }, _sdc_deleted_at: { type: ['null', 'string'], format: 'date-time' } },
      },
    };
    const record = (id: number, v: string, deleted = false): SourceMessage => ({
      type: 'RECORD',
      stream: 'items',
      record: { id, v, ...(deleted ? { _sdc_deleted_at: '2024-01-01T00:00:00Z' } : {}) },
    });
    const client = new DestinationClient(implicitDdl, { config: { ...target.config, hard_delete: true, batch_size_rows: 2 } });
    expect(
      await client.load([
        schema,
        record(1, 'a'),
        record(2, 'b'),
        { type: 'STATE', value: 1 },
        record(1, 'a2'),
        record(2, 'b', true),
        record(3, 'c'),
        { type: 'STATE', value: 2 },
      ]),
    ).toEqual([1, 2]);
    const rows = (await testConfig.readTable(target.config, 'items')) ?? [];
    expect(rows.map((r) => [r['id'], r['v']]).sort()).toEqual([
      [1, 'a2'],
      [3, 'c'],
    ]);
    const left = await withClient(DATABASE, (c) =>
      c.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename LIKE '_mage_stage%'`, [target.config.schema]),
    );
    expect(left.rows).toEqual([]);
  } finally {
    await target.teardown?.();
  }
});

it('two sessions creating one new table at the same moment (same or different columns) both load: the loser of the DDL race reads the table again', async () => {
  const target = await testConfig.setup();
  try {
    const stream = (columns: string[]): SourceMessage => ({
      type: 'SCHEMA',
      stream: 'shared',
      key_properties: ['id'],
      schema: {
        type: 'object',
        properties: Object.fromEntries(['id', ...columns].map((c) => [c, { type: c === 'id' ? 'integer' : 'string' }])),
      },
    });
    const records = (from: number, record: (id: number) => Record<string, unknown>): SourceMessage[] =>
      Array.from({ length: 50 }, (_, i) => ({ type: 'RECORD', stream: 'shared', record: record(from + i) }));
    // Four writers at once: two with the same columns, two with a column of their own each.
    const loads = [
      [stream(['a']), ...records(0, (id) => ({ id, a: `a${id}` }))],
      [stream(['a']), ...records(100, (id) => ({ id, a: `a${id}` }))],
      [stream(['a', 'b']), ...records(200, (id) => ({ id, a: `a${id}`, b: `b${id}` }))],
      [stream(['c']), ...records(300, (id) => ({ id, c: `c${id}` }))],
    ];
    // Every session sees no table before any creates it: the race, every time.
    let arrived = 0;
    let release = () => {};
    const together = new Promise<void>((resolve) => (release = resolve));
    const gate = () => {
      if (++arrived === loads.length) release();
      return together;
    };
    const racing = sqlDestination(dialectOptions, gate);
    await Promise.all(loads.map((messages) => new DestinationClient(racing, { config: target.config }).load(messages)));
    const rows = (await testConfig.readTable(target.config, 'shared')) ?? [];
    expect(rows).toHaveLength(200);
    const byId = new Map(rows.map((r) => [Number(r['id']), r]));
    expect(byId.get(1)).toEqual({ id: 1, a: 'a1', b: null, c: null });
    expect(byId.get(201)).toEqual({ id: 201, a: 'a201', b: 'b201', c: null });
    expect(byId.get(301)).toEqual({ id: 301, a: null, b: null, c: 'c301' });
  } finally {
    await target.teardown?.();
  }
});
