// publish / add / search / list / remove against a real verdaccio, through the mage-int command line.
import { execFile, spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addRegistryUser,
  createRegistryUser,
  loginRegistryUser,
  PUBLISHER_GROUP,
  startRegistry,
  type RunningRegistry,
} from '@mage-int/registry';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'tools/cli/bin/run.js');

let registry: RunningRegistry;
let work: string;
let loggedIn: string;
let anonymous: string;
/** A member of the first-party publisher group. */
let _publisher: string;

interface Outcome {
  code: number;
  output: string;
}

function mageInt(args: string[], cwd: string, npmrc = loggedIn, input = ''): Promise<Outcome> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_(config|package|lifecycle)_|^npm_execpath$|^INIT_CWD$/i.test(key)),
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd,
      env: { ...clean, npm_config_userconfig: npmrc, MAGE_INT_REGISTRY: registry.url, NO_COLOR: '1' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdin.end(input);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** An npm user config logged in to `url` with `token`, mapping @acme and @mage-int there. */
async function npmrcFor(name: string, url: string, token?: string): Promise<string> {
  const path = join(work, `npmrc-${name}`);
  const lines = [`@acme:registry=${url}`, `@mage-int:registry=${url}`, 'update-notifier=false', 'fund=false', 'audit=false', ''];
  await writeFile(path, [...(token ? [`${url.replace(/^https?:/, '')}:_authToken=${token}`] : []), ...lines].join('\n'));
  return path;
}

/** A minimal connector package (plain JS, nothing to build). */
async function connectorPackage(
  name: string,
  options: { manifest?: boolean; extraFiles?: string[]; version?: string; aliases?: string[] } = {},
): Promise<string> {
  const dir = join(work, 'packages', name.replace('/', '__'));
  await mkdir(join(dir, 'dist'), { recursive: true });
  await mkdir(join(dir, 'src'), { recursive: true });
  const short =
    name
      .split('/')
      .at(-1)
      ?.replace(/^source-/, '') ?? 'x';
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({
      name,
      version: options.version ?? '1.0.0',
      type: 'module',
      description: `tiny test connector ${short}`,
      keywords: ['mage-int-connector'],
      ...(options.manifest === false
        ? {}
        : { 'mage-int': { type: 'source', name: short, ...(options.aliases ? { aliases: options.aliases } : {}), support: 'community' } }),
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
  await addRegistryUser(registry.storage, 'alice', 'a long enough password');
  await addRegistryUser(registry.storage, 'release', 'the release password', { groups: [PUBLISHER_GROUP] });
  loggedIn = await npmrcFor('alice', registry.url, await loginRegistryUser(registry.url, 'alice', 'a long enough password'));
  _publisher = await npmrcFor('release', registry.url, await loginRegistryUser(registry.url, 'release', 'the release password'));
  anonymous = await npmrcFor('anonymous', registry.url);
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

describe('registry accounts and the first-party scope', () => {
  it('has sign-up off: npm adduser is refused, `mage-int registry adduser` creates an account that can log in', async () => {
    await expect(createRegistryUser(registry.url, 'mallory', 'a long enough password')).rejects.toThrow(/registration disabled[\s\S]*/);
    const created = await mageInt(['registry', 'adduser', 'bob', '--storage', registry.storage], work, anonymous, 'bobs long password\n');
    expect(created.output).toMatch(/created account bob in /);
    expect(created.code).toBe(0);
    expect(await loginRegistryUser(registry.url, 'bob', 'bobs long password')).toMatch(/\S{20,}/);
    await expect(loginRegistryUser(registry.url, 'bob', 'a wrong password')).rejects.toThrow(/could not log in as bob/);
    const again = await mageInt(['registry', 'adduser', 'bob', '--storage', registry.storage], work, anonymous, 'another password\n');
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/account bob already exists/);
  });

  it('lets only the first-party publisher group publish @mage-int packages', async () => {
    const dir = await connectorPackage('@mage-int/source-tiny');
    const refused = await mageInt(['publish', dir], work, loggedIn);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/does not let this account publish @mage-int\/source-tiny/);
    expect(refused.output).toMatch(/only the first-party publisher group may publish @mage-int/);
    const added = await mageInt(
      ['registry', 'adduser', 'carol', '--first-party', '--storage', registry.storage],
      work,
      anonymous,
      'carols long password\n',
    );
    expect(added.output).toMatch(/group mage-int-publishers/);
    const carol = await npmrcFor('carol', registry.url, await loginRegistryUser(registry.url, 'carol', 'carols long password'));
    const published = await mageInt(['publish', dir], work, carol);
    expect(published.output).toMatch(/published @mage-int\/source-tiny@1\.0\.0/);
    expect(published.code).toBe(0);
  });

  it('asks before installing a @mage-int connector from another registry than the one configured for @mage-int', async () => {
    // someone else's registry, where anyone in its own publisher group can publish under @mage-int
    const other = await startRegistry({ port: 0, storage: join(work, 'other-storage') });
    try {
      await addRegistryUser(other.storage, 'mallory', 'mallorys long password', { groups: [PUBLISHER_GROUP] });
      const mallory = await npmrcFor('mallory', other.url, await loginRegistryUser(other.url, 'mallory', 'mallorys long password'));
      expect(
        (await mageInt(['publish', await connectorPackage('@mage-int/source-lookalike'), '--registry', other.url], work, mallory)).code,
      ).toBe(0);
      const project = join(work, 'scope-project');
      await mkdir(project, { recursive: true });
      await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'scope-project', private: true, type: 'module' }));
      const asked = await mageInt(['add', 'source-lookalike', '--registry', other.url], project, anonymous);
      expect(asked.code).toBe(2);
      expect(asked.output).toContain(
        `@mage-int/source-lookalike comes from ${other.url}, not from the registry configured for @mage-int (${registry.url}) and there is no terminal to confirm`,
      );
      await expect(access(join(project, 'node_modules/@mage-int/source-lookalike'))).rejects.toThrow();
      const searched = await mageInt(['search', 'lookalike', '--registry', other.url], project, anonymous);
      expect(searched.output).toMatch(/source-lookalike\s+@mage-int\/source-lookalike\s+1\.0\.0\s+third party/);
      const confirmed = await mageInt(['add', 'source-lookalike', '--registry', other.url, '--yes'], project, anonymous);
      expect(confirmed.output).toMatch(/added source lookalike: @mage-int\/source-lookalike@1\.0\.0 \(third party\)/);
      // from the registry npm is configured with for @mage-int: first party, no question
      const trusted = await mageInt(['add', 'source-tiny'], project, anonymous);
      expect(trusted.output).toMatch(/added source tiny: @mage-int\/source-tiny@1\.0\.0\n/);
    } finally {
      await other.close();
    }
  });
});

