import { readStreams, type Catalog, type ConnectorContext, type SourceMessage, type SourceStream, type State } from '@mage-int/core';
import { KEY_PROPERTIES, VALID_REPLICATION_KEYS } from './discover.js';
import { fullTableBatches } from './read-full-table.js';
import { incrementalBatches } from './read-incremental.js';
import { STREAM_NAMES, type FakerSettings } from './settings.js';
import { createStreams } from './streams/create-streams.js';

/** The faker's streams on the source kit: each only generates records; the kit owns order, versions and bookmarks. */
export function kitStreams(settings: FakerSettings): SourceStream[] {
  const generators = createStreams(settings);
  return STREAM_NAMES.map((name) => {
    const generator = generators[name];
    return {
      name,
      keyProperties: KEY_PROPERTIES,
      replicationKey: 'updated_at',
      validReplicationKeys: VALID_REPLICATION_KEYS,
      orderedByKey: true,
      read: (sync) =>
        sync.method === 'FULL_TABLE' ? fullTableBatches(generator, settings, sync) : incrementalBatches(generator, settings, sync),
    };
  });
}

/** Reads the selected streams of `catalog` from `state`: FULL_TABLE (resumable) or INCREMENTAL. */
export function readFaker(settings: FakerSettings, catalog: Catalog, state: State, ctx: ConnectorContext): AsyncGenerator<SourceMessage> {
  return readStreams(kitStreams(settings), catalog, state, ctx);
}
