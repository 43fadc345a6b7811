import type { NativeRows } from '@mage-int/core';
import { COPY_NULL, valueEncoder, type NulPolicy, type ValueEncoder } from './copy-text.js';
import { STAGING_DELETED } from '@mage-int/core/sql';
import { parsePgType, samePgType, type PgKind, type PgType } from './pg-types.js';
import type { PlannedColumn, RowMeta } from './row-encoder.js';
import type { StreamPlan } from './stream-plan.js';

/** The columns a COPY names, in the order its rows hold them. `flagged` rows end in the staging delete flag. */
export interface CopyLayout {
  key: string;
  columns: readonly string[];
  flagged: boolean;
}

/** The layouts of rows the plan's own encoders write. */
export function planLayouts(plan: StreamPlan): { plain: CopyLayout; flagged: CopyLayout } {
  const columns = plan.columns.map((c) => c.column);
  return {
    plain: { key: 'plain', columns, flagged: false },
    flagged: { key: 'flagged', columns: [...columns, STAGING_DELETED], flagged: true },
  };
}

/** Native COPY text rows loaded as they are, followed by the text of the columns they lack (`suffix`). */
export interface NativeLayout extends CopyLayout {
  /** The text after each row's own columns (with its leading tab), newline included; none when nothing follows. */
  suffix: ((meta: RowMeta) => string) | undefined;
  /** The suffix changes from row to row (`_sdc_sequence`); otherwise it is the same for a whole batch. */
  perRow: boolean;
}

/**
 * Types whose PostgreSQL text output is valid input that reads back to the same value in any session of a
 * UTF-8 database (the source fixes DateStyle=ISO, IntervalStyle=iso_8601, bytea_output=hex, and prints
 * floats exactly). Enums, domains, money and extension types are not here: their text depends on the
 * database or the session.
 */
const PORTABLE_TEXT = new Set<PgKind>([
  'bool',
  'int2',
  'int4',
  'int8',
  'numeric',
  'float4',
  'float8',
  'text',
  'varchar',
  'bpchar',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'interval',
  'uuid',
  'json',
  'jsonb',
  'bytea',
  'inet',
  'cidr',
  'macaddr',
  'xml',
]);

function portable(type: PgType): boolean {
  return type.kind === 'array' ? type.element !== undefined && portable(type.element) : PORTABLE_TEXT.has(type.kind);
}

const META_VALUE: Record<string, (meta: RowMeta) => unknown> = {
  _sdc_extracted_at: (m) => m.extractedAt,
  _sdc_received_at: (m) => m.receivedAt,
  _sdc_batched_at: (m) => m.batchedAt,
  _sdc_sequence: (m) => m.sequence++,
  _sdc_table_version: (m) => m.version,
};

/**
 * How native rows load into a stream's table unchanged, or undefined when they cannot: every native column
 * must be a field of the plan whose column has exactly the native type, and that type's text must be portable.
 * The plan's other columns follow each row: metadata values, and NULL for fields the records do not carry.
 */
export function nativeLayout(plan: StreamPlan, native: NativeRows, nul: NulPolicy): NativeLayout | undefined {
  // A `_sdc_deleted_at` column makes rows deletes, which take the record path.
  if (native.format !== 'postgresql-copy-text' || native.fields.length === 0 || native.fields.includes('_sdc_deleted_at')) return undefined;
  const byField = new Map<string, PlannedColumn>();
  for (const column of plan.columns) if (column.source.kind === 'field') byField.set(column.source.field, column);
  const own: PlannedColumn[] = [];
  for (let i = 0; i < native.fields.length; i++) {
    const column = byField.get(native.fields[i] as string);
    const type = parsePgType(native.types[i] ?? '');
    if (!column || !type || !portable(type) || !samePgType(type, column.type)) return undefined;
    own.push(column);
  }
  const rest = plan.columns.filter((c) => !own.includes(c));
  const parts: ((meta: RowMeta) => string)[] = rest.map((column) => {
    if (column.source.kind === 'field') return () => COPY_NULL;
    const value = META_VALUE[column.source.name] as (meta: RowMeta) => unknown;
    const encode: ValueEncoder = valueEncoder(column.type, { column: column.column, nul });
    return (meta) => {
      const v = value(meta);
      return v === null || v === undefined ? COPY_NULL : encode(v);
    };
  });
  return {
    key: `native:${native.fields.join('\u0000')}`,
    columns: [...own, ...rest].map((c) => c.column),
    flagged: false,
    suffix:
      parts.length === 0
        ? undefined
        : (meta) => {
            let out = '';
            for (const part of parts) out += '\t' + part(meta);
            return out + '\n';
          },
    perRow: rest.some((c) => c.source.kind === 'meta' && c.source.name === '_sdc_sequence'),
  };
}
