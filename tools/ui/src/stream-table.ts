import {
  applyStreamOverrides,
  getMetadata,
  isFieldSelected,
  isStreamSelected,
  keyProperties,
  REPLICATION_METHODS,
  replicationKey,
  replicationMethod,
  type Catalog,
  type CatalogStream,
  type PipelineConfig,
  type ReplicationMethod,
  type StreamOverride,
} from '@mage-int/core';
import { isMap, type Document } from 'yaml';

/** One row of the streams table: what the source offers and what the pipeline file chose. */
export interface StreamRow {
  id: string;
  selected: boolean;
  replicationMethod: ReplicationMethod;
  /** The methods the source accepts for this stream (one when it forces a method). */
  methods: ReplicationMethod[];
  replicationKey?: string;
  validReplicationKeys: string[];
  keyProperties: string[];
  fields: { name: string; selected: boolean; automatic: boolean }[];
}

/** The choices the UI sends back for one stream. */
export interface StreamChoice {
  selected: boolean;
  replicationMethod?: ReplicationMethod;
  replicationKey?: string;
  keyProperties?: string[];
  /** Selected fields; absent = all. */
  fields?: string[];
}

export interface CatalogChanges {
  addedStreams: string[];
  removedStreams: string[];
  /** Per stream present before and now: columns added and removed. */
  columns: { stream: string; added: string[]; removed: string[] }[];
}

function rowOf(stream: CatalogStream): StreamRow {
  const md = getMetadata(stream);
  const forced = md['forced-replication-method'];
  const valid = Array.isArray(md['valid-replication-keys']) ? (md['valid-replication-keys'] as unknown[]).map(String) : [];
  return {
    id: stream.tap_stream_id,
    selected: isStreamSelected(stream),
    replicationMethod: replicationMethod(stream),
    methods: typeof forced === 'string' ? [forced as ReplicationMethod] : [...REPLICATION_METHODS],
    replicationKey: replicationKey(stream),
    validReplicationKeys: valid,
    keyProperties: keyProperties(stream),
    fields: Object.keys(stream.schema.properties ?? {}).map((name) => ({
      name,
      selected: isFieldSelected(stream, name),
      automatic: getMetadata(stream, ['properties', name])['inclusion'] === 'automatic',
    })),
  };
}

/** The table as the pipeline file's `select:` and `streams:` make it. */
export function streamRows(discovered: Catalog, config: PipelineConfig): StreamRow[] {
  return applyStreamOverrides(discovered, config.streams, undefined, config.select).streams.map(rowOf);
}

/** What re-discovery changed against the last discovered catalog. */
export function catalogChanges(before: Catalog | undefined, after: Catalog): CatalogChanges {
  if (!before) return { addedStreams: [], removedStreams: [], columns: [] };
  const old = new Map(before.streams.map((s) => [s.tap_stream_id, s]));
  const now = new Map(after.streams.map((s) => [s.tap_stream_id, s]));
  const columns: CatalogChanges['columns'] = [];
  for (const [id, stream] of now) {
    const was = old.get(id);
    if (!was) continue;
    const a = Object.keys(was.schema.properties ?? {});
    const b = Object.keys(stream.schema.properties ?? {});
    const added = b.filter((c) => !a.includes(c));
    const removed = a.filter((c) => !b.includes(c));
    if (added.length > 0 || removed.length > 0) columns.push({ stream: id, added, removed });
  }
  return {
    addedStreams: [...now.keys()].filter((id) => !old.has(id)),
    removedStreams: [...old.keys()].filter((id) => !now.has(id)),
    columns,
  };
}

const same = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

/**
 * The `streams:` entry a choice needs: only what differs from the stream as the source and the file's `select:`
 * patterns give it, so the file stays short and says what the user changed.
 */
export function overrideFor(base: StreamRow, choice: StreamChoice): StreamOverride {
  const out: StreamOverride = {};
  if (choice.selected !== base.selected) out.selected = choice.selected;
  if (choice.replicationMethod && choice.replicationMethod !== base.replicationMethod) out.replication_method = choice.replicationMethod;
  if (choice.replicationKey && choice.replicationKey !== base.replicationKey) out.replication_key = choice.replicationKey;
  if (choice.keyProperties && choice.keyProperties.length > 0 && !same(choice.keyProperties, base.keyProperties))
    out.key_properties = choice.keyProperties;
  const baseFields = base.fields.filter((f) => f.selected).map((f) => f.name);
  if (choice.fields && !same([...choice.fields].sort(), [...baseFields].sort())) out.fields = choice.fields;
  return out;
}

/** A YAML node's value as plain JSON (scalars come back as they are). */
function jsonAt(node: unknown): unknown {
  return node && typeof (node as { toJSON?: unknown }).toJSON === 'function' ? (node as { toJSON(): unknown }).toJSON() : node;
}

/**
 * Writes the choices into the document's `streams:` block key by key: other keys of an entry (a conflict
 * method, comments) stay, streams the table does not show stay, entries left empty are removed.
 */
export function writeStreamChoices(
  doc: Document,
  discovered: Catalog,
  config: PipelineConfig,
  choices: Record<string, StreamChoice>,
): void {
  const bases = new Map(streamRows(discovered, { ...config, streams: undefined }).map((r) => [r.id, r]));
  const KEYS = ['selected', 'replication_method', 'replication_key', 'key_properties', 'fields'] as const;
  for (const [id, choice] of Object.entries(choices)) {
    const base = bases.get(id);
    if (!base) continue;
    const wanted = overrideFor(base, choice);
    for (const key of KEYS) {
      const value = wanted[key];
      const entry = doc.getIn(['streams', id], true);
      if (value === undefined) {
        if (isMap(entry)) entry.delete(key);
        continue;
      }
      if (isMap(entry) && JSON.stringify(jsonAt(entry.get(key, true))) === JSON.stringify(value)) continue;
      if (!isMap(doc.get('streams', true))) doc.set('streams', doc.createNode({}));
      if (!isMap(entry)) doc.setIn(['streams', id], doc.createNode({}));
      doc.setIn(['streams', id, key], doc.createNode(value, { flow: Array.isArray(value) }));
    }
    const entry = doc.getIn(['streams', id], true);
    if (isMap(entry) && entry.items.length === 0) doc.deleteIn(['streams', id]);
  }
  const streams = doc.get('streams', true);
  if (isMap(streams) && streams.items.length === 0) doc.delete('streams');
}