describe('mage-int add, list, search, remove', () => {
  let project: string;
  beforeAll(async () => {
    // published here so this block does not depend on the order of the one above
    await mageInt(['publish', await connectorPackage('@acme/source-crm', { version: '2.1.0' })], work);
    const plain = await connectorPackage('@acme/not-a-connector', { manifest: false });
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^npm_(config|package|lifecycle)_|^npm_execpath$/i.test(key)),
    );
    await new Promise<void>((resolve, reject) =>
      execFile('npm', ['publish', '--ignore-scripts'], { cwd: plain, env: { ...clean, npm_config_userconfig: loggedIn } }, (error) =>
        error ? reject(error) : resolve(),
      ),
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

  it("lists every connector with `search` and no term: the first-party index and the registry's community ones", async () => {
    const result = await mageInt(['search'], work);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/source-postgres\s+@mage-int\/source-postgres/);
    expect(result.output).toMatch(/destination-duckdb\s+@mage-int\/destination-duckdb/);
    expect(result.output).toMatch(/source-crm\s+@acme\/source-crm\s+2\.1\.0\s+community/);
  });

  it('answers a misspelled connector name with the one it probably meant', async () => {
    const firstParty = await mageInt(['add', 'source-postgress'], project);
    expect(firstParty.code).toBe(1);
    expect(firstParty.output).toMatch(/hint: did you mean source-postgres\? `mage-int add source-postgres`/);
    const community = await mageInt(['add', 'source-crn'], project);
    expect(community.output).toMatch(/hint: did you mean source-crm\?/);
    expect(community.output).not.toMatch(/mage-int add source-crn/);
  });

  it('says why a first-party connector that search lists is not in the registry npm uses for @mage-int', async () => {
    // this registry has no @mage-int/source-faker (nothing was seeded into it)
    const result = await mageInt(['add', 'source-faker'], project);
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      `source-faker is a first-party connector (@mage-int/source-faker), but ${registry.url} does not have it`,
    );
    expect(result.output).toMatch(
      /hint: point @mage-int at a registry that serves mage-int's packages, e\.g\. a checkout's `npm run registry`/,
    );
  });

  it('says clearly when no connector of that name exists', async () => {
    const result = await mageInt(['add', 'source-nothing-like-this'], project);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /no connector source-nothing-like-this was found \(tried @mage-int\/source-nothing-like-this, mage-int-source-nothing-like-this/,
    );
  });

  it("finds first-party connectors by Mage's names in any case: search lists the alias, add resolves it to the real package", async () => {
    const searched = await mageInt(['search', 'PostgreSQL'], work);
    expect(searched.output).toMatch(/source-postgres\s+@mage-int\/source-postgres\s+\S+\s+certified\s+postgresql\s/);
    expect(searched.output).toMatch(/destination-postgres\s+@mage-int\/destination-postgres\s+\S+\s+certified\s+postgresql\s/);
    const s3 = JSON.parse((await mageInt(['search', 'Amazon S3', '--json'], work)).output) as { package: string; aliases: string[] }[];
    expect(s3.map((h) => h.package).sort()).toEqual(['@mage-int/destination-s3', '@mage-int/source-s3']);
    expect(s3[0]?.aliases).toContain('amazon_s3');
    // this registry has no @mage-int packages: the answer names the real package, not one for the name as typed
    const added = await mageInt(['add', 'source-PostgreSQL'], project);
    expect(added.code).toBe(1);
    expect(added.output).toContain(
      `source-postgres is a first-party connector (@mage-int/source-postgres), but ${registry.url} does not have it`,
    );
    expect(added.output).not.toMatch(/source-PostgreSQL|source-postgresql/);
    // without its end, a connector's name is not taken for an npm package of that name
    const bare = await mageInt(['add', 'PostgreSQL'], project);
    expect(bare.code).toBe(2);
    expect(bare.output).toContain(
      '"PostgreSQL" is a connector\'s name: say which end, `mage-int add destination-postgres` or `mage-int add source-postgres`',
    );
    const typo = await mageInt(['add', 'destination-amazon_s4'], project);
    expect(typo.output).toMatch(/hint: did you mean destination-s3\? `mage-int add destination-s3`/);
  });

  it('installs, runs and removes a community connector by its name in another case and by the alias its package declares', async () => {
    await mageInt(['publish', await connectorPackage('@acme/source-ledger', { aliases: ['books', 'general_ledger'] })], work);
    const added = await mageInt(['add', 'source-LEDGER', '--yes'], project);
    expect(added.output).toMatch(/added source ledger: @acme\/source-ledger@1\.0\.0 \(third party\)/);
    expect((await mageInt(['add', 'source-Books'], project)).output).toMatch(
      /source-ledger is already installed: @acme\/source-ledger@1\.0\.0/,
    );
    await writeFile(join(project, 'ledger.yaml'), 'id: ledger\nsource:\n  name: General Ledger\ndestination:\n  command: cat\n');
    const discovered = await mageInt(['discover', 'ledger.yaml', '--json'], project);
    expect(discovered.output).not.toMatch(/not installed/);
    expect(discovered.code).toBe(0);
    const removed = await mageInt(['remove', 'source-BOOKS'], project);
    expect(removed.output).toMatch(/removed source ledger \(@acme\/source-ledger\)/);
  });

  it('installs a community connector found by search with --yes, lists it, and removes it', async () => {
    const added = await mageInt(['add', 'source-crm', '--yes'], project);
    expect(added.output).toMatch(/added source crm: @acme\/source-crm@2\.1\.0 \(third party\)/);
    const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['@acme/source-crm']).toBe('^2.1.0');
    const listed = await mageInt(['list'], project);
    expect(listed.output).toMatch(/source-crm\s+@acme\/source-crm\s+2\.1\.0\s+community/);
    const again = await mageInt(['add', 'source-crm', '--yes'], project);
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/source-crm is already installed: @acme\/source-crm@2\.1\.0/);
    expect(again.output).not.toMatch(/installing/);
    // a pipeline naming it with a typo is pointed at the installed one, not told to install the typo
    await writeFile(join(project, 'typo.yaml'), 'id: typo\nsource:\n  name: crn\ndestination:\n  name: jsonl\n');
    const typo = await mageInt(['discover', 'typo.yaml'], project);
    expect(typo.code).toBe(2);
    expect(typo.output).toMatch(/no source connector "crn" is installed/);
    expect(typo.output).toMatch(/hint: did you mean source-crm\?/);
    expect(typo.output).not.toMatch(/mage-int add source-crn/);
    // a typo of a first-party connector that is not installed gets its install command, not one for the typo
    await writeFile(join(project, 'typo-pg.yaml'), 'id: typo-pg\nsource:\n  name: postgress\ndestination:\n  name: jsonl\n');
    const typoPg = await mageInt(['discover', 'typo-pg.yaml'], project);
    expect(typoPg.output).toMatch(/hint: did you mean source-postgres\? install it with `mage-int add source-postgres`/);
    const removed = await mageInt(['remove', 'source-crm'], project);
    expect(removed.output).toMatch(/removed source crm \(@acme\/source-crm\)/);
    const after = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(after.dependencies?.['@acme/source-crm']).toBeUndefined();
    const removedAgain = await mageInt(['remove', 'source-crm'], project);
    expect(removedAgain.code).toBe(2);
    expect(removedAgain.output).toMatch(/source-crm is not a dependency/);
  });
});
