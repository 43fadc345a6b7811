// mage-int outside this repository, end to end and all real: `mage-int registry start --seed` (verdaccio on a
// free port, storage in a temp dir, every first-party package of the checkout published into it), then
//  1. a new user's project in a temp dir: init --registry → npm install → add source-postgres → add
//     destination-duckdb → run PostgreSQL → DuckDB → list → remove, with the project's own mage-int;
//  2. a connector author: scaffold a source, its conformance tests, publish it, install it into a fresh
//     project and run it into DuckDB;
//  3. the headline: add source-stripe and destination-duckdb to a fresh project, run against the Stripe stand-in
//     twice (the second run loads only the changes).
// Seeded once for the file. Needs `npm run build` first, and npm's cache (or the npm registry) for public
// dependencies.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRegistryUser, firstPartyPackages, loginRegistryUser, PUBLISHER_GROUP } from '@mage-int/registry';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'tools/cli/bin/run.js');

let work: string;
let registryUrl: string;
let registryStorage: string;
let registryProcess: ChildProcessWithoutNullStreams | undefined;
/** A user with no npm configuration of their own (everything comes from the project's .npmrc). */
let userEnv: NodeJS.ProcessEnv;

/** The environment of a user whose npm reads `npmrc`: none of the test runner's npm variables. */
function envWith(npmrc: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^npm_(config|package|lifecycle)_|^npm_execpath$|^INIT_CWD$|^MAGE_INT_|^VITEST|^NODE_ENV$|^NODE_OPTIONS$/i.test(key),
    ),
  );
  return { ...clean, npm_config_userconfig: npmrc, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true', ...extra };
}

async function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
  }
}

/** The checkout's mage-int (what a contributor runs). */
const checkoutMageInt = (args: string[], cwd: string, env = userEnv) => run(process.execPath, [cli, ...args], cwd, env);

async function readDuckDb<T>(path: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

beforeAll(async () => {
  for (const pkg of await firstPartyPackages(root)) {
    await access(join(pkg.directory, 'dist')).catch(() => {
      throw new Error(`${pkg.name} is not built: run \`npm run build\` first`);
    });
  }
  work = await mkdtemp(join(tmpdir(), 'mage-int-e2e-'));
  const npmrc = join(work, 'user-npmrc');
  // No prefer-offline: npm caches package metadata by URL, and a later run's registry may get the same port with
  // different tarballs; revalidating costs little (tarballs still come from the cache).
  await writeFile(npmrc, ['update-notifier=false', 'fund=false', 'audit=false', ''].join('\n'));
  userEnv = envWith(npmrc);
  registryStorage = join(work, 'registry-storage');
  // The registry as a user starts it: a process of its own, seeded from this checkout, on a free port.
  const child = spawn(process.execPath, [cli, 'registry', 'start', '--seed', '--port', '0', '--storage', registryStorage], {
    cwd: work,
    env: userEnv,
  });
  registryProcess = child;
  let output = '';
  registryUrl = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /listening on (\S+)[\s\S]*project: mage-int init/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`mage-int registry start --seed exited with ${code}:\n${output}`)));
  });
  expect(output).toMatch(/seeded: {2}\d+ packages published/);
}, 180_000);

