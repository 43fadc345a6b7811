export { normalizeIdentifier, columnNames, quoteIdentifier, type IdentifierRules } from './identifiers.js';
export { columnType, widenLogicalType, type ColumnType, type LogicalType } from './column-types.js';
