import { Decimal } from '@mage-int/core';
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
 * The expression a key column is ordered and compared by. `codePoints`: text in code-point order (its utf8mb4
 * bytes), the order the source kit checks INCREMENTAL pages in; otherwise the column's collation, which an index on
 * it serves (FULL_TABLE only needs the resume condition and the order to agree, and both use the collation).
 */
export function orderExpression(column: PlanColumn, codePoints = false): string {
  return codePoints && column.kind === 'text' ? `BINARY ${ident(column.name)}` : ident(column.name);
}

/**
 * `(a > 1) OR (a = 1 AND b > 2)`: rows strictly after `values` in `columns` order, spelled out so the optimizer
 * uses an index on the columns.
 */
export function keysetAfter(columns: readonly PlanColumn[], values: readonly unknown[], codePoints = false): string {
  const terms: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const equal = columns.slice(0, i).map((c, j) => `${orderExpression(c, codePoints)} = ${valueLiteral(values[j], c)}`);
    const column = columns[i] as PlanColumn;
    terms.push(`(${[...equal, `${orderExpression(column, codePoints)} > ${valueLiteral(values[i], column)}`].join(' AND ')})`);
  }
  return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' OR ')})`;
}

/** `ORDER BY` of columns (text in code-point order with `codePoints`). */
export function orderBy(columns: readonly PlanColumn[], codePoints = false): string {
  return columns.length === 0 ? '' : ` ORDER BY ${columns.map((c) => orderExpression(c, codePoints)).join(', ')}`;
}
