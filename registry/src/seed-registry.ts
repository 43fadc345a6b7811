import { randomBytes } from 'node:crypto';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '@mage-int/core';
import { normaliseRegistry, npmFailure, runNpm } from './npm-client.js';
import { addRegistryUser, loginRegistryUser, PUBLISHER_GROUP, SEED_USER } from './registry-accounts.js';
import { RegistryError } from './registry-error.js';

/** A publishable package of the mage-int checkout. */
export interface WorkspacePackage {
  name: string;
  version: string;
  directory: string;
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  return readFile(path, 'utf8').then(
    (text) => JSON.parse(text) as Record<string, unknown>,
    () => undefined,
  );
}

/** The mage-int checkout `from` is in (the directory with the workspace package.json and core/), if any. */
export async function findCheckout(from: string): Promise<string | undefined> {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const pkg = await readJson(join(dir, 'package.json'));
    if (Array.isArray(pkg?.['workspaces']) && (await readJson(join(dir, 'core', 'package.json')))?.['name'] === '@mage-int/core')
      return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every first-party package of the checkout: its workspaces named `@mage-int/…` that are not private. */
export async function firstPartyPackages(checkout: string): Promise<WorkspacePackage[]> {
  const root = await readJson(join(checkout, 'package.json'));
  const patterns = Array.isArray(root?.['workspaces']) ? (root['workspaces'] as string[]) : [];
  const directories: string[] = [];
  for (const pattern of patterns) {
    if (!pattern.endsWith('/*')) directories.push(join(checkout, pattern));
    else {
      const parent = join(checkout, pattern.slice(0, -2));
      for (const entry of await readdir(parent, { withFileTypes: true }).catch(() => []))
        if (entry.isDirectory()) directories.push(join(parent, entry.name));
    }
  }
  const packages: WorkspacePackage[] = [];
  for (const directory of directories) {
    const pkg = await readJson(join(directory, 'package.json'));
    const name = pkg?.['name'];
    if (typeof name !== 'string' || !name.startsWith('@mage-int/') || pkg?.['private'] === true) continue;
    packages.push({ name, version: String(pkg?.['version']), directory });
  }
  return packages.sort((a, b) => a.name.localeCompare(b.name));
}

export interface SeedResult {
  published: WorkspacePackage[];
  /** Already in the registry at that version (published versions never change). */
  skipped: WorkspacePackage[];
}

/**
 * Publishes every first-party package of the checkout (built: their dist/ must exist) into a registry run by
 * `mage-int registry start` on this machine, as the seed account of the first-party publisher group. Its
 * password is new each time and never leaves this process. A version already there is kept.
 */
export async function seedRegistry(
  registry: { url: string; storage: string },
  checkout: string,
  options: { log?: (message: string) => void } = {},
): Promise<SeedResult> {
  const packages = await firstPartyPackages(checkout);
  if (packages.length === 0)
    throw new ConfigError('CHECKOUT_INVALID', `${checkout} holds no @mage-int packages`, { hint: 'seed from a mage-int checkout' });
  for (const pkg of packages) {
    const files = (await readJson(join(pkg.directory, 'package.json')))?.['files'];
    const built =
      !Array.isArray(files) ||
      !files.includes('dist') ||
      (await access(join(pkg.directory, 'dist')).then(
        () => true,
        () => false,
      ));
    if (!built)
      throw new ConfigError('CHECKOUT_NOT_BUILT', `${pkg.name} is not built (${join(pkg.directory, 'dist')} is missing)`, {
        hint: `run \`npm run build\` in ${checkout} first`,
      });
  }
  const url = normaliseRegistry(registry.url);
  const password = randomBytes(24).toString('base64url');
  await addRegistryUser(registry.storage, SEED_USER, password, { groups: [PUBLISHER_GROUP], replace: true });
  const token = await loginRegistryUser(url, SEED_USER, password);
  // A user config of its own: the token is written nowhere else, and the user's ~/.npmrc cannot redirect @mage-int.
  const configDir = await mkdtemp(join(tmpdir(), 'mage-int-seed-'));
  const userconfig = join(configDir, 'npmrc');
  try {
    await writeFile(userconfig, `@mage-int:registry=${url}\n${url.replace(/^https?:/, '')}:_authToken=${token}\n`, { mode: 0o600 });
    const env = { npm_config_userconfig: userconfig };
    const result: SeedResult = { published: [], skipped: [] };
    const publishOne = async (pkg: WorkspacePackage): Promise<void> => {
      const there = await runNpm(['view', `${pkg.name}@${pkg.version}`, 'version', '--json'], { cwd: pkg.directory, env });
      if (there.code === 0 && there.stdout.trim() !== '') {
        result.skipped.push(pkg);
        return;
      }
      const published = await runNpm(['publish', '--ignore-scripts', '--tag', 'latest'], { cwd: pkg.directory, env });
      if (published.code !== 0) npmFailure(`publishing ${pkg.name}@${pkg.version} to ${url}`, published);
      options.log?.(`published ${pkg.name}@${pkg.version}`);
      result.published.push(pkg);
    };
    // two at a time: npm is mostly waiting on the registry and on packing
    const queue = [...packages];
    await Promise.all(
      [0, 1].map(async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await publishOne(next);
      }),
    );
    return result;
  } catch (error) {
    if (error instanceof RegistryError || error instanceof ConfigError) throw error;
    throw new RegistryError('SEED_FAILED', `seeding ${url} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    await rm(configDir, { recursive: true, force: true });
  }
}
