import {
  ConfigError,
  replicationKey,
  replicationMethod,
  selectedFields,
  selectedStreams,
  type Catalog,
  type CatalogStream,
  type ConnectorContext,
  type RecordData,
  type SourceMessage,
  type State,
} from '@mage-int/core';
import { VALID_REPLICATION_KEYS } from './discover.js';
import { readFullTable } from './read-full-table.js';
import { readIncremental } from './read-incremental.js';
import { STREAM_NAMES, type FakerSettings, type StreamName } from './settings.js';
import { createStreams } from './streams/create-streams.js';
import type { FakerStream } from './streams/faker-stream.js';

/** What the per-method readers share. `state` is replaced (never mutated) as bookmarks move. */
export interface StreamSync {
  settings: FakerSettings;
  generator: FakerStream;
  entry: CatalogStream;
  /** Keeps only the selected fields of a record (identity when all are selected). */
  project: (record: RecordData) => RecordData;
  /** The SCHEMA's properties after field selection. */
  schema: FakerStream['schema'];
  ctx: ConnectorContext;
  current: { state: State };
}

/** Streams in catalog order, except that an interrupted one (`currently_syncing`) goes first, as Singer taps do. */
function syncOrder(streams: CatalogStream[], currentlySyncing: unknown): CatalogStream[] {
  const index = streams.findIndex((s) => s.tap_stream_id === currentlySyncing);
  if (index <= 0) return streams;
  return [streams[index] as CatalogStream, ...streams.slice(0, index), ...streams.slice(index + 1)];
}

function projection(entry: CatalogStream, generator: FakerStream): Pick<StreamSync, 'project' | 'schema'> {
  const all = Object.keys(generator.schema.properties ?? {});
  const keep = selectedFields({ ...entry, schema: generator.schema });
  if (keep.length === all.length) return { project: (record) => record, schema: generator.schema };
  const properties = Object.fromEntries(keep.map((f) => [f, generator.schema.properties?.[f] ?? {}]));
  return {
    schema: { ...generator.schema, properties },
    project: (record) => {
      const out: RecordData = {};
      for (const field of keep) out[field] = record[field];
      return out;
    },
  };
}

/** Reads the selected streams of `catalog` from `state`: FULL_TABLE (resumable) or INCREMENTAL. */
export async function* readFaker(settings: FakerSettings, catalog: Catalog, state: State, ctx: ConnectorContext): AsyncGenerator<SourceMessage> {
  const generators = createStreams(settings);
  const current = { state };
  for (const entry of syncOrder(selectedStreams(catalog), state.currently_syncing)) {
    const name = entry.stream as StreamName;
    if (!STREAM_NAMES.includes(name)) {
      throw new ConfigError('STREAM_UNKNOWN', 'the faker source has no such stream', {
        stream: entry.stream,
        hint: `streams: ${STREAM_NAMES.join(', ')}`,
      });
    }
    const generator = generators[name];
    const sync: StreamSync = { settings, generator, entry, ctx, current, ...projection(entry, generator) };
    const method = replicationMethod(entry);
    if (method === 'FULL_TABLE') {
      yield* readFullTable(sync);
    } else if (method === 'INCREMENTAL') {
      const key = replicationKey(entry) ?? 'updated_at';
      if (!(VALID_REPLICATION_KEYS as readonly string[]).includes(key)) {
        throw new ConfigError('REPLICATION_KEY_INVALID', `"${key}" cannot be a replication key`, {
          stream: entry.stream,
          field: key,
          hint: `valid replication keys: ${VALID_REPLICATION_KEYS.join(', ')}`,
        });
      }
      yield* readIncremental(sync, key as (typeof VALID_REPLICATION_KEYS)[number]);
    } else {
      throw new ConfigError('REPLICATION_METHOD_UNSUPPORTED', `the faker source does not support ${method}`, {
        stream: entry.stream,
        hint: 'use FULL_TABLE or INCREMENTAL',
      });
    }
  }
}
