import {
  asManifest,
  closestName,
  ConfigError,
  connectorNameMatch,
  firstPartyPackageName,
  type ConnectorKind,
  type ConnectorManifest,
} from '@mage-int/core';
import { findIndexEntry, loadConnectorIndex } from './connector-index.js';
import { configuredRegistry, normaliseRegistry, npmView } from './npm-client.js';
import { RegistryError } from './registry-error.js';
import { searchRegistry } from './search.js';

/** What the user asked `mage-int add` for. */
export interface ConnectorRequest {
  /** `source` / `destination` when given as `source-x`. */
  kind?: ConnectorKind;
  /** Short name when given as `source-x`. */
  name?: string;
  /** Package name when given as one (`@acme/source-x`, `some-package`). */
  packageName?: string;
  /** Version or range after `@`, if any. */
  range?: string;
}

/**
 * Parses `source-stripe`, `source-stripe@1.2`, `@acme/source-stripe@^2`, `mage-int-source-stripe`. In `source-x` the
 * name keeps its case (`source-PostgreSQL`): it is matched against names and aliases ignoring case.
 */
export function parseConnectorRequest(input: string): ConnectorRequest {
  const text = input.trim();
  const at = text.lastIndexOf('@');
  const [spec, range] = at > 0 ? [text.slice(0, at), text.slice(at + 1) || undefined] : [text, undefined];
  const short = /^(source|destination)-([a-z0-9][a-z0-9._-]*)$/i.exec(spec);
  if (short) return { kind: short[1]!.toLowerCase() as ConnectorKind, name: short[2], range };
  if (!/^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/.test(spec)) {
    throw new ConfigError('CONNECTOR_REF_INVALID', `"${input}" is neither a connector (source-x, destination-x) nor an npm package name`, {
      hint: 'e.g. `mage-int add source-postgres` or `mage-int add @acme/source-crm`',
    });
  }
  return { packageName: spec, range };
}

/** The package names tried for `source-x`, in order: first party, then the community convention. */
export function candidatePackages(request: ConnectorRequest): string[] {
  if (request.packageName) return [request.packageName];
  if (!request.kind || !request.name) return [];
  return [firstPartyPackageName(request.kind, request.name), `mage-int-${request.kind}-${request.name}`];
}

/** A published connector package, resolved from a request. */
export interface ResolvedConnector {
  packageName: string;
  version: string;
  /** The package's `mage-int` block; undefined when the package is not a connector. */
  manifest?: ConnectorManifest;
  /** `@mage-int/*` served by the registry npm is configured with for that scope; anything else is third party. */
  firstParty: boolean;
  description?: string;
  /** The registry it was found in, when not npm's configured one. */
  registry?: string;
}

/** The first-party scope: its packages are first party only when they come from the registry configured for it. */
const FIRST_PARTY_SCOPE = '@mage-int/';

async function view(
  packageName: string,
  range: string | undefined,
  registry: string | undefined,
  firstPartyRegistry: string,
  cwd: string,
): Promise<ResolvedConnector | undefined> {
  const metadata = await npmView(range ? `${packageName}@${range}` : packageName, packageName, registry, cwd);
  if (!metadata) return undefined;
  // A @mage-int package from another registry (--registry, a search hit elsewhere) may be anyone's: ask.
  const fromScopeRegistry = registry === undefined || normaliseRegistry(registry) === firstPartyRegistry;
  return {
    packageName,
    version: String(metadata['version'] ?? ''),
    manifest: asManifest(metadata),
    firstParty: packageName.startsWith(FIRST_PARTY_SCOPE) && fromScopeRegistry,
    description: typeof metadata['description'] === 'string' ? metadata['description'] : undefined,
    ...(registry ? { registry } : {}),
  };
}

export interface LookupOptions {
  /** The connector registry (`--registry`, MAGE_INT_REGISTRY); npm's own config when undefined. */
  registry?: string;
  /** Registries searched for community connectors when no candidate name exists. */
  searchRegistries: readonly string[];
  /** The registry npm is configured with for `@mage-int` (looked up when not given). */
  firstPartyRegistry?: string;
  cwd: string;
}

/**
 * Every connector name (`source-x`) known from the first-party index and the registries, for "did you mean": each
 * spelling (its name and its aliases, `source-postgresql`) with the name it stands for.
 */
