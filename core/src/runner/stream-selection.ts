import {
  cloneCatalog,
  getMetadata,
  keyProperties,
  REPLICATION_METHODS,
  replicationKey,
  setMetadata,
  type Catalog,
  type CatalogStream,
  type ReplicationMethod,
} from '../catalog/catalog.js';
import type { ConflictMethod, StreamLoadOptions } from '../connector/contract.js';
import { applySelectPatterns } from '../catalog/select-patterns.js';
import { ConfigError } from '../errors.js';

/** Per-stream choices a pipeline makes (the `streams:` block of a pipeline file). */
export interface StreamOverride {
  selected?: boolean;
  /** Fields to keep; key properties and the replication key are always kept. */
  fields?: string[];
  replication_method?: ReplicationMethod;
  replication_key?: string;
  /**
   * The columns that identify a row, for streams whose source has none (a table without a primary key) or the wrong
   * one. Destinations merge on them; the source sees them as `table-key-properties` in the catalog.
   */
  key_properties?: string[];
  /** Mage names: UPDATE (= upsert), IGNORE; mage-int adds UPDATE_ONLY and APPEND. Lowercase accepted. */
  unique_conflict_method?: string;
  /**
   * A keyed FULL_TABLE stream read as up to this many key ranges by several workers at once (distributed runs,
   * `mage-int submit`, with the PostgreSQL state backend); a local run reads it whole.
   */
  key_ranges?: number;
}

const CONFLICT_METHODS: Record<string, ConflictMethod> = {
  update: 'upsert',
  upsert: 'upsert',
  ignore: 'ignore',
  update_only: 'update_only',
  append: 'append',
};

/** Maps a pipeline's `unique_conflict_method` to the destination's conflict rule. */
export function toConflictMethod(value: string, stream: string): ConflictMethod {
  const method = CONFLICT_METHODS[value.toLowerCase()];
  if (!method) {
    throw new ConfigError(
      'CONFLICT_METHOD_INVALID',
      `unique_conflict_method "${value}" is not one of UPDATE, IGNORE, UPDATE_ONLY, APPEND`,
      { stream },
    );
  }
  return method;
}

function matches(stream: CatalogStream, name: string): boolean {
  return stream.tap_stream_id === name || stream.stream === name;
}

/**
 * Applies a pipeline's stream choices to a discovered catalog (on a copy): first its `select:` patterns (when given,
 * only the streams they match stay selected), then the `streams:` overrides, then `only` (every other stream is
 * deselected). Unknown stream names are an error, so a typo does not silently sync nothing.
 */
export function applyStreamOverrides(
  catalog: Catalog,
  overrides: Record<string, StreamOverride> = {},
  only?: readonly string[],
  select?: readonly string[],
): Catalog {
  const result = cloneCatalog(catalog);
  if (select) applySelectPatterns(result, select);
  for (const name of [...Object.keys(overrides), ...(only ?? [])]) {
    if (!result.streams.some((s) => matches(s, name))) {
      throw new ConfigError('STREAM_UNKNOWN', `stream "${name}" is not in the source's catalog`, {
        stream: name,
        hint: `known streams: ${result.streams.map((s) => s.tap_stream_id).join(', ') || '(none)'}; run \`mage-int discover\` to list them`,
      });
    }
  }
  for (const stream of result.streams) {
    const override = Object.entries(overrides).find(([name]) => matches(stream, name))?.[1];
    if (override) applyOne(stream, override);
    if (only && only.length > 0) setMetadata(stream, [], { selected: only.some((name) => matches(stream, name)) });
  }
  return result;
}

function applyOne(stream: CatalogStream, override: StreamOverride): void {
  const streamMd: Record<string, unknown> = {};
  if (override.selected !== undefined) streamMd['selected'] = override.selected;
  if (override.replication_method !== undefined) {
    if (!REPLICATION_METHODS.includes(override.replication_method)) {
      throw new ConfigError(
        'REPLICATION_METHOD_INVALID',
        `replication_method "${override.replication_method}" is not one of ${REPLICATION_METHODS.join(', ')}`,
        { stream: stream.stream },
      );
    }
    const forced = getMetadata(stream)['forced-replication-method'];
    if (typeof forced === 'string' && forced !== override.replication_method) {
      throw new ConfigError('REPLICATION_METHOD_FORCED', `the source only supports ${forced} for this stream`, { stream: stream.stream });
    }
    streamMd['replication-method'] = override.replication_method;
  }
  if (override.replication_key !== undefined) {
    const valid = getMetadata(stream)['valid-replication-keys'];
    if (Array.isArray(valid) && !valid.includes(override.replication_key)) {
      throw new ConfigError('REPLICATION_KEY_INVALID', 'is not a valid replication key', {
        stream: stream.stream,
        field: override.replication_key,
        hint: `valid replication keys: ${valid.join(', ') || '(none)'}`,
      });
    }
    streamMd['replication-key'] = override.replication_key;
    // A field selection (`select:` patterns) made before the key was chosen must not drop it.
    setMetadata(stream, ['properties', override.replication_key], { selected: true });
  }
  if (override.key_properties !== undefined) {
    const properties = Object.keys(stream.schema.properties ?? {});
    for (const key of override.key_properties) {
      if (!properties.includes(key)) {
        throw new ConfigError('KEY_PROPERTY_UNKNOWN', `key property "${key}" is not a column of the stream`, {
          stream: stream.stream,
          field: key,
          hint: `columns: ${properties.join(', ') || '(none)'}`,
        });
      }
    }
    streamMd['table-key-properties'] = [...override.key_properties];
    stream.key_properties = [...override.key_properties];
    for (const key of override.key_properties) setMetadata(stream, ['properties', key], { selected: true });
  }
  if (Object.keys(streamMd).length > 0) setMetadata(stream, [], streamMd);
  if (override.fields) {
    const properties = Object.keys(stream.schema.properties ?? {});
    for (const field of override.fields) {
      if (!properties.includes(field)) {
        throw new ConfigError('FIELD_UNKNOWN', `field "${field}" is not in the stream's schema`, { stream: stream.stream, field });
      }
    }
    // Keys and the replication key in force are kept even when not listed (as documented on `fields`).
    const kept = new Set([
      ...override.fields,
      ...keyProperties(stream),
      ...(replicationKey(stream) === undefined ? [] : [replicationKey(stream) as string]),
    ]);
    for (const field of properties) setMetadata(stream, ['properties', field], { selected: kept.has(field) });
  }
}

/** The key properties the overrides set, keyed by stream name: the runner rewrites those streams' SCHEMA messages. */
export function keyOverridesFrom(catalog: Catalog, overrides: Record<string, StreamOverride> = {}): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const stream of catalog.streams) {
    const keys = Object.entries(overrides).find(([name]) => matches(stream, name))?.[1].key_properties;
    if (keys) out.set(stream.stream, keys);
  }
  return out;
}

/** The destination load options the overrides imply, keyed by stream name. */
export function loadOptionsFrom(catalog: Catalog, overrides: Record<string, StreamOverride> = {}): Record<string, StreamLoadOptions> {
  const out: Record<string, StreamLoadOptions> = {};
  for (const stream of catalog.streams) {
    const override = Object.entries(overrides).find(([name]) => matches(stream, name))?.[1];
    if (override?.unique_conflict_method)
      out[stream.stream] = { conflictMethod: toConflictMethod(override.unique_conflict_method, stream.stream) };
  }
  return out;
}
