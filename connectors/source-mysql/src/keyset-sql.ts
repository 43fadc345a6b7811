import { Decimal, keysetCompareSql } from '@mage-int/core';
import mysql from 'mysql2';
import { ident } from './connection.js';
import type { PlanColumn } from './table-plan.js';

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * An SQL literal for a value read earlier from `column` (a bookmark, a resumed key). Numbers are written as
 * numbers (a quoted big integer would be compared as a double), bytes as hex, timestamps without the zone
 * MariaDB does not accept in literals (the session is UTC).
 */
export function valueLiteral(value: unknown, column: PlanColumn | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' || typeof value === 'bigint' || value instanceof Decimal) {
    const text = String(value);
    if (NUMBER.test(text)) return text;
  }
  let text = typeof value === 'string' ? value : String(value);
  switch (column?.kind) {
    case 'binary':
      if (/^([0-9a-f]{2})*$/i.test(text)) return `X'${text}'`;
      break;
    case 'integer':
    case 'bigint':
    case 'decimal':
    case 'year':
      if (NUMBER.test(text.trim())) return text.trim();
      break;
    case 'datetime':
    case 'timestamp':
    case 'date':
      text = text.replace(/(Z|[+-]00:?00)$/, '').replace('T', ' ');
      break;
  }
  return mysql.escape(text);
}

/**
 * `(a > 1) OR (a = 1 AND b > 2)`: rows strictly after `values` in `columns` order, spelled out so the optimizer
 * uses an index on the columns.
 */
export function keysetAfter(columns: readonly PlanColumn[], values: readonly unknown[]): string {
  return keysetCompare(columns, values, '>');
}

/**
 * Rows after (`>`) or before (`<`) `values` in `columns` order, spelled out like keysetAfter; with `inclusive`, the
 * row equal to `values` too (a key range's lower bound).
 */
export function keysetCompare(columns: readonly PlanColumn[], values: readonly unknown[], op: '>' | '<', inclusive = false): string {
  return keysetCompareSql(
    columns,
    values,
    (c) => ident(c.name),
    (c, value) => valueLiteral(value, c),
    op,
    inclusive,
  );
}

/** `ORDER BY` of columns, each in its own collation, so an index on them serves the order. */
export function orderBy(columns: readonly PlanColumn[]): string {
  return columns.length === 0 ? '' : ` ORDER BY ${columns.map((c) => ident(c.name)).join(', ')}`;
}
