// publish / add / search / list / remove against a real verdaccio, through the mage-int command line.
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryUser, startRegistry, type RunningRegistry } from '@mage-int/registry';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'tools/cli/bin/run.js');

let registry: RunningRegistry;
let work: string;
let loggedIn: string;
let anonymous: string;

interface Outcome {
  code: number;
  output: string;
}

function mageInt(args: string[], cwd: string, npmrc = loggedIn): Promise<Outcome> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_(config|package|lifecycle)_|^npm_execpath$|^INIT_CWD$/i.test(key)));
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, env: { ...clean, npm_config_userconfig: npmrc, MAGE_INT_REGISTRY: registry.url, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

/** A minimal connector package (plain JS, nothing to build). */
async function connectorPackage(name: string, options: { manifest?: boolean; extraFiles?: string[]; version?: string } = {}): Promise<string> {
  const dir = join(work, 'packages', name.replace('/', '__'));
  await mkdir(join(dir, 'dist'), { recursive: true });
  await mkdir(join(dir, 'src'), { recursive: true });
  const short = name.split('/').at(-1)?.replace(/^source-/, '') ?? 'x';
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({
      name,
      version: options.version ?? '1.0.0',
      type: 'module',
      description: `tiny test connector ${short}`,
      keywords: ['mage-int-connector'],
      ...(options.manifest === false ? {} : { 'mage-int': { type: 'source', name: short, support: 'community' } }),
      exports: { '.': { default: './dist/index.js' }, './package.json': './package.json' },
      files: ['dist', 'spec.json', ...(options.extraFiles ?? [])],
    }),
  );
  await writeFile(join(dir, 'spec.json'), JSON.stringify({ type: 'object', properties: {} }));
  await writeFile(
    join(dir, 'dist/index.js'),
    `export default { kind: 'source', name: '${short}', spec: { type: 'object', properties: {} }, async check() { return { ok: true }; }, async discover() { return { streams: [] }; }, async *read() {} };\n`,
  );
  await writeFile(join(dir, 'src/index.ts'), 'export {};\n');
  return dir;
}

beforeAll(async () => {
  await access(join(root, 'tools/cli/dist')).catch(() => {
    throw new Error('tools/cli is not built: run `npm run build` first');
  });
  work = await mkdtemp(join(tmpdir(), 'mage-int-registry-'));
  registry = await startRegistry({ port: 0, storage: join(work, 'storage') });
  const token = await createRegistryUser(registry.url, 'alice', 'a long enough password');
  const host = registry.url.replace(/^https?:/, '');
  const common = [`@acme:registry=${registry.url}`, `@mage-int:registry=${registry.url}`, 'update-notifier=false', 'fund=false', 'audit=false', ''];
  loggedIn = join(work, 'npmrc-alice');
  anonymous = join(work, 'npmrc-anonymous');
  await writeFile(loggedIn, [`${host}:_authToken=${token}`, ...common].join('\n'));
  await writeFile(anonymous, common.join('\n'));
});

afterAll(async () => {
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('mage-int publish', () => {
  it('refuses to publish without a login, saying how to log in', async () => {
    const dir = await connectorPackage('@acme/source-tiny');
    const result = await mageInt(['publish', dir], work, anonymous);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/not logged in to http:\/\/127\.0\.0\.1:\d+\//);
    expect(result.output).toMatch(/hint: run `npm login --registry/);
  });

  it('publishes a connector, then refuses the same version again', async () => {
    const dir = await connectorPackage('@acme/source-tiny');
    const first = await mageInt(['publish', dir], work);
    expect(first.output).toMatch(/published @acme\/source-tiny@1\.0\.0 to http/);
    expect(first.code).toBe(0);
    const again = await mageInt(['publish', dir], work);
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/@acme\/source-tiny@1\.0\.0 is already published/);
    expect(again.output).toMatch(/npm version patch/);
  });

  it('refuses a package that is not a connector, naming what is missing', async () => {
    const dir = await connectorPackage('@acme/plain-library', { manifest: false });
    const result = await mageInt(['publish', dir], work);
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/cannot be published as a connector: package\.json has no "mage-int" block/);
  });

  it('refuses a tarball that would ship sources', async () => {
    const dir = await connectorPackage('@acme/source-leaky', { extraFiles: ['src'] });
    const result = await mageInt(['publish', dir], work);
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/would ship files other than built JS, types and spec\.json: src\/index\.ts/);
  });
});

describe('mage-int add, list, search, remove', () => {
  let project: string;
  beforeAll(async () => {
    // published here so this block does not depend on the order of the one above
    await mageInt(['publish', await connectorPackage('@acme/source-crm', { version: '2.1.0' })], work);
    const plain = await connectorPackage('@acme/not-a-connector', { manifest: false });
    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_(config|package|lifecycle)_|^npm_execpath$/i.test(key)));
    await new Promise<void>((resolve, reject) =>
      execFile('npm', ['publish', '--ignore-scripts'], { cwd: plain, env: { ...clean, npm_config_userconfig: loggedIn } }, (error) => (error ? reject(error) : resolve())),
    );
    project = join(work, 'project');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'project', private: true, type: 'module' }));
  });

  it('finds community connectors in the registry with search', async () => {
    const result = await mageInt(['search', 'crm'], work);
    expect(result.output).toMatch(/source-crm\s+@acme\/source-crm\s+2\.1\.0\s+community/);
    expect(result.output).not.toMatch(/not-a-connector/);
  });

  it('refuses a third-party connector without a terminal or --yes', async () => {
    const result = await mageInt(['add', 'source-crm'], project);
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/@acme\/source-crm is a third-party connector and there is no terminal to confirm/);
    expect(result.output).toMatch(/--yes/);
    await expect(access(join(project, 'node_modules/@acme/source-crm'))).rejects.toThrow();
  });

  it('refuses a package that is not a connector and installs nothing', async () => {
    const result = await mageInt(['add', '@acme/not-a-connector', '--yes'], project);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/is not a mage-int connector/);
    await expect(access(join(project, 'node_modules/@acme/not-a-connector'))).rejects.toThrow();
  });

  it('says clearly when no connector of that name exists', async () => {
    const result = await mageInt(['add', 'source-nothing-like-this'], project);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/no connector source-nothing-like-this was found \(tried @mage-int\/source-nothing-like-this, mage-int-source-nothing-like-this/);
  });

  it('installs a community connector found by search with --yes, lists it, and removes it', async () => {
    const added = await mageInt(['add', 'source-crm', '--yes'], project);
    expect(added.output).toMatch(/added source crm: @acme\/source-crm@2\.1\.0 \(third party\)/);
    const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['@acme/source-crm']).toBe('^2.1.0');
    const listed = await mageInt(['list'], project);
    expect(listed.output).toMatch(/source-crm\s+@acme\/source-crm\s+2\.1\.0\s+community/);
    const removed = await mageInt(['remove', 'source-crm'], project);
    expect(removed.output).toMatch(/removed source crm \(@acme\/source-crm\)/);
    const after = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(after.dependencies?.['@acme/source-crm']).toBeUndefined();
    const again = await mageInt(['remove', 'source-crm'], project);
    expect(again.code).toBe(2);
    expect(again.output).toMatch(/source-crm is not a dependency/);
  });
});
