import { CONNECTOR_KEYWORD, connectorNameMatch, type ConnectorKind } from '@mage-int/core';
import { loadConnectorIndex } from './connector-index.js';
import { normaliseRegistry } from './npm-client.js';

/** A connector found by `mage-int search`. */
export interface SearchHit {
  package: string;
  version: string;
  description: string;
  /** From the index or the package name (`source-x`, `destination-x`); undefined when neither tells. */
  type?: ConnectorKind;
  name?: string;
  /** Other names that find it (first-party connectors: from the index). */
  aliases?: string[];
  support: string;
  /** Where it was found: `index` or a registry URL. */
  origin: string;
}

interface NpmSearchObject {
  package: { name: string; version?: string; description?: string; keywords?: string[]; 'dist-tags'?: { latest?: string } };
}

function kindAndName(packageName: string): { type?: ConnectorKind; name?: string } {
  const match = /(?:^|\/|-)(source|destination)-([a-z0-9][a-z0-9-]*)$/.exec(packageName);
  return match ? { type: match[1] as ConnectorKind, name: match[2] } : {};
}

function matches(term: string | undefined, ...fields: (string | undefined)[]): boolean {
  const needle = (term ?? '').trim().toLowerCase();
  return needle === '' || fields.some((f) => f?.toLowerCase().includes(needle));
}

/**
 * Queries one registry's search API for connector packages (keyword `mage-int-connector`) matching `term`.
 * npmjs understands `keywords:` in the query; registries that do not (verdaccio) get a plain text query,
 * and the keyword is checked here.
 */
export async function searchRegistry(registry: string, term: string | undefined, fetchImpl: typeof fetch = fetch): Promise<SearchHit[]> {
  const base = normaliseRegistry(registry);
  term = (term ?? '').trim();
  const queries = [`keywords:${CONNECTOR_KEYWORD}${term ? ` ${term}` : ''}`, term];
  const found = new Map<string, SearchHit>();
  for (const text of queries) {
    const url = new URL('-/v1/search', base);
    url.searchParams.set('text', text);
    url.searchParams.set('size', '250');
    let body: { objects?: NpmSearchObject[] };
    try {
      const response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
      if (!response.ok) continue;
      body = (await response.json()) as { objects?: NpmSearchObject[] };
    } catch {
      continue; // an unreachable registry must not hide results from the others
    }
    for (const { package: pkg } of body.objects ?? []) {
      if (!pkg?.name || !(pkg.keywords ?? []).includes(CONNECTOR_KEYWORD)) continue;
      if (!matches(term, pkg.name, pkg.description, ...(pkg.keywords ?? []))) continue;
      found.set(pkg.name, {
        package: pkg.name,
        version: pkg.version ?? pkg['dist-tags']?.latest ?? '',
        description: pkg.description ?? '',
        ...kindAndName(pkg.name),
        support: pkg.name.startsWith('@mage-int/') ? 'certified' : 'community',
        origin: base,
      });
    }
  }
  return [...found.values()];
}

/**
 * Searches the first-party index and every given registry; index entries win for first-party packages
 * (they carry support level and capabilities), registry hits add community packages. With
 * `firstPartyRegistry` (the registry configured for @mage-int), a `@mage-int/…` package found in another
 * registry is shown as third party, as `mage-int add` treats it.
 */
export async function searchConnectors(
  term: string | undefined,
  registries: readonly string[],
  options: { firstPartyRegistry?: string; fetchImpl?: typeof fetch } = {},
): Promise<SearchHit[]> {
  const hits = new Map<string, SearchHit>();
  for (const entry of await loadConnectorIndex()) {
    const names = [entry.name, ...entry.aliases].flatMap((name) => [name, `${entry.type}-${name}`]);
    // `search "Amazon S3"` finds amazon_s3 as the pipeline file's `name: Amazon S3` does.
    const byName = term !== undefined && term.trim() !== '' && connectorNameMatch(entry, term) !== undefined;
    if (!byName && !matches(term, entry.package, ...names, entry.description, ...entry.keywords, ...entry.capabilities)) continue;
    hits.set(entry.package, {
      package: entry.package,
      version: entry.version,
      description: entry.description,
      type: entry.type,
      name: entry.name,
      aliases: entry.aliases,
      support: entry.support,
      origin: 'index',
    });
  }
  const firstPartyRegistry = options.firstPartyRegistry && normaliseRegistry(options.firstPartyRegistry);
  const results = await Promise.all(registries.map((registry) => searchRegistry(registry, term, options.fetchImpl)));
  for (const hit of results.flat()) {
    const elsewhere = firstPartyRegistry !== undefined && hit.package.startsWith('@mage-int/') && hit.origin !== firstPartyRegistry;
    if (elsewhere) {
      hits.set(`${hit.package} ${hit.origin}`, { ...hit, support: 'third party' });
      continue;
    }
    const known = hits.get(hit.package);
    if (known)
      known.version = hit.version || known.version; // the registry knows the latest published version
    else hits.set(hit.package, hit);
  }
  return [...hits.values()].sort((a, b) =>
    a.support === b.support ? a.package.localeCompare(b.package) : a.support === 'certified' ? -1 : b.support === 'certified' ? 1 : 0,
  );
}
