import { buildCatalogStream, type Catalog } from '@mage-int/core';
import { STREAMS } from './streams.js';

/** The catalog: one stream per endpoint, incremental on its replication key by default. */
export function discoverStreams(): Catalog {
  return {
    streams: STREAMS.map((stream) =>
      buildCatalogStream({
        stream: stream.name,
        schema: stream.schema,
        keyProperties: stream.keyProperties,
        validReplicationKeys: [stream.replicationKey],
        replicationMethod: 'INCREMENTAL',
        replicationKey: stream.replicationKey,
      }),
    ),
  };
}
