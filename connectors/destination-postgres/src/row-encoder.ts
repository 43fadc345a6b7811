import { COPY_NULL, valueEncoder, type NulPolicy, type ValueEncoder } from './copy-text.js';
import type { PgType } from './pg-types.js';
import type { FieldType } from './type-map.js';

/** Where a column's value comes from: a record field, or the record's metadata. */
export type ColumnSource =
  | { kind: 'field'; field: string }
  | { kind: 'meta'; name: '_sdc_extracted_at' | '_sdc_received_at' | '_sdc_batched_at' | '_sdc_sequence' | '_sdc_table_version' };

export interface PlannedColumn {
  column: string;
  /** The column's actual type in the table (after any widening). */
  type: PgType;
  source: ColumnSource;
  /** What the stream's schema says of the field, for bytea and json-text handling. */
  fieldType?: FieldType;
}

/** Per-message values of the metadata columns; `sequence` is advanced once per row. */
export interface RowMeta {
  extractedAt: string | null;
  receivedAt: string;
  batchedAt: string;
  sequence: number;
  version: number | null;
}

/** Encodes one record to one COPY text line (with its newline). */
export type RowEncoder = (record: Record<string, unknown>, meta: RowMeta) => string;

const META_EXPRESSION: Record<Extract<ColumnSource, { kind: 'meta' }>['name'], string> = {
  _sdc_extracted_at: 'm.extractedAt',
  _sdc_received_at: 'm.receivedAt',
  _sdc_batched_at: 'm.batchedAt',
  _sdc_sequence: 'm.sequence++',
  _sdc_table_version: 'm.version',
};

/**
 * Compiles the row encoder of a column list into one straight-line function: a property read with a constant
 * name per column keeps V8's inline caches monomorphic, which makes encoding several times faster than a loop
 * over column names. Field names enter the code only through JSON.stringify, so any name is safe.
 * With `deletedFlag`, a last column says whether the record is a delete (`_sdc_deleted_at` set): the staging
 * table's `_mage_deleted`.
 */
export function compileRowEncoder(columns: readonly PlannedColumn[], nul: NulPolicy, deletedFlag: boolean): RowEncoder {
  const encoders: ValueEncoder[] = columns.map((c) =>
    valueEncoder(c.type, {
      column: c.column,
      nul,
      ...(c.fieldType?.contentEncoding ? { contentEncoding: c.fieldType.contentEncoding } : {}),
      ...(c.fieldType?.jsonText ? { jsonText: true } : {}),
    }),
  );
  const lines: string[] = [];
  const parts: string[] = [];
  columns.forEach((c, i) => {
    let read: string;
    if (c.source.kind === 'field') {
      const name = JSON.stringify(c.source.field);
      // Names that exist on Object.prototype (`constructor`, `toString`) must not read the inherited value.
      read = c.source.field in Object.prototype ? `(Object.hasOwn(r, ${name}) ? r[${name}] : undefined)` : `r[${name}]`;
    } else {
      read = META_EXPRESSION[c.source.name];
    }
    lines.push(`const v${i} = ${read};`);
    parts.push(`(v${i} === null || v${i} === undefined ? N : e[${i}](v${i}))`);
  });
  if (deletedFlag) parts.push(`(r._sdc_deleted_at === null || r._sdc_deleted_at === undefined ? N : 't')`);
  const body = `return function encodeRow(r, m) {\n${lines.join('\n')}\nreturn ${parts.join(" + '\\t' + ")} + '\\n';\n};`;
  return new Function('e', 'N', body)(encoders, COPY_NULL) as RowEncoder;
}