afterAll(async () => {
  if (registryProcess && registryProcess.exitCode === null) {
    const exited = new Promise((resolve) => registryProcess?.once('exit', resolve));
    registryProcess.kill('SIGTERM');
    await exited;
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a project outside the repository, on the seeded local registry', () => {
  const database = `mage_int_e2e_${process.pid}_${Date.now()}`;
  const admin = () => new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });

  beforeAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`create database ${database}`);
    await client.end();
    const db = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database });
    await db.connect();
    await db.query(
      `create table public.orders (id bigint primary key, customer text not null, amount numeric(12,2), placed_at timestamptz)`,
    );
    await db.query(
      `insert into public.orders select i, 'customer ' || i, i * 1.25, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour' from generate_series(1, 250) as i`,
    );
    await db.end();
  });

  afterAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`drop database if exists ${database} with (force)`);
    await client.end();
  });

  it("init → npm install → add source-PostgreSQL (Mage's spelling) → add destination-duckdb → run name: PostgreSQL → DuckDB → list → remove", {
    timeout: 300_000,
  }, async () => {
    const project = join(work, 'my-project');
    expect(await checkoutMageInt(['init', 'my-project', '--registry', registryUrl], work)).toMatch(/created my-project\/\.npmrc/);
    expect(await readFile(join(project, '.npmrc'), 'utf8')).toContain(`@mage-int:registry=${registryUrl}`);

    // From here on only the project's own things: npm with the project's .npmrc, and its installed mage-int.
    await run('npm', ['install'], project, userEnv);
    const mageInt = (args: string[]) => run('npx', ['--no-install', 'mage-int', ...args], project, userEnv);

    const searched = await mageInt(['search']);
    for (const name of ['source-postgres', 'source-faker', 'destination-duckdb', 'destination-postgres'])
      expect(searched).toMatch(new RegExp(`${name}\\s+@mage-int/${name}\\s+\\d+\\.\\d+\\.\\d+\\s+certified`));

    // as a Mage user writes it: the name in another case; installed under its real name
    expect(await mageInt(['add', 'source-PostgreSQL'])).toMatch(/added source postgres: @mage-int\/source-postgres@\d+\.\d+\.\d+\n/);
    expect(await mageInt(['add', 'destination-duckdb'])).toMatch(/destination-duckdb is already installed: @mage-int\/destination-duckdb@/);

    await writeFile(
      join(project, 'pipelines', 'orders.yaml'),
      [
        'id: orders',
        'source:',
        '  name: PostgreSQL',
        `  config: { host: 127.0.0.1, port: 5432, database: ${database}, username: postgres }`,
        'destination:',
        '  name: DuckDB',
        '  config: { path: ../warehouse.duckdb }',
        '',
      ].join('\n'),
    );
    const ran = await mageInt(['run', 'pipelines/orders.yaml', '--json']);
    const summary = JSON.parse(ran.slice(ran.indexOf('{"status"')).split('\n')[0] ?? '') as { status: string; totalRows: number };
    expect(summary).toMatchObject({ status: 'ok', totalRows: 250 });
    const tables = await readDuckDb<{ table_schema: string; table_name: string }>(
      join(project, 'warehouse.duckdb'),
      "select table_schema, table_name from information_schema.tables where table_name like '%orders%'",
    );
    expect(tables).toHaveLength(1);
    const table = `"${tables[0]?.table_schema}"."${tables[0]?.table_name}"`;
    expect(
      await readDuckDb(
        join(project, 'warehouse.duckdb'),
        `select count(*) as n, sum(amount)::varchar as total, max(customer) filter (where id = 7) as seventh from ${table}`,
      ),
    ).toEqual([{ n: '250', total: '39218.75', seventh: 'customer 7' }]);

    const listed = JSON.parse(await mageInt(['list', '--json'])) as { package: string }[];
    expect(listed.map((c) => c.package).sort()).toEqual([
      '@mage-int/destination-duckdb',
      '@mage-int/source-faker',
      '@mage-int/source-postgres',
    ]);

    expect(await mageInt(['remove', 'source-Faker'])).toMatch(/removed source faker \(@mage-int\/source-faker\)/);
    const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).sort()).toEqual([
      '@mage-int/cli',
      '@mage-int/core',
      '@mage-int/destination-duckdb',
      '@mage-int/source-postgres',
    ]);
    const after = JSON.parse(await mageInt(['list', '--json'])) as { package: string }[];
    expect(after.map((c) => c.package).sort()).toEqual(['@mage-int/destination-duckdb', '@mage-int/source-postgres']);
  });
});

