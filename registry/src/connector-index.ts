import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { connectorNameMatch, type ConnectorKind, type JsonSchema } from '@mage-int/core';

/** One first-party connector in registry/index.json (generated from connectors/*). */
export interface ConnectorIndexEntry {
  package: string;
  type: ConnectorKind;
  name: string;
  /** Other names that find it (`postgresql` for `postgres`: Mage's names), from its `mage-int` block. */
  aliases: string[];
  version: string;
  description: string;
  support: string;
  capabilities: string[];
  keywords: string[];
  /** The connector's config schema (its spec.json). */
  config: JsonSchema | null;
}

/** Where the generated index lives (beside src/ and dist/). */
export const INDEX_PATH = fileURLToPath(new URL('../index.json', import.meta.url));

/** The connector index built with this package; empty when it was not generated (run the package's build). */
export async function loadConnectorIndex(path = INDEX_PATH): Promise<ConnectorIndexEntry[]> {
  try {
    const document = JSON.parse(await readFile(path, 'utf8')) as { connectors?: ConnectorIndexEntry[] };
    return (document.connectors ?? []).map((entry) => ({ ...entry, aliases: entry.aliases ?? [] }));
  } catch {
    return [];
  }
}

/**
 * The first-party connector of `kind` that `name` means: its own name, else one of its aliases, compared as
 * connector names are (`PostgreSQL` → postgres).
 */
export function findIndexEntry(
  entries: readonly ConnectorIndexEntry[],
  kind: ConnectorKind | undefined,
  name: string,
): ConnectorIndexEntry | undefined {
  const ofKind = entries.filter((entry) => kind === undefined || entry.type === kind);
  return (
    ofKind.find((entry) => connectorNameMatch(entry, name) === 'exact') ??
    ofKind.find((entry) => connectorNameMatch(entry, name) === 'alias')
  );
}
