import type pg from 'pg';
import type { ConflictMethod, JsonSchema, KeyOrder, Logger } from '@mage-int/core';
import { METADATA_COLUMNS, type MetadataColumn } from '@mage-int/core/sql';
import type { PostgresDialect } from './postgres-dialect.js';
import { fieldComment, mapColumns } from './naming.js';
import { widenPgType, type PgType } from './pg-types.js';
import {
  compileBatchEncoder,
  compileRowEncoder,
  type BatchEncoder,
  type ColumnSource,
  type PlannedColumn,
  type RowEncoder,
} from './row-encoder.js';
import { describeTable, ensureTable, hasUniqueKey, type TableInfo, type WantedColumn } from './table-catalog.js';
import { fieldType, METADATA_TYPES, type FieldType } from './type-map.js';
import { compileLineTranscoder, type LineTranscoder } from './record-lines.js';
import type { NulPolicy } from './copy-text.js';

/** How one stream's records become rows of one table: its columns, their types and the compiled encoders. */
export interface StreamPlan {
  table: TableInfo;
  columns: PlannedColumn[];
  /** Key columns, in key_properties order. */
  keyColumns: string[];
  /** The table has a unique index on exactly the key columns. */
  uniqueKey: boolean;
  /** Plain rows: the columns, in order. */
  encodeRow: RowEncoder;
  /** Staging rows with the trailing delete flag (hard delete by key). */
  encodeFlagged: RowEncoder;
  /** The same rows, many at a time (the session's fast path; see compileBatchEncoder). */
  encodeRows: BatchEncoder;
  encodeFlaggedRows: BatchEncoder;
  /** Plain rows straight from RECORD lines (see compileLineTranscoder); undefined when the schema asks for more. */
  transcodeLines: LineTranscoder | undefined;
  hasVersionColumn: boolean;
  hasDeletedColumn: boolean;
  /** This plan created the table. */
  createdTable: boolean;
  /** The table has no primary key yet: it is to be built after its first load (see defer_primary_key). */
  keyPending: boolean;
  /** How the one key column's values are compared to check that keys rise (undefined: they cannot be). */
  keyOrder: KeyOrder | undefined;
  /** Column → the field it holds, for error messages. */
  fieldOf: Map<string, string>;
}

export interface PlanRequest {
  client: pg.Client;
  schema: string;
  table: string;
  /** Table comment naming the stream, when the names differ. */
  tableComment?: string;
  stream: string;
  streamSchema: JsonSchema;
  keyProperties: readonly string[];
  method: ConflictMethod;
  dialect: PostgresDialect;
  /** The interpret_content_encoding setting. */
  interpretContentEncoding: boolean;
  nul: NulPolicy;
  /** Add every metadata column (add_record_metadata). */
  allMetadata: boolean;
  /** Records carry versions (ACTIVATE_VERSION): `_sdc_table_version` is needed. */
  versioned: boolean;
  /** Soft deletes need `_sdc_deleted_at` even when the schema lacks it. */
  deletedColumn: boolean;
  /** Columns that must be at least this wide (a bigint overflowed). */
  minimumTypes: ReadonlyMap<string, PgType>;
  /** A table created now gets its primary key after the rows, when its key can be checked to rise. */
  deferKey: boolean;
  logger: Logger;
}

function keyOrderOf(type: PgType): KeyOrder | undefined {
  switch (type.kind) {
    case 'int2':
    case 'int4':
    case 'int8':
      return 'number';
    // A scale rounds (1.004 and 1.001 both store 1.00) and a length trims trailing spaces: not those.
    case 'numeric':
      return type.precision === undefined ? 'number' : undefined;
    case 'text':
      return 'text';
    case 'varchar':
      return type.length === undefined ? 'text' : undefined;
    default:
      return undefined;
  }
}

const META_SOURCE: Record<MetadataColumn, ColumnSource> = {
  _sdc_extracted_at: { kind: 'meta', name: '_sdc_extracted_at' },
  _sdc_received_at: { kind: 'meta', name: '_sdc_received_at' },
  _sdc_batched_at: { kind: 'meta', name: '_sdc_batched_at' },
  // Deletes arrive as a field of the record (CDC sources put it there).
  _sdc_deleted_at: { kind: 'field', field: '_sdc_deleted_at' },
  _sdc_sequence: { kind: 'meta', name: '_sdc_sequence' },
  _sdc_table_version: { kind: 'meta', name: '_sdc_table_version' },
};

