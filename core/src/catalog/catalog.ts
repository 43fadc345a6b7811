import type { JsonSchema } from '../protocol/json-schema.js';

/** One entry of a catalog's `metadata` list: `breadcrumb` [] is the stream, ['properties', 'col'] a field. */
export interface MetadataEntry {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}

export interface CatalogStream {
  tap_stream_id: string;
  stream: string;
  table_name?: string;
  schema: JsonSchema;
  key_properties?: string[];
  replication_key?: string;
  replication_method?: ReplicationMethod;
  metadata: MetadataEntry[];
}

export interface Catalog {
  streams: CatalogStream[];
}

export type ReplicationMethod = 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED';
export const REPLICATION_METHODS: readonly ReplicationMethod[] = ['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED'];

export type Inclusion = 'automatic' | 'available' | 'unsupported';

const FIELD = 'properties';

function sameBreadcrumb(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

/** The metadata object at a breadcrumb (empty object when there is none). */
export function getMetadata(stream: CatalogStream, breadcrumb: readonly string[] = []): Record<string, unknown> {
  return stream.metadata.find((m) => sameBreadcrumb(m.breadcrumb, breadcrumb))?.metadata ?? {};
}

/** Sets metadata keys at a breadcrumb, creating the entry when missing. Mutates `stream`. */
export function setMetadata(stream: CatalogStream, breadcrumb: readonly string[], values: Record<string, unknown>): void {
  const entry = stream.metadata.find((m) => sameBreadcrumb(m.breadcrumb, breadcrumb));
  if (entry) Object.assign(entry.metadata, values);
  else stream.metadata.push({ breadcrumb: [...breadcrumb], metadata: { ...values } });
}

/** Whether a stream is selected: unsupported never, automatic always, then `selected`, then `selected-by-default`. */
export function isStreamSelected(stream: CatalogStream): boolean {
  const md = getMetadata(stream);
  return resolveSelection(md, false);
}

/** Whether a field is selected, following the Singer order and falling back to its stream's choice. */
export function isFieldSelected(stream: CatalogStream, field: string): boolean {
  return resolveSelection(getMetadata(stream, [FIELD, field]), isStreamSelected(stream));
}

function resolveSelection(md: Record<string, unknown>, parent: boolean): boolean {
  if (md['inclusion'] === 'unsupported') return false;
  if (md['inclusion'] === 'automatic') return true;
  if (typeof md['selected'] === 'boolean') return md['selected'];
  if (typeof md['selected-by-default'] === 'boolean') return md['selected-by-default'];
  return parent;
}

/** The selected fields of a stream, in schema order. */
export function selectedFields(stream: CatalogStream): string[] {
  return Object.keys(stream.schema.properties ?? {}).filter((field) => isFieldSelected(stream, field));
}

/** The streams of a catalog that are selected. */
export function selectedStreams(catalog: Catalog): CatalogStream[] {
  return catalog.streams.filter(isStreamSelected);
}

/** Key properties: `table-key-properties` metadata, else the entry's `key_properties`. */
export function keyProperties(stream: CatalogStream): string[] {
  const fromMetadata = getMetadata(stream)['table-key-properties'];
  if (Array.isArray(fromMetadata)) return fromMetadata.map(String);
  return stream.key_properties ?? [];
}

/** The replication method in force: forced, else chosen in metadata, else the entry's, else FULL_TABLE. */
export function replicationMethod(stream: CatalogStream): ReplicationMethod {
  const md = getMetadata(stream);
  const chosen = md['forced-replication-method'] ?? md['replication-method'] ?? stream.replication_method;
  return typeof chosen === 'string' && (REPLICATION_METHODS as readonly string[]).includes(chosen)
    ? (chosen as ReplicationMethod)
    : 'FULL_TABLE';
}

/** The replication key chosen for an INCREMENTAL stream, if any. */
export function replicationKey(stream: CatalogStream): string | undefined {
  const chosen = getMetadata(stream)['replication-key'] ?? stream.replication_key;
  return typeof chosen === 'string' ? chosen : undefined;
}

/** Finds a stream by `tap_stream_id`, falling back to its `stream` name. */
export function findStream(catalog: Catalog, id: string): CatalogStream | undefined {
  return catalog.streams.find((s) => s.tap_stream_id === id) ?? catalog.streams.find((s) => s.stream === id);
}

export interface CatalogStreamInit {
  tapStreamId?: string;
  stream: string;
  schema: JsonSchema;
  keyProperties?: string[];
  validReplicationKeys?: string[];
  forcedReplicationMethod?: ReplicationMethod;
  replicationMethod?: ReplicationMethod;
  replicationKey?: string;
  selectedByDefault?: boolean;
  /** Extra stream-level metadata: schema-name, database-name, is-view, row-count, … */
  streamMetadata?: Record<string, unknown>;
  /** Extra field-level metadata by field name: sql-datatype, … */
  fieldMetadata?: Record<string, Record<string, unknown>>;
}

/**
 * Builds a catalog entry with the standard metadata: key properties are `automatic`, every other field
 * `available`, fields whose schema is `{}`-less `unsupported` only when the caller says so in fieldMetadata.
 */
export function buildCatalogStream(init: CatalogStreamInit): CatalogStream {
  const keys = init.keyProperties ?? [];
  const streamMd: Record<string, unknown> = {
    'table-key-properties': keys,
    'selected-by-default': init.selectedByDefault ?? true,
    ...(init.validReplicationKeys ? { 'valid-replication-keys': init.validReplicationKeys } : {}),
    ...(init.forcedReplicationMethod ? { 'forced-replication-method': init.forcedReplicationMethod } : {}),
    ...(init.replicationMethod ? { 'replication-method': init.replicationMethod } : {}),
    ...(init.replicationKey ? { 'replication-key': init.replicationKey } : {}),
    ...init.streamMetadata,
  };
  const metadata: MetadataEntry[] = [{ breadcrumb: [], metadata: streamMd }];
  for (const field of Object.keys(init.schema.properties ?? {})) {
    const extra = init.fieldMetadata?.[field] ?? {};
    metadata.push({
      breadcrumb: [FIELD, field],
      metadata: {
        inclusion: keys.includes(field) || init.replicationKey === field ? 'automatic' : 'available',
        'selected-by-default': true,
        ...extra,
      },
    });
  }
  return {
    tap_stream_id: init.tapStreamId ?? init.stream,
    stream: init.stream,
    schema: init.schema,
    key_properties: keys,
    ...(init.replicationMethod ? { replication_method: init.replicationMethod } : {}),
    ...(init.replicationKey ? { replication_key: init.replicationKey } : {}),
    metadata,
  };
}

/** A deep copy, so callers can change selection without touching the connector's catalog. */
export function cloneCatalog(catalog: Catalog): Catalog {
  return structuredClone(catalog);
}
