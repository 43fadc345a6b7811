// The connector ecosystem end to end, all real: a private registry (verdaccio), publishing core and the
// first-party connectors, scaffolding a new source, its conformance tests, publishing it, installing it and
// destination-duckdb into a fresh project from that registry, and running a pipeline into DuckDB.
import { execFile, spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryUser, startRegistry, type RunningRegistry } from '@mage-int/registry';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'tools/cli/bin/run.js');
// core, the testkit (a dependency of every scaffold) and every first-party connector.
const FIRST_PARTY = [
  'core',
  'tools/testkit',
  ...(await readdir(join(root, 'connectors'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => `connectors/${d.name}`),
];

let registry: RunningRegistry;
let work: string;
let env: NodeJS.ProcessEnv;

/** The environment of a user whose npm knows the private registry for the @mage-int and @acme scopes. */
function userEnv(npmrc: string): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_(config|package|lifecycle)_|^npm_execpath$|^INIT_CWD$/i.test(key)));
  return { ...clean, npm_config_userconfig: npmrc, MAGE_INT_REGISTRY: registry.url, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true' };
}

async function run(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
  }
}

const mageInt = (args: string[], cwd: string) => run(process.execPath, [cli, ...args], cwd);

beforeAll(async () => {
  for (const dir of ['core', 'tools/testkit', 'tools/cli', 'registry', 'templates', 'connectors/destination-duckdb']) {
    await access(join(root, dir, 'dist')).catch(() => {
      throw new Error(`${dir} is not built: run \`npm run build\` first`);
    });
  }
  work = await mkdtemp(join(tmpdir(), 'mage-int-e2e-'));
  registry = await startRegistry({ port: 0, storage: join(work, 'registry-storage') });
  const token = await createRegistryUser(registry.url, 'e2e-publisher', 'correct horse battery staple');
  const hostPath = registry.url.replace(/^https?:/, '');
  const npmrc = join(work, 'npmrc');
  await writeFile(
    npmrc,
    [`@mage-int:registry=${registry.url}`, `@acme:registry=${registry.url}`, `${hostPath}:_authToken=${token}`, 'prefer-offline=true', 'update-notifier=false', 'fund=false', 'audit=false', ''].join('\n'),
  );
  env = userEnv(npmrc);
});

afterAll(async () => {
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('connector ecosystem', () => {
  it('publishes, scaffolds, tests, publishes again, installs from the registry and runs a pipeline into DuckDB', { timeout: 300_000 }, async () => {
    // 1. Publish core, the testkit and the first-party connectors (already built by `npm run build`).
    for (const dir of FIRST_PARTY) {
      const pkg = JSON.parse(await readFile(join(root, dir, 'package.json'), 'utf8')) as { 'mage-int'?: unknown };
      if (pkg['mage-int']) {
        expect(await mageInt(['publish', join(root, dir), '--no-build'], root)).toMatch(/published @mage-int\//);
      } else {
        await run('npm', ['publish', '--ignore-scripts'], join(root, dir));
      }
    }
    expect(await mageInt(['search', 'duckdb'], work)).toMatch(/destination-duckdb\s+@mage-int\/destination-duckdb/);

    // 2. Scaffold a new HTTP source outside the monorepo; its dependencies come from the registry.
    const acme = join(work, 'source-acme');
    expect(await mageInt(['new', 'source', 'acme', '--scope', '@acme', '--dir', acme], work)).toMatch(/created @acme\/source-acme/);

    // 3. The conformance suite passes on the untouched scaffold.
    const tested = await mageInt(['test', acme], work);
    expect(tested).toMatch(/@acme\/source-acme: \d+ passed, 0 failed/);

    // 4. Publish it; publishing the same version again is refused clearly.
    expect(await mageInt(['publish', acme], work)).toMatch(/published @acme\/source-acme@0\.1\.0/);
    await expect(mageInt(['publish', acme, '--no-build'], work)).rejects.toThrow(/already published/);

    // 5. A fresh project installs both connectors from the registry.
    const project = join(work, 'project');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'e2e-project', private: true, type: 'module' }, null, 2));
    expect(await mageInt(['add', 'source-acme', '--yes'], project)).toMatch(/added source acme: @acme\/source-acme@0\.1\.0 \(third party\)/);
    expect(await mageInt(['add', 'destination-duckdb'], project)).toMatch(/added destination duckdb: @mage-int\/destination-duckdb/);
    const listed = await mageInt(['list', '--json'], project);
    expect((JSON.parse(listed) as { package: string }[]).map((c) => c.package)).toEqual(['@acme/source-acme', '@mage-int/destination-duckdb']);

    // 6. Run a pipeline: acme's records into DuckDB. The API is the stand-in from the scaffold's own test config,
    //    run as a separate Node process (Node strips the types of the .ts file).
    const server = spawn(
      process.execPath,
      ['--input-type=module', '-e', `const { startFakeApi } = await import(${JSON.stringify(pathToFileURL(join(acme, 'test/testkit.config.ts')).href)}); const api = await startFakeApi(); console.log(JSON.stringify({ url: api.url, apiKey: api.apiKey })); process.on('SIGTERM', () => api.close().then(() => process.exit(0)));`],
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
    const instance = await DuckDBInstance.create(join(project, 'warehouse.duckdb'), { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    try {
      const counts = await connection.runAndReadAll('select (select count(*) from main.customers) as customers, (select count(distinct id) from main.invoices) as invoices');
      expect(counts.getRowObjectsJson()).toEqual([{ customers: '25', invoices: '40' }]);
      const sample = await connection.runAndReadAll("select name, email from main.customers where id = 'cus_007'");
      expect(sample.getRowObjectsJson()).toEqual([{ name: 'Customer 7', email: 'customer7@example.com' }]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
