import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cliEnv, runCli, WORKSPACE, workDir } from './cli-harness.js';
import { query } from './duckdb-query.js';

const sh = promisify(execFile);
const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const schema = `mage_transforms_${randomBytes(4).toString('hex')}`;

async function pgQuery(sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client(ADMIN);
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** A TypeScript module as a user writes one: loaded by Node's own type stripping when the CLI runs it. */
const MODULE = `import { defineTransform, type StreamShape } from '@mage-int/core';

interface Order { id: number; amount: number; status: string; payment_method: string }
type Flagged = Omit<Order, 'payment_method'> & { big_order: boolean };

export default defineTransform<Order, Flagged>({
  schema(input: StreamShape) {
    const { payment_method: _dropped, ...properties } = input.schema.properties ?? {};
    return { ...input, schema: { ...input.schema, properties: { ...properties, big_order: { type: 'boolean' } } } };
  },
  record(order, ctx) {
    const { payment_method: _dropped, ...rest } = order;
    return { ...rest, big_order: order.amount > (ctx.config['big_over'] as number) };
  },
});
`;

function pipelineFile(dir: string, destination: string): string {
  mkdirSync(join(dir, 'transforms'), { recursive: true });
  writeFileSync(join(dir, 'transforms', 'flag.ts'), MODULE);
  const path = join(dir, 'pipeline.yaml');
  writeFileSync(
    path,
    `id: transformed
source:
  name: faker
  config: { seed: 7, customers: 40, products: 5, orders: 300 }
destination:
${destination}
transforms:
  - stream_maps:
      customers:
        email: md5(email)
        name: __NULL__
        __alias__: clients
      products: __NULL__
      orders:
        quantity: str(quantity)
  - module: ./transforms/flag.ts
    streams: [orders]
    config: { big_over: 200 }
  - sql: select *, amount * 2 as amount_x2 from batch where status <> 'cancelled'
    streams: [orders]
after_load:
  - sql: create or replace view order_count as select count(*) as n from orders
  - command: [node, -e, "console.log('after load ' + process.env.MARKER)"]
`,
  );
  return path;
}

describe('transforms in a pipeline file (mage-int run)', () => {
  const work = workDir('transforms');
  beforeAll(async () => {
    assertBuilt();
    await pgQuery(`CREATE SCHEMA ${schema}`);
  });
  afterAll(async () => {
    await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    work.remove();
  });

  it('stream maps, a TypeScript module and SQL change the schema PostgreSQL gets; after_load SQL and a command run after the last commit', async () => {
    const dir = join(work.dir, 'pg');
    mkdirSync(dir, { recursive: true });
    const path = pipelineFile(
      dir,
      `  name: postgres\n  config: { host: 127.0.0.1, port: 5432, database: postgres, username: postgres, schema: ${schema} }`,
    );
    const result = await runCli(['run', path, '--progress', 'none'], { env: { MARKER: 'm-42' } });
    expect(result.stderr).toContain('after load m-42');
    expect(result.code, result.stderr).toBe(0);

    const tables = (await pgQuery(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema}' ORDER BY 1`)).map(
      (r) => r['table_name'],
    );
    expect(tables).toEqual(['clients', 'order_count', 'orders']);
    const columns = await pgQuery(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name IN ('clients', 'orders') AND column_name NOT LIKE '\\_sdc%' ORDER BY 1, 2`,
    );
    const of = (table: string) =>
      Object.fromEntries(columns.filter((c) => c['table_name'] === table).map((c) => [c['column_name'], c['data_type']]));
    expect(of('clients')).not.toHaveProperty('name');
    expect(of('clients')['email']).toBe('text');
    expect(of('orders')).not.toHaveProperty('payment_method');
    expect(of('orders')['big_order']).toBe('boolean');
    expect(of('orders')['amount_x2']).toBe('numeric');
    expect(of('orders')['quantity']).toBe('text'); // retyped integer → string by the stream map

    const [emails] = await pgQuery(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE email ~ '^[0-9a-f]{32}$')::int AS hashed FROM ${schema}.clients`,
    );
    expect(emails).toEqual({ n: 40, hashed: 40 });
    const [orders] = await pgQuery(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled, count(*) FILTER (WHERE amount_x2 <> amount * 2)::int AS wrong, count(*) FILTER (WHERE big_order <> (amount > 200))::int AS misflagged FROM ${schema}.orders`,
    );
    expect(orders).toMatchObject({ cancelled: 0, wrong: 0, misflagged: 0 });
    expect(orders!['n']).toBeGreaterThan(200);
    const [view] = await pgQuery(`SELECT n::int AS n FROM ${schema}.order_count`);
    expect(view!['n']).toBe(orders!['n']);
  });

  it('the same pipeline into DuckDB: the retyped and added columns arrive with DuckDB types, the view is made in the file', async () => {
    const dir = join(work.dir, 'duck');
    mkdirSync(dir, { recursive: true });
    const path = pipelineFile(dir, '  name: duckdb\n  config: { path: out.duckdb }');
    const result = await runCli(['run', path, '--progress', 'none'], { env: { MARKER: 'duck' } });
    expect(result.code, result.stderr).toBe(0);
    const db = join(dir, 'out.duckdb');
    const columns = await query(
      db,
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_name IN ('clients', 'orders') ORDER BY 1, 2",
    );
    const of = (table: string) =>
      Object.fromEntries(columns.filter((c) => c['table_name'] === table).map((c) => [c['column_name'], c['data_type']]));
    expect(of('orders')['big_order']).toBe('BOOLEAN');
    expect(of('orders')['amount_x2']).toMatch(/^DECIMAL\(\d+,2\)$/);
    expect(of('orders')).not.toHaveProperty('payment_method');
    expect(of('clients')).not.toHaveProperty('name');
    expect(of('orders')['quantity']).toBe('VARCHAR');
    const [counts] = await query(
      db,
      "SELECT (SELECT count(*) FROM orders)::INTEGER AS n, (SELECT n FROM order_count)::INTEGER AS v, (SELECT count(*) FROM information_schema.tables WHERE table_name = 'products')::INTEGER AS products",
    );
    expect(counts!['v']).toBe(counts!['n']);
    expect(counts!['products']).toBe(0);
  });

  it('a transform failing mid-stream stops the run naming it, the stream and the record; DuckDB holds exactly what the saved state covers', async () => {
    const dir = join(work.dir, 'boom');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'boom.mjs'),
      "export default (order) => { if (order.id === 2501) throw new Error('bad order ' + order.id); return order; };\n",
    );
    const path = join(dir, 'pipeline.yaml');
    writeFileSync(
      path,
      `source: { name: faker, config: { seed: 2, customers: 1, products: 1, orders: 5000, batch_size: 500 } }
select: [orders]
destination: { name: duckdb, config: { path: out.duckdb, batch_size_rows: 1000 } }
transforms:
  - module: ./boom.mjs
    streams: [orders]
`,
    );
    const result = await runCli(['run', path, '--progress', 'none']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: transform module ./boom.mjs: stream "orders", record id=2501: bad order 2501');
    const state = JSON.parse(readFileSync(join(dir, '.mage-int', 'state', 'pipeline.json'), 'utf8')) as {
      bookmarks: { orders: { last_pk_fetched: { id: number } } };
    };
    const saved = state.bookmarks.orders.last_pk_fetched.id;
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThanOrEqual(2500);
    const [loaded] = await query(join(dir, 'out.duckdb'), 'SELECT count(*)::INTEGER AS n, max(id)::INTEGER AS top FROM orders');
    expect(loaded).toEqual({ n: saved, top: saved });
  });

  it('a failing after_load command fails the run (exit 1) after the data committed, its output redacted', async () => {
    const dir = join(work.dir, 'fail');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'pipeline.yaml');
    writeFileSync(
      path,
      `source: { name: faker, config: { seed: 1, customers: 5, products: 1, orders: 1 } }
destination: { name: postgres, config: { host: 127.0.0.1, database: postgres, username: postgres, password: "\${T_PG_PASSWORD}", schema: ${schema}_fail } }
after_load:
  - command: [node, -e, "console.log('pw=' + process.env.T_PG_PASSWORD); process.exit(3)"]
`,
    );
    const result = await runCli(['run', path, '--progress', 'none'], { env: { T_PG_PASSWORD: 'hunter2-very-secret' } });
    await pgQuery(`DROP SCHEMA IF EXISTS ${schema}_fail CASCADE`);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('exited with code 3');
    expect(result.stderr).toContain('pw=***');
    expect(result.stderr + result.stdout).not.toContain('hunter2-very-secret');
    expect(JSON.parse(readFileSync(join(dir, '.mage-int', 'state', 'pipeline.json'), 'utf8'))).toHaveProperty('bookmarks.customers');
  });
});

describe('mage-int-map between Singer processes', () => {
  const work = workDir('mapper');
  afterAll(() => work.remove());

  it('source-faker | mage-int-map --config maps.json | destination-jsonl: maps applied, STATE reaches the target', async () => {
    assertBuilt();
    const file = (name: string, value: unknown) => writeFileSync(join(work.dir, name), JSON.stringify(value));
    file('faker.json', { seed: 3, customers: 20, products: 2, orders: 30 });
    file('maps.json', {
      stream_maps: {
        customers: { email: "sha256(config['salt'] + email)", __alias__: 'people', __filter__: "country != 'US'" },
        orders: null,
        products: '__NULL__',
      },
      stream_map_config: { salt: 'pepper' },
    });
    file('jsonl.json', { destination_path: join(work.dir, 'out') });
    const bin = (name: string) => join(WORKSPACE, 'node_modules', '.bin', name);
    const { stdout } = await sh(
      'sh',
      [
        '-c',
        `${bin('source-faker')} --config faker.json | ${bin('mage-int-map')} --config maps.json | ${bin('destination-jsonl')} --config jsonl.json`,
      ],
      {
        cwd: work.dir,
        env: cliEnv(),
      },
    );
    expect(readdirSync(join(work.dir, 'out'))).toEqual(['people.jsonl']);
    const people = readFileSync(join(work.dir, 'out', 'people.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(people.length).toBeGreaterThan(0);
    expect(people.every((p) => p['country'] !== 'US' && /^[0-9a-f]{64}$/.test(String(p['email'])))).toBe(true);
    // The target printed the tap's last STATE, untouched by the mapper.
    const states = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { bookmarks: Record<string, unknown> });
    expect(Object.keys(states.at(-1)!.bookmarks).sort()).toEqual(['customers', 'orders', 'products']);
  });

  it('--about advertises stream-maps; a bad expression exits 1 naming the stream and property', async () => {
    const bin = join(WORKSPACE, 'node_modules', '.bin', 'mage-int-map');
    const about = JSON.parse((await sh(bin, ['--about'])).stdout) as { capabilities: string[] };
    expect(about.capabilities).toEqual(['stream-maps']);
    writeFileSync(join(work.dir, 'bad.json'), JSON.stringify({ stream_maps: { customers: { email: 'md5(emial)' } } }));
    writeFileSync(join(work.dir, 'f.json'), JSON.stringify({ seed: 1, customers: 1, products: 1, orders: 1 }));
    const failed = await sh(
      'sh',
      ['-c', `${join(WORKSPACE, 'node_modules', '.bin', 'source-faker')} --config f.json | ${bin} --config bad.json`],
      { cwd: work.dir },
    ).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr).toContain(
      'error: transform stream_maps #1: stream "customers", field "email": unknown name "emial"',
    );
  });
});
