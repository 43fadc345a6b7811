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
  /**
   * Other names that find this connector in pipeline files, `mage-int add`, `remove` and `search`: the names other
   * tools use for the same system (Mage's `postgresql` for `postgres`, `amazon_s3` for `s3`).
   */
  aliases?: string[];
  /** first-party (`certified`), `community`, … */
  support?: string;
  capabilities?: string[];
}

/**
 * The form connector names are compared in: case, and spaces or hyphens against underscores, do not count, so
 * `PostgreSQL`, `postgresql` and Mage's display name `Amazon S3` (its `amazon_s3`) all match.
 */
export function connectorNameKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** Whether `wanted` is the connector's name (`exact`), one of its aliases (`alias`), or neither. */
export function connectorNameMatch(manifest: { name: string; aliases?: readonly string[] }, wanted: string): 'exact' | 'alias' | undefined {
  const key = connectorNameKey(wanted);
  if (connectorNameKey(manifest.name) === key) return 'exact';
  return (manifest.aliases ?? []).some((alias) => connectorNameKey(alias) === key) ? 'alias' : undefined;
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

/** A package.json's `mage-int` block, or undefined when it has none (or a malformed one); `aliases` keeps its strings only. */
export function asManifest(pkg: Record<string, unknown>): ConnectorManifest | undefined {
  const block = pkg['mage-int'] as Partial<ConnectorManifest> | undefined;
  if (!block || (block.type !== 'source' && block.type !== 'destination') || typeof block.name !== 'string') return undefined;
  const aliases = Array.isArray(block.aliases)
    ? block.aliases.filter((a): a is string => typeof a === 'string' && a.trim() !== '')
    : undefined;
  return { ...block, ...(aliases ? { aliases } : {}) } as ConnectorManifest;
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
export async function loadConnector<K extends ConnectorKind>(
  installed: InstalledConnector,
  kind: K,
): Promise<K extends 'source' ? Source<never> : Destination<never>> {
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
 * Finds an installed connector by its short name (`postgres`), an alias its package declares (`postgresql`) or its
 * package name, of the given kind, ignoring case (`PostgreSQL`). The connector's own name wins over another's alias,
 * first party over community. A missing one gets the `mage-int add` command that installs it, under its real name.
 */
export async function resolveConnector(
  kind: ConnectorKind,
  ref: { name?: string; package?: string },
  fromDir = process.cwd(),
): Promise<InstalledConnector> {
  const installed = await findInstalledConnectors(fromDir);
  const ofKind = installed.filter((c) => c.manifest.type === kind);
  const wanted = ref.package ?? ref.name ?? '';
  const chosen = ref.package
    ? pickFirstParty(ofKind.filter((c) => c.packageName.toLowerCase() === ref.package!.toLowerCase()))
    : (findConnectorByName(ofKind, kind, wanted) ??
      pickFirstParty(ofKind.filter((c) => c.packageName.toLowerCase() === wanted.toLowerCase())));
  if (chosen) return chosen;
  // As Mage turns a display name into its folder name (`Amazon S3` → amazon_s3); hyphens stay, as in package names.
  const shortName = (ref.name ?? wanted.replace(/^@[^/]+\//, '').replace(new RegExp(`^${kind}-`, 'i'), ''))
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '_');
  const installedNames = installed.map((c) => `${c.manifest.type}-${c.manifest.name}`);
  const firstParty = ref.package ? [] : await firstPartyConnectors(kind);
  // A name (or alias) of a first-party connector gets the command that installs it under its real name.
  const known =
    firstParty.find((c) => connectorNameMatch(c, shortName) === 'exact') ??
    firstParty.find((c) => connectorNameMatch(c, shortName) !== undefined);
  // A typo gets the name it was probably meant to be (installed, else first party), not an install command for the typo.
  const candidates = [...ofKind.map((c) => c.manifest), ...firstParty];
  const closest =
    known || ref.package
      ? undefined
      : closestName(
          shortName,
          candidates.flatMap((c) => [c.name, ...(c.aliases ?? [])]),
        );
  const meant = closest === undefined ? undefined : candidates.find((c) => connectorNameMatch(c, closest) !== undefined)?.name;
  const installedOfKind = ofKind.map((c) => c.manifest.name);
  const installedList = installedNames.length ? `; installed: ${installedNames.join(', ')}` : '';
  throw new ConfigError('CONNECTOR_NOT_INSTALLED', `no ${kind} connector "${wanted}" is installed`, {
    hint: known
      ? `run \`mage-int add ${kind}-${known.name}\`${connectorNameKey(known.name) === connectorNameKey(shortName) ? '' : ` ("${wanted}" is another name of ${kind}-${known.name})`}${installedList}`
      : meant
        ? `did you mean ${kind}-${meant}? ${installedOfKind.includes(meant) ? `(name: ${meant})` : `install it with \`mage-int add ${kind}-${meant}\``}`
        : `run \`mage-int add ${ref.package ?? `${kind}-${shortName}`}\`${installedList}`,
  });
}

/**
 * The connector of `kind` among `connectors` that `name` means: one named so, else one with that alias (ignoring
 * case); first party before community.
 */
export function findConnectorByName(
  connectors: readonly InstalledConnector[],
  kind: ConnectorKind,
  name: string,
): InstalledConnector | undefined {
  const ofKind = connectors.filter((c) => c.manifest.type === kind);
  return (
    pickFirstParty(ofKind.filter((c) => connectorNameMatch(c.manifest, name) === 'exact')) ??
    pickFirstParty(ofKind.filter((c) => connectorNameMatch(c.manifest, name) === 'alias'))
  );
}

/** The first-party package among `matches`, else the first one. */
function pickFirstParty(matches: InstalledConnector[]): InstalledConnector | undefined {
  return matches.find((c) => c.packageName.startsWith('@mage-int/')) ?? matches[0];
}

/**
 * The first-party connectors of a kind (name and aliases), from @mage-int/registry's generated index when it is
 * installed beside core (the CLI depends on both); none otherwise. Read as a file: core does not depend on the
 * registry package.
 */
async function firstPartyConnectors(kind: ConnectorKind): Promise<{ name: string; aliases: string[] }[]> {
  try {
    const path = createRequire(import.meta.url).resolve('@mage-int/registry/index.json');
    const index = JSON.parse(await readFile(path, 'utf8')) as { connectors?: { type?: string; name?: string; aliases?: unknown }[] };
    return (index.connectors ?? [])
      .filter((c) => c.type === kind && typeof c.name === 'string')
      .map((c) => ({
        name: c.name as string,
        aliases: Array.isArray(c.aliases) ? c.aliases.filter((a): a is string => typeof a === 'string') : [],
      }));
  } catch {
    return [];
  }
}
