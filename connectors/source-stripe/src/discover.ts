import { buildCatalogStream, type Catalog } from '@mage-int/core';
import { streamSchema, STREAMS, SUBSCRIPTION_ITEMS } from './streams.js';

/** The catalog: every stream keyed by `id`, INCREMENTAL on `created` (invoice items: `date`) by default (FULL_TABLE works too). */
export function discoverStreams(): Catalog {
  const entries: { name: string; deletes: boolean; replicationKey?: string }[] = [
    ...STREAMS,
    { name: SUBSCRIPTION_ITEMS.name, deletes: false },
  ];
  return {
    streams: entries
      .map(({ name, deletes, replicationKey = 'created' }) =>
        buildCatalogStream({
          stream: name,
          schema: streamSchema(name, deletes),
          keyProperties: ['id'],
          validReplicationKeys: [replicationKey],
          replicationMethod: 'INCREMENTAL',
          replicationKey,
        }),
      )
      .sort((a, b) => a.stream.localeCompare(b.stream)),
  };
}
