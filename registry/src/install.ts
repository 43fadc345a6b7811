import { access, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  ConfigError,
  connectorNameMatch,
  findConnectorByName,
  findInstalledConnectors,
  readConnectorPackage,
  type ConnectorKind,
  type InstalledConnector,
} from '@mage-int/core';
import { loadConnectorIndex } from './connector-index.js';
import { lookupConnector, parseConnectorRequest, type ResolvedConnector } from './connector-lookup.js';
import { configuredRegistries, configuredRegistry, npmFailure, registryArgs, runNpm } from './npm-client.js';
import { RegistryError } from './registry-error.js';

/** The directory of the project a command works on: the nearest one with a package.json, else `cwd`. */
export async function projectDirectory(cwd: string): Promise<string> {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (
      await access(join(dir, 'package.json')).then(
        () => true,
        () => false,
      )
    )
      return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}

async function ensurePackageJson(dir: string): Promise<void> {
  const path = join(dir, 'package.json');
  if (
    await access(path).then(
      () => true,
      () => false,
    )
  )
    return;
  const name =
    basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+/, '') || 'mage-int-project';
  await writeFile(path, JSON.stringify({ name, private: true, type: 'module', dependencies: {} }, null, 2) + '\n');
}

export interface AddOptions {
  /** Where the command runs; the project is the nearest directory with a package.json. */
  cwd: string;
  /** The connector registry; npm's own config when undefined. */
  registry?: string;
  /** Install a third-party connector without asking. */
  yes?: boolean;
  /** Asks the user a yes/no question; undefined when there is no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
  /** Progress notes for the user. */
  log?: (message: string) => void;
  /** Stream npm's output (default false: captured and shown only on failure). */
  echo?: boolean;
}

export interface AddResult {
  connector: InstalledConnector;
  /** What was looked up and installed; undefined when the project already had the connector. */
  resolved?: ResolvedConnector;
  /** The project already depended on the connector: nothing was installed. */
  alreadyInstalled: boolean;
  projectDir: string;
}

/** Whether the project's package.json declares `packageName` (installed because the project asked for it). */
async function declaredDependency(projectDir: string, packageName: string): Promise<boolean> {
  const pkg = JSON.parse(await readFile(join(projectDir, 'package.json'), 'utf8').catch(() => '{}')) as Record<
    string,
    Record<string, string> | undefined
  >;
  return ['dependencies', 'devDependencies', 'optionalDependencies'].some((field) => pkg[field]?.[packageName] !== undefined);
}

/**
 * `add PostgreSQL` / `add postgresql`: a connector's name without its end would otherwise be taken as an npm package
 * name (and `postgresql` is someone else's package on npm). Names the `source-…` / `destination-…` to ask for instead.
 */
