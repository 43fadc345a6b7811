import type { JsonSchema } from '@mage-int/core';
import { columnType, type ColumnTypeOptions, type LogicalType } from '@mage-int/core/sql';
import { defaultType, fromPostgresType, logicalOf, parseMysqlType, type MysqlType, type ServerFlavor } from './mysql-types.js';

/** Which kinds of a `sql-datatype` are believable for each JSON Schema classification. */
const COMPATIBLE: Record<LogicalType, readonly LogicalType[]> = {
  boolean: ['boolean'],
  integer: ['integer', 'decimal', 'number'],
  number: ['decimal', 'number'],
  decimal: ['decimal', 'number'],
  string: ['string', 'uuid', 'date', 'time', 'timestamptz'],
  date: ['date', 'timestamptz'],
  time: ['time'],
  timestamp: ['timestamptz'],
  timestamptz: ['timestamptz'],
  uuid: ['uuid', 'string'],
  binary: ['binary'],
  json: ['json'],
};

/**
 * The column type of a field. A `sql-datatype` naming a MySQL/MariaDB type (as source-mysql sends it) is kept
 * exactly; one naming a PostgreSQL type (as source-postgres sends it) becomes its MySQL equivalent; either only
 * when it agrees with the JSON type. Anything else (another engine's names, a schema that lies) falls back to
 * the JSON Schema mapping.
 */
export function fieldType(schema: JsonSchema, options: ColumnTypeOptions, flavor: ServerFlavor): MysqlType {
  const column = columnType(schema, options);
  if (column.sqlType) {
    const exact = parseMysqlType(column.sqlType, flavor) ?? fromPostgresType(column.sqlType, flavor);
    if (exact && COMPATIBLE[column.logical].includes(logicalOf(exact))) return exact;
  }
  return defaultType(column.logical, column);
}
