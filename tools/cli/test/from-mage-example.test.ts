// examples/from-mage (issue 19): the pipeline Mage's documentation shows — `name: PostgreSQL`, `name: DuckDB`, Mage's
// config keys — run as written through the real CLI against the local PostgreSQL, and the same source in code.
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgreSQL } from '@mage-int/source-postgres';
import { startBigQueryStandIn } from '@mage-int/testkit';
import { assertBuilt, connectorBuilt, runCli, WORKSPACE, workDir } from './cli-harness.js';
import { query } from './duckdb-query.js';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const database = `mage_from_mage_${randomBytes(5).toString('hex')}`;
const work = workDir('from-mage');
// What the example's comment tells a user to set for a local PostgreSQL (trust authentication ignores the password).
const env = { POSTGRES_HOST: '127.0.0.1', POSTGRES_DB: database, POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: 'unused-with-trust' };

beforeAll(async () => {
  assertBuilt();
  for (const connector of ['source-postgres', 'destination-duckdb', 'destination-bigquery'])
    if (!connectorBuilt(connector)) throw new Error(`build ${connector} first (npm run build)`);
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const db = new pg.Client({ ...ADMIN, database });
  await db.connect();
  await db.query(`CREATE TABLE public.users (id bigint PRIMARY KEY, email text NOT NULL, balance numeric(12,2), signed_up timestamptz)`);
  await db.query(
    `INSERT INTO public.users SELECT i, 'user' || i || '@example.com', i * 10.5, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 day' FROM generate_series(1, 42) AS i`,
  );
  await db.end();
  // The example file as it is in the repository, in a folder that resolves connectors as a user's project does.
  copyFileSync(join(WORKSPACE, 'examples/from-mage/pipeline.yaml'), join(work.dir, 'pipeline.yaml'));
});

afterAll(async () => {
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  work.remove();
});

describe('examples/from-mage', () => {
  it('runs the pipeline as Mage writes it: PostgreSQL → DuckDB, every row into the file named by file_path', async () => {
    const result = await runCli(['run', 'pipeline.yaml', '--json'], { cwd: work.dir, env, timeoutMs: 120_000 });
    expect(result.stderr).not.toMatch(/not installed|deprecated/);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.slice(result.stdout.indexOf('{"status"')).split('\n')[0] ?? '') as {
      status: string;
      totalRows: number;
    };
    expect(summary).toMatchObject({ status: 'ok', totalRows: 42 });
    const file = join(work.dir, 'analytics.duckdb');
    const [table] = await query(file, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name LIKE '%users%'");
    expect(table).toBeDefined();
    expect(
      await query(
        file,
        `SELECT count(*)::int AS n, sum(balance)::varchar AS total, max(email) FILTER (WHERE id = 7) AS seventh FROM "${String(table?.['table_schema'])}"."${String(table?.['table_name'])}"`,
      ),
    ).toEqual([{ n: 42, total: '9481.50', seventh: 'user7@example.com' }]);
  });

  it("runs the BigQuery variant: Mage's BigQuery block loads the rows (BigQuery stand-in), and check names a missing key file", async () => {
    const example = readFileSync(join(work.dir, 'pipeline.yaml'), 'utf8');
    // the commented-out destination, switched on
    const variant = example
      .replace(/^destination:\n {2}name: DuckDB\n {2}config:\n.*\n/m, '')
      .replace(/^# {3}name: BigQuery\n# {3}config: (.*)$/m, 'destination:\n  name: BigQuery\n  config: $1');
    expect(variant).toContain(
      '  name: BigQuery\n  config: { project_id: my-project, dataset: analytics, path_to_credentials_json_file: /path/to/credentials.json }',
    );
    writeFileSync(join(work.dir, 'bigquery.yaml'), variant);
    const missing = await runCli(['check', 'bigquery.yaml'], { cwd: work.dir, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).not.toMatch(/not installed|not a known setting/);
    expect(missing.stderr).toMatch(
      /destination bigquery: field "path_to_credentials_json_file": cannot read \/path\/to\/credentials\.json/,
    );

    // The same block with a real key file, pointed at the BigQuery stand-in (api_endpoint: nothing leaves 127.0.0.1).
    const standIn = await startBigQueryStandIn({ projectId: 'my-project' });
    try {
      const keyFile = join(work.dir, 'credentials.json');
      writeFileSync(keyFile, JSON.stringify(standIn.credentials()));
      writeFileSync(
        join(work.dir, 'bigquery-stand-in.yaml'),
        variant.replace('/path/to/credentials.json }', `${keyFile}, api_endpoint: "${standIn.url}" }`),
      );
      const run = await runCli(['run', 'bigquery-stand-in.yaml'], { cwd: work.dir, env: { ...env, METADATA_SERVER_DETECTION: 'none' } });
      expect(run.code, run.stderr).toBe(0);
      const table = standIn.tableNames('analytics').find((t) => t.endsWith('users')) as string;
      const rows = await standIn.rows('analytics', table);
      expect(rows).toHaveLength(42);
      expect(rows.find((r) => String(r['id']) === '7')?.['email']).toBe('user7@example.com');
    } finally {
      await standIn.close();
    }
  }, 120_000);

  it("reads the same source in code with Mage's config: new PostgreSQL({ config }).discover() returns the catalog", async () => {
    const config = {
      host: '127.0.0.1',
      port: 5432,
      database,
      schema: 'public',
      username: 'postgres',
      password: 'unused-with-trust',
      batch_fetch_limit: 500,
    };
    const source = new PostgreSQL({ config });
    expect(source.config).toMatchObject({ batch_size: 500, schema: 'public' });
    const catalog = await source.discover();
    const users = catalog.streams.find((s) => s.tap_stream_id === 'public-users');
    expect(users?.key_properties).toEqual(['id']);
    expect(Object.keys(users?.schema.properties ?? {})).toEqual(['id', 'email', 'balance', 'signed_up']);
  });
});
