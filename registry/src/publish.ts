import { access, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, CONNECTOR_KEYWORD } from '@mage-int/core';
import { configuredRegistry, npmErrorCode, npmFailure, registryArgs, runNpm } from './npm-client.js';
import { RegistryError } from './registry-error.js';

export interface PublishOptions {
  /** The registry to publish to; npm's config for the package's scope when undefined. */
  registry?: string;
  /** Run the package's build script first (default true). */
  build?: boolean;
  /** Check and pack, but do not upload. */
  dryRun?: boolean;
  /** dist-tag (default npm's `latest`). */
  tag?: string;
  log?: (message: string) => void;
  echo?: boolean;
}

export interface PublishResult {
  packageName: string;
  version: string;
  registry: string;
  files: string[];
  published: boolean;
}

interface PackFile {
  path: string;
}

/** Files npm would put in the package's tarball (`npm pack --dry-run --json`). */
export async function packedFiles(directory: string): Promise<string[]> {
  const result = await runNpm(['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: directory });
  if (result.code !== 0) npmFailure(`npm pack in ${directory}`, result);
  const start = result.stdout.indexOf('[');
  const packs = JSON.parse(result.stdout.slice(start)) as { files: PackFile[] }[];
  return (packs[0]?.files ?? []).map((f) => f.path).sort();
}

/** What a connector tarball may contain: built JS and types (and their maps), spec.json, package.json, docs. */
export function unexpectedFiles(files: readonly string[]): string[] {
  const allowed = /^(dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)|spec\.json|package\.json|README(\.md)?|LICENSE(\.md|\.txt)?|CHANGELOG\.md)$/i;
  return files.filter((f) => !allowed.test(f));
}

async function readPackage(directory: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError('PACKAGE_INVALID', `${directory} has no readable package.json (${(error as Error).message})`, {
      hint: 'run `mage-int publish` in a connector package directory',
    });
  }
}

/** Checks what publishing needs before anything is built or uploaded; throws PACKAGE_INVALID naming each problem. */
export async function validateConnectorPackage(directory: string, pkg: Record<string, unknown>): Promise<void> {
  const problems: string[] = [];
  if (typeof pkg['name'] !== 'string' || !pkg['name']) problems.push('package.json has no "name"');
  if (typeof pkg['version'] !== 'string' || !/^\d+\.\d+\.\d+/.test(pkg['version'])) problems.push('package.json has no semver "version"');
  if (pkg['private'] === true) problems.push('package.json says "private": true');
  const manifest = pkg['mage-int'] as { type?: unknown; name?: unknown } | undefined;
  if (!manifest) problems.push('package.json has no "mage-int" block ({"type": "source"|"destination", "name": ...})');
  else {
    if (manifest.type !== 'source' && manifest.type !== 'destination') problems.push('"mage-int".type must be "source" or "destination"');
    if (typeof manifest.name !== 'string' || !manifest.name) problems.push('"mage-int".name is missing');
  }
  if (!Array.isArray(pkg['keywords']) || !(pkg['keywords'] as unknown[]).includes(CONNECTOR_KEYWORD))
    problems.push(`"keywords" must include "${CONNECTOR_KEYWORD}" (that is how \`mage-int search\` finds connectors)`);
  try {
    const spec = JSON.parse(await readFile(join(directory, 'spec.json'), 'utf8')) as { type?: unknown };
    if (spec.type !== 'object') problems.push('spec.json must be a JSON Schema with "type": "object"');
  } catch (error) {
    problems.push(`spec.json is missing or not JSON (${(error as Error).message})`);
  }
  if (problems.length > 0) {
    throw new ConfigError('PACKAGE_INVALID', `${directory} cannot be published as a connector: ${problems.join('; ')}`, {
      hint: 'see docs/authoring-connectors.md for the package layout',
    });
  }
}

/**
 * `mage-int publish`: validates the connector package, checks the registry login and that the version is
 * new, builds, checks the tarball holds the built entry point and spec.json (and no sources), then publishes.
 */