/**
 * Works out a stream's columns, brings the table in line with them (create, add, widen: see ensureTable) and
 * compiles the row encoders for the table as it now is. Encoders follow the column's real type, so a column
 * widened to text or jsonb earlier keeps loading whatever the schema says today.
 */
export async function planStream(request: PlanRequest): Promise<StreamPlan> {
  const { client, schema, table, streamSchema, keyProperties, dialect } = request;
  const properties = streamSchema.properties ?? {};
  const fields = Object.keys(properties);
  const existing = await describeTable(client, dialect, { schema, name: table });
  const owners = new Map<string, string | null>([...(existing?.columns.values() ?? [])].map((c) => [c.name, c.field]));
  const mapping = mapColumns(fields, owners, dialect.columnIdentifiers);

  // A bytea column made before interpret_content_encoding existed (or with it on) keeps taking base16 as bytes:
  // turning it into text would rewrite the rows already there.
  const holdsBytes = (field: string) => existing?.columns.get(mapping.get(field) as string)?.type.kind === 'bytea';
  const fieldTypes = new Map<string, FieldType>(
    fields.map((f) => [f, fieldType(properties[f] ?? {}, { interpretContentEncoding: request.interpretContentEncoding || holdsBytes(f) })]),
  );
  const wanted: (WantedColumn & { source: ColumnSource; fieldType?: FieldType })[] = fields.map((field) => {
    const column = mapping.get(field) as string;
    const type = fieldTypes.get(field) as FieldType;
    const minimum = request.minimumTypes.get(column);
    const comment = fieldComment(field, column);
    return {
      name: column,
      type: minimum ? widenPgType(type.pg, minimum) : type.pg,
      ...(comment ? { comment } : {}),
      source: { kind: 'field', field },
      fieldType: type,
    };
  });
  const taken = new Set(wanted.map((w) => w.name));
  const metadata = METADATA_COLUMNS.filter(
    (name) =>
      request.allMetadata || (name === '_sdc_table_version' && request.versioned) || (name === '_sdc_deleted_at' && request.deletedColumn),
  );
  for (const name of metadata) {
    if (taken.has(name)) continue;
    const minimum = request.minimumTypes.get(name);
    wanted.push({ name, type: minimum ? widenPgType(METADATA_TYPES[name], minimum) : METADATA_TYPES[name], source: META_SOURCE[name] });
    taken.add(name);
  }

  const keyColumns = keyProperties.map((k) => mapping.get(k) as string);
  const keyType = keyColumns.length === 1 ? wanted.find((w) => w.name === keyColumns[0])?.type : undefined;
  const { info, created } = await ensureTable(client, dialect, {
    schema,
    table,
    columns: wanted,
    keyColumns: request.method === 'append' ? [] : keyColumns,
    ...(request.tableComment ? { comment: request.tableComment } : {}),
    deferKey: request.deferKey && request.method === 'upsert' && keyType !== undefined && keyOrderOf(keyType) !== undefined,
    logger: request.logger,
  });
  const keyColumn = keyColumns.length === 1 ? info.columns.get(keyColumns[0] as string) : undefined;

  const columns: PlannedColumn[] = wanted.map((w) => ({
    column: w.name,
    type: info.columns.get(w.name)?.type ?? w.type,
    source: w.source,
    ...(w.fieldType ? { fieldType: w.fieldType } : {}),
  }));
  return {
    table: info,
    columns,
    keyColumns,
    uniqueKey: hasUniqueKey(info, keyColumns),
    encodeRow: compileRowEncoder(columns, request.nul, false),
    encodeFlagged: compileRowEncoder(columns, request.nul, true),
    encodeRows: compileBatchEncoder(columns, request.nul, false),
    encodeFlaggedRows: compileBatchEncoder(columns, request.nul, true),
    transcodeLines: compileLineTranscoder(columns, request.streamSchema, keyProperties, request.nul),
    hasVersionColumn: taken.has('_sdc_table_version'),
    hasDeletedColumn: taken.has('_sdc_deleted_at'),
    createdTable: created,
    keyPending: info.keyPending && !hasUniqueKey(info, keyColumns),
    keyOrder: keyColumn ? keyOrderOf(keyColumn.type) : undefined,
    fieldOf: new Map(columns.map((c) => [c.column, c.source.kind === 'field' ? c.source.field : c.column])),
  };
}