async function knownConnectorNames(searchRegistries: readonly string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const entry of await loadConnectorIndex())
    for (const name of [entry.name, ...entry.aliases]) names.set(`${entry.type}-${name.toLowerCase()}`, `${entry.type}-${entry.name}`);
  for (const hit of (await Promise.all(searchRegistries.map((r) => searchRegistry(r, '')))).flat())
    if (hit.type && hit.name && !names.has(`${hit.type}-${hit.name}`)) names.set(`${hit.type}-${hit.name}`, `${hit.type}-${hit.name}`);
  return names;
}

/**
 * Finds the package to install for a request: a name or alias of a first-party connector (`source-postgresql`,
 * `source-PostgreSQL`) becomes that connector's name; then `@mage-int/<kind>-<name>`, then
 * `mage-int-<kind>-<name>`, then a registry search for a package whose `mage-int` block names this kind and
 * name or alias (a scoped community package such as `@acme/source-crm`). A package given by name is taken as is.
 */
export async function lookupConnector(asked: ConnectorRequest, options: LookupOptions): Promise<ResolvedConnector> {
  const index = await loadConnectorIndex();
  const known = asked.name === undefined ? undefined : findIndexEntry(index, asked.kind, asked.name);
  // npm package names are lower case; the name as asked is still what a community package's block is matched with.
  const request = asked.name === undefined ? asked : { ...asked, name: known?.name ?? asked.name.toLowerCase() };
  const firstPartyRegistry = normaliseRegistry(
    options.firstPartyRegistry ?? (await configuredRegistry(`${FIRST_PARTY_SCOPE}core`, options.cwd)),
  );
  for (const candidate of candidatePackages(request)) {
    const found = await view(candidate, request.range, options.registry, firstPartyRegistry, options.cwd);
    if (found) return found;
  }
  if (request.packageName) {
    throw new RegistryError(
      'PACKAGE_NOT_FOUND',
      `package ${request.packageName}${request.range ? `@${request.range}` : ''} was not found`,
      {
        hint: options.registry
          ? `looked in ${options.registry}`
          : 'looked in the registry npm is configured with; pass --registry or set MAGE_INT_REGISTRY for a private one',
      },
    );
  }
  const wanted = `${request.kind}-${request.name}`;
  const hits = (await Promise.all(options.searchRegistries.map((r) => searchRegistry(r, request.name ?? '')))).flat();
  const matching: ResolvedConnector[] = [];
  for (const hit of hits) {
    if (matching.some((m) => m.packageName === hit.package)) continue;
    const found = await view(hit.package, request.range, options.registry ?? hit.origin, firstPartyRegistry, options.cwd);
    if (found?.manifest && found.manifest.type === request.kind && connectorNameMatch(found.manifest, asked.name ?? '') !== undefined)
      matching.push(found);
  }
  if (matching.length === 1 && matching[0]) return matching[0];
  if (matching.length > 1) {
    throw new RegistryError('CONNECTOR_AMBIGUOUS', `several packages provide ${wanted}: ${matching.map((m) => m.packageName).join(', ')}`, {
      hint: `name the package: \`mage-int add ${matching[0]?.packageName}\``,
    });
  }
  // `search` lists first-party connectors from the index shipped with mage-int; say why the registry lacks one.
  const firstParty = known;
  if (firstParty) {
    const registry = options.registry ? normaliseRegistry(options.registry) : firstPartyRegistry;
    throw new RegistryError(
      'CONNECTOR_NOT_IN_REGISTRY',
      `${wanted} is a first-party connector (${firstParty.package}), but ${registry} does not have it`,
      {
        hint: `point @mage-int at a registry that serves mage-int's packages, e.g. a checkout's \`npm run registry\`: \`npm config set @mage-int:registry <url>\` (or \`mage-int init --registry <url>\` for a new project)`,
      },
    );
  }
  const spellings = await knownConnectorNames(options.searchRegistries);
  const closest = closestName(wanted, spellings.keys());
  const meant = closest === undefined ? undefined : spellings.get(closest);
  throw new RegistryError(
    'CONNECTOR_NOT_FOUND',
    `no connector ${wanted} was found (tried ${candidatePackages(request).join(', ')} and a registry search)`,
    {
      hint: meant
        ? `did you mean ${meant}? \`mage-int add ${meant}\``
        : `\`mage-int search\` lists what is available; ${options.registry ? `looked in ${options.registry}` : 'pass --registry or set MAGE_INT_REGISTRY for a private registry'}`,
    },
  );
}