export async function publishConnector(directory: string, options: PublishOptions = {}): Promise<PublishResult> {
  const log = options.log ?? (() => {});
  const dir = resolve(directory);
  const pkg = await readPackage(dir);
  await validateConnectorPackage(dir, pkg);
  const name = pkg['name'] as string;
  const version = pkg['version'] as string;
  const registry = options.registry ?? (await configuredRegistry(name, dir));
  const args = registryArgs(name, registry);

  if (!options.dryRun) {
    const whoami = await runNpm(['whoami', '--registry', registry], { cwd: dir });
    if (whoami.code !== 0) {
      throw new RegistryError('NOT_LOGGED_IN', `not logged in to ${registry}: publishing needs an account there`, {
        hint: `run \`npm login --registry ${registry}\` (or \`npm adduser\`), or put an _authToken for it in .npmrc`,
      });
    }
  }
  const existing = await runNpm(['view', `${name}@${version}`, 'version', '--json', ...args], { cwd: dir });
  if (existing.code === 0 && existing.stdout.trim() !== '') {
    throw new RegistryError('VERSION_EXISTS', `${name}@${version} is already published on ${registry}`, {
      hint: 'published versions never change: bump the version (`npm version patch`) and publish again',
    });
  }

  const scripts = (pkg['scripts'] ?? {}) as Record<string, string>;
  if (options.build !== false && scripts['build']) {
    log(`building ${name}`);
    const built = await runNpm(['run', 'build'], { cwd: dir, echo: options.echo });
    if (built.code !== 0) {
      throw new ConfigError(
        'BUILD_FAILED',
        `npm run build failed in ${dir}:\n${(built.stdout + built.stderr).trim().split('\n').slice(-15).join('\n')}`,
        { hint: 'fix the build, then publish again' },
      );
    }
  }

  const files = await packedFiles(dir);
  const problems: string[] = [];
  if (!files.includes('spec.json')) problems.push('spec.json is not in the package ("files" must list it)');
  const entry =
    ((pkg['exports'] as Record<string, Record<string, string> | string> | undefined)?.['.'] as Record<string, string> | undefined)?.[
      'default'
    ] ??
    (pkg['main'] as string | undefined) ??
    'index.js';
  const entryPath = entry.replace(/^\.\//, '');
  if (!files.includes(entryPath))
    problems.push(`the entry point ${entryPath} is not in the package (did the build run? is it under "files"?)`);
  if (
    !(await access(join(dir, entryPath)).then(
      () => true,
      () => false,
    ))
  )
    problems.push(`${entryPath} does not exist: build the package first`);
  const unexpected = unexpectedFiles(files);
  if (unexpected.length > 0)
    problems.push(`the package would ship files other than built JS, types and spec.json: ${unexpected.slice(0, 8).join(', ')}`);
  if (problems.length > 0)
    throw new ConfigError('PACKAGE_INVALID', `${name}@${version} cannot be published: ${problems.join('; ')}`, {
      hint: 'set "files": ["dist", "spec.json"] in package.json',
    });

  if (options.dryRun) return { packageName: name, version, registry, files, published: false };
  log(`publishing ${name}@${version} to ${registry}`);
  const result = await runNpm(['publish', '--ignore-scripts', ...args, ...(options.tag ? ['--tag', options.tag] : [])], {
    cwd: dir,
    echo: options.echo,
  });
  if (result.code !== 0) {
    const code = npmErrorCode(result.stderr);
    if (code === 'ENEEDAUTH' || code === 'E401') {
      throw new RegistryError('NOT_LOGGED_IN', `${registry} refused the upload: not logged in`, {
        hint: `run \`npm login --registry ${registry}\``,
      });
    }
    if (code === 'EPUBLISHCONFLICT' || /previously published|cannot publish over/i.test(result.stderr)) {
      throw new RegistryError('VERSION_EXISTS', `${name}@${version} is already published on ${registry}`, {
        hint: 'bump the version (`npm version patch`) and publish again',
      });
    }
    if (code === 'E403') {
      throw new RegistryError('PUBLISH_FORBIDDEN', `${registry} does not let this account publish ${name}`, {
        hint: name.startsWith('@mage-int/')
          ? 'only the first-party publisher group may publish @mage-int/* (on a mage-int registry: `mage-int registry adduser <name> --first-party`, then log in again); publish your own connectors under your scope'
          : 'check the package scope and your permissions on the registry',
      });
    }
    npmFailure(`npm publish of ${name}@${version}`, result);
  }
  return { packageName: name, version, registry, files, published: true };
}