async function refuseBareConnectorName(input: string): Promise<void> {
  const name = input.replace(/@[^@/]*$/, '');
  if (name.startsWith('@') || /^(source|destination)-/i.test(name)) return;
  const meant = (await loadConnectorIndex())
    .filter((entry) => connectorNameMatch(entry, name) !== undefined)
    .map((entry) => `${entry.type}-${entry.name}`);
  if (meant.length === 0) return;
  throw new ConfigError(
    'CONNECTOR_REF_INVALID',
    `"${input}" is a connector's name: say which end, ${meant.map((m) => `\`mage-int add ${m}\``).join(' or ')}`,
  );
}

/**
 * `mage-int add`: resolves the package (first party, then community), refuses a package that is not a
 * connector, asks before installing a third-party one, installs it with npm into the project, and checks
 * the installed package once more (uninstalling it again when it is not a connector after all).
 */
export async function addConnector(input: string, options: AddOptions): Promise<AddResult> {
  const log = options.log ?? (() => {});
  await refuseBareConnectorName(input);
  const request = parseConnectorRequest(input);
  const projectDir = await projectDirectory(options.cwd);
  if (!request.range) {
    const present = await findInstalled(request.packageName ?? `${request.kind}-${request.name}`, projectDir);
    if (present && (await declaredDependency(projectDir, present.packageName)))
      return { connector: present, alreadyInstalled: true, projectDir };
  }
  const searchRegistries = options.registry ? [options.registry] : await configuredRegistries(projectDir);
  const firstPartyRegistry = await configuredRegistry('@mage-int/core', projectDir);
  const resolved = await lookupConnector(request, { registry: options.registry, searchRegistries, firstPartyRegistry, cwd: projectDir });
  if (!resolved.manifest) {
    throw new RegistryError(
      'NOT_A_CONNECTOR',
      `${resolved.packageName}@${resolved.version} is not a mage-int connector (its package.json has no "mage-int" block)`,
      {
        hint: 'connector packages declare {"mage-int": {"type": "source"|"destination", "name": ...}}; nothing was installed',
      },
    );
  }
  if (!resolved.firstParty && !options.yes) {
    const origin = resolved.registry ?? firstPartyRegistry;
    const question = resolved.packageName.startsWith('@mage-int/')
      ? `${resolved.packageName}@${resolved.version} comes from ${origin}, not from the registry configured for @mage-int (${firstPartyRegistry}), so it may not be published by mage-int. Install it?`
      : `${resolved.packageName}@${resolved.version} is a third-party ${resolved.manifest.type} (not published by mage-int). Install it?`;
    if (!options.confirm) {
      const why = resolved.packageName.startsWith('@mage-int/')
        ? `comes from ${origin}, not from the registry configured for @mage-int (${firstPartyRegistry})`
        : 'is a third-party connector';
      throw new ConfigError('CONFIRMATION_REQUIRED', `${resolved.packageName} ${why} and there is no terminal to confirm installing it`, {
        hint: `review the package, then run again with --yes: mage-int add ${input} --yes`,
      });
    }
    if (!(await options.confirm(question))) throw new ConfigError('INSTALL_DECLINED', `not installing ${resolved.packageName}`);
  }
  await ensurePackageJson(projectDir);
  const spec = `${resolved.packageName}@${request.range ?? `^${resolved.version}`}`;
  log(`installing ${spec} into ${projectDir}`);
  const registry = options.registry ?? resolved.registry;
  const result = await runNpm(['install', spec, '--save', ...registryArgs(resolved.packageName, registry)], {
    cwd: projectDir,
    echo: options.echo,
  });
  if (result.code !== 0) npmFailure(`npm install ${spec}`, result, registry ? `installing from ${registry}` : undefined);
  const connector = await readConnectorPackage(join(projectDir, 'node_modules', resolved.packageName));
  if (!connector) {
    await runNpm(['uninstall', resolved.packageName], { cwd: projectDir });
    throw new RegistryError(
      'NOT_A_CONNECTOR',
      `${resolved.packageName} was installed but is not a mage-int connector (no "mage-int" block); it was uninstalled again`,
    );
  }
  return { connector, resolved, alreadyInstalled: false, projectDir };
}

/** Finds an installed connector by package name or `source-x`, where x is its name or an alias, in any case (`source-PostgreSQL`). */
export async function findInstalled(ref: string, projectDir: string): Promise<InstalledConnector | undefined> {
  const installed = await findInstalledConnectors(projectDir);
  const direct = installed.find((c) => c.packageName.toLowerCase() === ref.toLowerCase());
  if (direct) return direct;
  const short = /^(source|destination)-(.+)$/i.exec(ref);
  return short ? findConnectorByName(installed, short[1]!.toLowerCase() as ConnectorKind, short[2]!) : undefined;
}

/** `mage-int remove`: uninstalls a connector the project depends on. */
export async function removeConnector(
  ref: string,
  options: { cwd: string; log?: (message: string) => void; echo?: boolean },
): Promise<InstalledConnector> {
  const projectDir = await projectDirectory(options.cwd);
  const connector = await findInstalled(ref, projectDir);
  const declared = connector && (await declaredDependency(projectDir, connector.packageName));
  if (!connector || !declared) {
    const installed = (await findInstalledConnectors(projectDir)).map((c) => `${c.manifest.type}-${c.manifest.name} (${c.packageName})`);
    throw new ConfigError('CONNECTOR_NOT_INSTALLED', `${ref} is not a dependency of ${join(projectDir, 'package.json')}`, {
      hint: installed.length > 0 ? `installed: ${installed.join(', ')}` : 'no connector is installed here',
    });
  }
  options.log?.(`uninstalling ${connector.packageName} from ${projectDir}`);
  const result = await runNpm(['uninstall', connector.packageName], { cwd: projectDir, echo: options.echo });
  if (result.code !== 0) npmFailure(`npm uninstall ${connector.packageName}`, result);
  return connector;
}
