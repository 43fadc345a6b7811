import { buildCatalogStream, type Catalog } from '@mage-int/core';
import { STREAM_NAMES, type FakerSettings } from './settings.js';
import { createStreams } from './streams/create-streams.js';

/** Replication keys a stream supports: `updated_at` (changes) or `created_at` (new records only). */
export const VALID_REPLICATION_KEYS = ['updated_at', 'created_at'] as const;
export const KEY_PROPERTIES = ['id'];

/** The catalog of the three streams; every stream is selected by default and synced FULL_TABLE unless told otherwise. */
export function discoverCatalog(settings: FakerSettings): Catalog {
  const streams = createStreams(settings);
  return {
    streams: STREAM_NAMES.map((name) =>
      buildCatalogStream({
        stream: name,
        schema: structuredClone(streams[name].schema),
        keyProperties: KEY_PROPERTIES,
        validReplicationKeys: [...VALID_REPLICATION_KEYS],
        streamMetadata: { 'row-count': settings.counts[name] },
      }),
    ),
  };
}
