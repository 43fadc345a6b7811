import { Decimal } from '@mage-int/core';
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

/** The expression reading each metadata column's value from RowMeta `m` (compiled into the encoders and metaRead). */
const META_EXPRESSION: Record<Extract<ColumnSource, { kind: 'meta' }>['name'], string> = {
  _sdc_extracted_at: 'm.extractedAt',
  _sdc_received_at: 'm.receivedAt',
  _sdc_batched_at: 'm.batchedAt',
  _sdc_sequence: 'm.sequence++',
  _sdc_table_version: 'm.version',
};

/** A metadata column's value read from a RowMeta, as the compiled encoders read it (`_sdc_sequence` advances). */
export function metaRead(name: Extract<ColumnSource, { kind: 'meta' }>['name']): (m: RowMeta) => unknown {
  return new Function('m', `return ${META_EXPRESSION[name]};`) as (m: RowMeta) => unknown;
}

/** Each column's ValueEncoder, and the expression reading its value from record `r` and RowMeta `m`. */
function columnCode(columns: readonly PlannedColumn[], nul: NulPolicy): { encoders: ValueEncoder[]; reads: string[] } {
  const encoders: ValueEncoder[] = columns.map((c) =>
    valueEncoder(c.type, {
      column: c.column,
      nul,
      ...(c.fieldType?.contentEncoding ? { contentEncoding: c.fieldType.contentEncoding } : {}),
      ...(c.fieldType?.jsonText ? { jsonText: true } : {}),
    }),
  );
  const reads = columns.map((c) => {
    if (c.source.kind === 'meta') return META_EXPRESSION[c.source.name];
    const name = JSON.stringify(c.source.field);
    // Names that exist on Object.prototype (`constructor`, `toString`) must not read the inherited value.
    return c.source.field in Object.prototype ? `(Object.hasOwn(r, ${name}) ? r[${name}] : undefined)` : `r[${name}]`;
  });
  return { encoders, reads };
}

/**
 * Compiles the row encoder of a column list into one straight-line function: a property read with a constant
 * name per column keeps V8's inline caches monomorphic, which makes encoding several times faster than a loop
 * over column names. Field names enter the code only through JSON.stringify, so any name is safe.
 * With `deletedFlag`, a last column says whether the record is a delete (`_sdc_deleted_at` set): the staging
 * table's `_mage_deleted`.
 */
export function compileRowEncoder(columns: readonly PlannedColumn[], nul: NulPolicy, deletedFlag: boolean): RowEncoder {
  const { encoders, reads } = columnCode(columns, nul);
  const lines = reads.map((read, i) => `const v${i} = ${read};`);
  const parts = reads.map((_, i) => `(v${i} === null || v${i} === undefined ? N : e[${i}](v${i}))`);
  if (deletedFlag) parts.push(`(r._sdc_deleted_at === null || r._sdc_deleted_at === undefined ? N : 't')`);
  const body = `return function encodeRow(r, m) {\n${lines.join('\n')}\nreturn ${parts.join(" + '\\t' + ")} + '\\n';\n};`;
  return new Function('e', 'N', body)(encoders, COPY_NULL) as RowEncoder;
}

/**
 * Encodes records `from` onward to COPY text lines, one string for many rows, and sets `next` to the first record
 * not encoded. It stops at the end of `records`, once the text reaches `limit` UTF-16 units, before a record that
 * is a delete (`_sdc_deleted_at` set), and before a record with a value its column's encoder rejects (the error is
 * dropped and `meta.sequence` left as before that record): the session's per-record path handles those two, with
 * the widening, the delete logic and an error naming the record. A value the inline fast paths do not take goes
 * to the column's ValueEncoder, so the text is the RowEncoder's byte for byte.
 */
export interface BatchEncoder {
  (records: readonly Record<string, unknown>[], from: number, meta: RowMeta, limit: number): string;
  next: number;
}

/** What a text-like value must not hold to go into COPY text as it is: backslash, tab, newline, carriage return, NUL. */
const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
/** A date or timestamp string that is already PostgreSQL input: a year 1000 or later, nothing to escape. */
const PLAIN_TIMESTAMP = /^[1-9][^\\\t\n\r\0]*$/;

/**
 * The per-schema compiled batch encoder: one generated loop per stream, with the common case of each column's
 * type inline (a number for a numeric column, a string for a text one) and every other value handed to the
 * column's ValueEncoder, so the output is the same as compileRowEncoder's. One string per call instead of one per
 * row: the session writes it to the COPY buffer with one native call.
 */
export function compileBatchEncoder(columns: readonly PlannedColumn[], nul: NulPolicy, deletedFlag: boolean): BatchEncoder {
  const { encoders, reads } = columnCode(columns, nul);
  const lines = reads.map((read, i) => `const v${i} = ${read};`);
  const parts = columns.map((c, i) => `(v${i} == null ? N : ${fastPath(c.type.kind, `v${i}`, i)})`);
  if (deletedFlag) parts.push(`(r._sdc_deleted_at == null ? N : 't')`);
  const body = `
const encode = function encodeBatch(rs, from, m, limit) {
  let s = '';
  let i = from;
  let q = m.sequence;
  try {
    for (; i < rs.length && s.length < limit; i++) {
      const r = rs[i];
      if (r._sdc_deleted_at != null) break;
      q = m.sequence;
${lines.join('\n')}
      s += ${parts.join(" + '\\t' + ")} + '\\n';
    }
  } catch {
    m.sequence = q;
  }
  encode.next = i;
  return s;
};
encode.next = 0;
return encode;`;
  return new Function('e', 'N', 'ESC', 'PLAIN_TS', 'Decimal', body)(
    encoders,
    COPY_NULL,
    NEEDS_ESCAPE,
    PLAIN_TIMESTAMP,
    Decimal,
  ) as BatchEncoder;
}

/** The inline expression for a non-null value `v` of column `i`, falling back to its ValueEncoder. */
function fastPath(kind: PgType['kind'], v: string, i: number): string {
  switch (kind) {
    case 'int2':
    case 'int4':
    case 'int8':
    case 'float4':
    case 'float8':
      return `(typeof ${v} === 'number' ? '' + ${v} : e[${i}](${v}))`;
    case 'numeric':
      return `(typeof ${v} === 'number' ? '' + ${v} : ${v} instanceof Decimal ? ${v}.text : e[${i}](${v}))`;
    case 'bool':
      return `(${v} === true ? 't' : ${v} === false ? 'f' : e[${i}](${v}))`;
    case 'text':
    case 'varchar':
    case 'bpchar':
      return `(typeof ${v} === 'string' && !ESC.test(${v}) ? ${v} : e[${i}](${v}))`;
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return `(typeof ${v} === 'string' && PLAIN_TS.test(${v}) ? ${v} : e[${i}](${v}))`;
    default:
      return `e[${i}](${v})`;
  }
}