describe('a connector author, on the same registry', () => {
  it('scaffolds, tests, publishes, installs from the registry and runs a pipeline into DuckDB', { timeout: 300_000 }, async () => {
    // An author's npm: @acme and @mage-int from the registry, logged in there (sign-up is off: the account is made
    // where the registry runs).
    await addRegistryUser(registryStorage, 'acme-dev', 'correct horse battery staple');
    const token = await loginRegistryUser(registryUrl, 'acme-dev', 'correct horse battery staple');
    const npmrc = join(work, 'author-npmrc');
    await writeFile(
      npmrc,
      [
        `@mage-int:registry=${registryUrl}`,
        `@acme:registry=${registryUrl}`,
        `${registryUrl.replace(/^https?:/, '')}:_authToken=${token}`,
        'update-notifier=false',
        'fund=false',
        'audit=false',
        '',
      ].join('\n'),
    );
    let env = envWith(npmrc, { MAGE_INT_REGISTRY: registryUrl });
    const mageInt = (args: string[], cwd: string) => checkoutMageInt(args, cwd, env);

    // 1. Scaffold a new HTTP source outside the monorepo; its dependencies come from the registry.
    const acme = join(work, 'source-acme');
    expect(await mageInt(['new', 'source', 'acme', '--scope', '@acme', '--dir', acme], work)).toMatch(/created @acme\/source-acme/);

    // 2. The conformance suite passes on the untouched scaffold.
    expect(await mageInt(['test', acme], work)).toMatch(/@acme\/source-acme: \d+ passed, 0 failed/);

    // 3. Publish it; publishing the same version again is refused clearly.
    expect(await mageInt(['publish', acme], work)).toMatch(/published @acme\/source-acme@0\.1\.0/);
    await expect(mageInt(['publish', acme, '--no-build'], work)).rejects.toThrow(/already published/);

    // 4. A fresh project installs both connectors from the registry.
    const project = join(work, 'acme-project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'e2e-project', private: true, type: 'module' }, null, 2));
    expect(await mageInt(['add', 'source-acme', '--yes'], project)).toMatch(
      /added source acme: @acme\/source-acme@0\.1\.0 \(third party\)/,
    );
    expect(await mageInt(['add', 'destination-duckdb'], project)).toMatch(/added destination duckdb: @mage-int\/destination-duckdb/);
    const listed = await mageInt(['list', '--json'], project);
    expect((JSON.parse(listed) as { package: string }[]).map((c) => c.package)).toEqual([
      '@acme/source-acme',
      '@mage-int/destination-duckdb',
    ]);

    // 5. Run a pipeline: acme's records into DuckDB. The API is the stand-in from the scaffold's own test config,
    //    run as a separate Node process (Node strips the types of the .ts file).
    const server = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { startFakeApi } = await import(${JSON.stringify(pathToFileURL(join(acme, 'test/testkit.config.ts')).href)}); const api = await startFakeApi(); console.log(JSON.stringify({ url: api.url, apiKey: api.apiKey })); process.on('SIGTERM', () => api.close().then(() => process.exit(0)));`,
      ],
      { cwd: acme, env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const api = await new Promise<{ url: string; apiKey: string }>((resolve, reject) => {
        server.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()) as { url: string; apiKey: string }));
        server.once('exit', (code) => reject(new Error(`the stand-in API exited with code ${code}`)));
      });
      await writeFile(
        join(project, 'pipeline.yaml'),
        [
          'id: acme-to-duckdb',
          'source:',
          '  name: acme',
          '  config:',
          `    base_url: ${api.url}`,
          '    api_key: ${ACME_API_KEY}',
          '    page_size: 7',
          'destination:',
          '  name: duckdb',
          '  config:',
          '    path: warehouse.duckdb',
          '',
        ].join('\n'),
      );
      env = { ...env, ACME_API_KEY: api.apiKey };
      await mageInt(['run', 'pipeline.yaml'], project);
    } finally {
      server.kill('SIGTERM');
    }
    const warehouse = join(project, 'warehouse.duckdb');
    expect(
      await readDuckDb(
        warehouse,
        'select (select count(*) from main.customers) as customers, (select count(distinct id) from main.invoices) as invoices',
      ),
    ).toEqual([{ customers: '25', invoices: '40' }]);
    expect(await readDuckDb(warehouse, "select name, email from main.customers where id = 'cus_007'")).toEqual([
      { name: 'Customer 7', email: 'customer7@example.com' },
    ]);
  });
});

describe('the headline: mage-int add source-stripe', () => {
  // Stripe is the Stripe stand-in from @mage-int/testkit (a local server with Stripe's response shapes); the
  // project reaches it only through base_url, with the key from the environment.
  it('init → add source-stripe → add destination-duckdb → run twice: the second run loads only what changed', {
    timeout: 300_000,
  }, async () => {
    const { startStripeStandIn } = await import('@mage-int/testkit');
    const stripe = await startStripeStandIn({ counts: { customers: 12 } });
    try {
      const project = join(work, 'stripe-project');
      await checkoutMageInt(['init', 'stripe-project', '--registry', registryUrl], work);
      await run('npm', ['install'], project, userEnv);
      const env = { ...userEnv, STRIPE_API_KEY: stripe.apiKey };
      const mageInt = (args: string[]) => run('npx', ['--no-install', 'mage-int', ...args], project, env);
      expect(await mageInt(['search', 'stripe'])).toMatch(/source-stripe\s+@mage-int\/source-stripe\s+\d+\.\d+\.\d+\s+certified/);
      expect(await mageInt(['add', 'source-stripe'])).toMatch(/added source stripe: @mage-int\/source-stripe@\d+\.\d+\.\d+\n/);
      await mageInt(['add', 'destination-duckdb']);
      await writeFile(
        join(project, 'pipelines', 'stripe.yaml'),
        [
          'id: stripe',
          'source:',
          '  name: stripe',
          '  config:',
          `    base_url: ${stripe.url}`,
          '    api_key: ${STRIPE_API_KEY}',
          'select: [customers, charges]',
          'destination:',
          '  name: duckdb',
          '  config: { path: ../stripe.duckdb, hard_delete: true }',
          '',
        ].join('\n'),
      );
      const summary = (output: string) =>
        JSON.parse(output.slice(output.indexOf('{"status"')).split('\n')[0] ?? '') as { status: string; totalRows: number };
      const first = await mageInt(['run', 'pipelines/stripe.yaml', '--json']);
      expect(summary(first)).toMatchObject({ status: 'ok', totalRows: 15 });
      expect(first).not.toContain(stripe.apiKey);

      const [changed, deleted] = stripe.objects.get('customers') ?? [];
      stripe.update('customers', String(changed?.['id']), { email: 'moved@example.com' });
      stripe.remove('customers', String(deleted?.['id']));
      const added = stripe.create('customers', { email: 'new@example.com' });
      // Events are read again from the second the previous run started: start the next run a second later.
      await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));

      const second = await mageInt(['run', 'pipelines/stripe.yaml', '--json']);
      expect(summary(second)).toMatchObject({ status: 'ok', totalRows: 3 });
      const warehouse = join(project, 'stripe.duckdb');
      expect(await readDuckDb(warehouse, 'select count(*)::integer as n from main.customers')).toEqual([{ n: 12 }]);
      expect(
        await readDuckDb(
          warehouse,
          `select id, email from main.customers where id in ('${String(changed?.['id'])}', '${String(deleted?.['id'])}', '${String(added['id'])}') order by email`,
        ),
      ).toEqual([
        { id: changed?.['id'], email: 'moved@example.com' },
        { id: added['id'], email: 'new@example.com' },
      ]);
    } finally {
      await stripe.close();
    }
  });
});

describe('the release script, on the same registry', () => {
  it('plans a version and changelog per changed package and publishes only versions the registry lacks (dry run)', {
    timeout: 180_000,
  }, async () => {
    const versionOf = async (dir: string) =>
      (JSON.parse(await readFile(join(root, dir, 'package.json'), 'utf8')) as { version: string }).version;
    const nextPatch = (version: string) =>
      version.replace(/^(\d+\.\d+\.)(\d+).*$/, (_, head: string, patch: string) => `${head}${Number(patch) + 1}`);
    const faker = nextPatch(await versionOf('connectors/source-faker'));
    const duckdb = nextPatch(await versionOf('connectors/destination-duckdb'));
    // source-faker's next version is already in the registry (published by a first-party publisher); duckdb's is not
    await addRegistryUser(registryStorage, 'releaser', 'the release password', { groups: [PUBLISHER_GROUP] });
    const token = await loginRegistryUser(registryUrl, 'releaser', 'the release password');
    const npmrc = join(work, 'releaser-npmrc');
    await writeFile(npmrc, `@mage-int:registry=${registryUrl}\n${registryUrl.replace(/^https?:/, '')}:_authToken=${token}\n`);
    const copy = join(work, 'faker-next');
    await cp(join(root, 'connectors/source-faker'), copy, { recursive: true, filter: (path) => !path.includes('node_modules') });
    const pkg = JSON.parse(await readFile(join(copy, 'package.json'), 'utf8')) as { version: string };
    await writeFile(join(copy, 'package.json'), JSON.stringify({ ...pkg, version: faker }, null, 2));
    await run('npm', ['publish', '--ignore-scripts'], copy, envWith(npmrc));

    const before = await run('git', ['status', '--porcelain'], root, userEnv);
    const output = await run(
      process.execPath,
      [
        join(root, 'scripts/release/release.mjs'),
        '--dry-run',
        '--registry',
        registryUrl,
        '--specifier',
        'patch',
        '--projects',
        '@mage-int/source-faker,@mage-int/destination-duckdb',
      ],
      root,
      userEnv,
    );
    expect(output).toContain('Previewing an entry in connectors/source-faker/CHANGELOG.md');
    expect(output).toContain('Previewing an entry in connectors/destination-duckdb/CHANGELOG.md');
    expect(output).toContain(`@mage-int/source-faker@${faker} is already on ${registryUrl}: skipped`);
    expect(output).toContain(`would publish @mage-int/destination-duckdb@${duckdb} to ${registryUrl}`);
    // packages depending on a bumped one are released too (whichever those are today); faker is not among them
    const wouldPublish = [...output.matchAll(/would publish (\S+)@\S+ to /g)].map((m) => m[1]);
    expect(wouldPublish).toContain('@mage-int/destination-duckdb');
    expect(wouldPublish).not.toContain('@mage-int/source-faker');
    expect(output).toContain(
      `dry run: ${wouldPublish.length} package${wouldPublish.length === 1 ? '' : 's'} would be published; nothing was changed`,
    );
    expect(await run('git', ['status', '--porcelain'], root, userEnv)).toBe(before);
  });
});
