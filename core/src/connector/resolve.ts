import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { closestName } from './closest-name.js';
import type { ConnectorKind, Destination, Source } from './contract.js';

/** The `mage-int` block of a connector package's package.json. */
export interface ConnectorManifest {
  type: ConnectorKind;
  name: string;
  /** first-party (`certified`), `community`, … */
  support?: string;
  capabilities?: string[];
}

/** A connector package found on disk. */
export interface InstalledConnector {
  packageName: string;
  version: string;
  description?: string;
  directory: string;
  manifest: ConnectorManifest;
}

export const CONNECTOR_KEYWORD = 'mage-int-connector';

async function readPackageJson(dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function asManifest(pkg: Record<string, unknown>): ConnectorManifest | undefined {
  const block = pkg['mage-int'] as Partial<ConnectorManifest> | undefined;
  if (!block || (block.type !== 'source' && block.type !== 'destination') || typeof block.name !== 'string') return undefined;
  return block as ConnectorManifest;
}

/** Reads a directory as a connector package, or undefined when it is not one. */
export async function readConnectorPackage(directory: string): Promise<InstalledConnector | undefined> {
  const pkg = await readPackageJson(directory);
  const manifest = pkg && asManifest(pkg);
  if (!pkg || !manifest) return undefined;
  return {
    packageName: String(pkg['name']),
    version: String(pkg['version'] ?? '0.0.0'),
    description: typeof pkg['description'] === 'string' ? pkg['description'] : undefined,
    directory,
    manifest,
  };
}

async function packageDirs(nodeModules: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(nodeModules);
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const entry of entries) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      const scoped = await readdir(join(nodeModules, entry)).catch(() => [] as string[]);
      for (const name of scoped) dirs.push(join(nodeModules, entry, name));
    } else dirs.push(join(nodeModules, entry));
  }
  return dirs;
}

/**
 * Every connector package installed where Node would resolve it from `fromDir`: each `node_modules` from
 * `fromDir` up to the root. A package counts when its package.json has a `mage-int` block; the nearest copy
 * of a package wins. Nothing is hard-coded.
 */
export async function findInstalledConnectors(fromDir = process.cwd()): Promise<InstalledConnector[]> {
  const found = new Map<string, InstalledConnector>();
  let dir = resolve(fromDir);
  for (;;) {
    for (const candidate of await packageDirs(join(dir, 'node_modules'))) {
      const connector = await readConnectorPackage(candidate);
      if (connector && !found.has(connector.packageName)) found.set(connector.packageName, connector);
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return [...found.values()].sort((a, b) => a.packageName.localeCompare(b.packageName));
}

/** The first-party package name for a connector: `source-postgres` → `@mage-int/source-postgres`. */
export function firstPartyPackageName(kind: ConnectorKind, name: string): string {
  return `@mage-int/${kind}-${name}`;
}

function entryPoint(pkg: Record<string, unknown>): string {
  const exportsField = pkg['exports'];
  const root = typeof exportsField === 'string' ? exportsField : (exportsField as Record<string, unknown> | undefined)?.['.'];
  if (typeof root === 'string') return root;
  if (root && typeof root === 'object') {
    const conditions = root as Record<string, unknown>;
    for (const key of ['import', 'default', 'node']) if (typeof conditions[key] === 'string') return conditions[key];
  }
  return typeof pkg['main'] === 'string' ? pkg['main'] : 'index.js';
}

/** Imports a connector package and returns its connector object (the default export). */
export async function loadConnector<K extends ConnectorKind>(installed: InstalledConnector, kind: K): Promise<K extends 'source' ? Source<never> : Destination<never>> {
  const pkg = (await readPackageJson(installed.directory)) ?? {};
  const module = (await import(pathToFileURL(join(installed.directory, entryPoint(pkg))).href)) as { default?: unknown };
  const connector = module.default as { kind?: string } | undefined;
  if (!connector || connector.kind !== kind) {
    throw new ConfigError('CONNECTOR_INVALID', `${installed.packageName} does not export a ${kind} connector as its default export`, {
      hint: 'a connector package default-exports its Source or Destination object',
    });
  }
  return connector as never;
}

/**
 * Finds an installed connector by its short name (`postgres`) or package name, of the given kind.
 * A missing one gets the `mage-int add` command that installs it.
 */
export async function resolveConnector(kind: ConnectorKind, ref: { name?: string; package?: string }, fromDir = process.cwd()): Promise<InstalledConnector> {
  const installed = await findInstalledConnectors(fromDir);
  const wanted = ref.package ?? ref.name ?? '';
  const matches = installed.filter(
    (c) => c.manifest.type === kind && (c.packageName === wanted || (!ref.package && c.manifest.name === ref.name)),
  );
  const firstParty = matches.find((c) => c.packageName.startsWith('@mage-int/'));
  const chosen = firstParty ?? matches[0];
  if (chosen) return chosen;
  const shortName = ref.name ?? wanted.replace(/^@[^/]+\//, '').replace(new RegExp(`^${kind}-`), '');
  const installedNames = installed.map((c) => `${c.manifest.type}-${c.manifest.name}`);
  // A typo gets the name it was probably meant to be (installed, else first party), not an install command for the typo.
  const installedOfKind = installed.filter((c) => c.manifest.type === kind).map((c) => c.manifest.name);
  const meant = ref.package ? undefined : closestName(shortName, [...installedOfKind, ...(await firstPartyNames(kind))]);
  throw new ConfigError('CONNECTOR_NOT_INSTALLED', `no ${kind} connector "${wanted}" is installed`, {
    hint: meant
      ? `did you mean ${kind}-${meant}? ${installedOfKind.includes(meant) ? `(name: ${meant})` : `install it with \`mage-int add ${kind}-${meant}\``}`
      : `run \`mage-int add ${ref.package ?? `${kind}-${shortName}`}\`${installedNames.length ? `; installed: ${installedNames.join(', ')}` : ''}`,
  });
}

/**
 * The first-party connector names of a kind, from @mage-int/registry's generated index when it is installed beside
 * core (the CLI depends on both); none otherwise. Read as a file: core does not depend on the registry package.
 */
async function firstPartyNames(kind: ConnectorKind): Promise<string[]> {
  try {
    const path = createRequire(import.meta.url).resolve('@mage-int/registry/index.json');
    const index = JSON.parse(await readFile(path, 'utf8')) as { connectors?: { type?: string; name?: string }[] };
    return (index.connectors ?? []).filter((c) => c.type === kind && typeof c.name === 'string').map((c) => c.name as string);
  } catch {
    return [];
  }
}
