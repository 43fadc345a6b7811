export { normalizeIdentifier, columnNames, identifierKey, quoteIdentifier, type IdentifierRules } from './identifiers.js';
export { columnType, widenLogicalType, type ColumnType, type ColumnTypeOptions, type LogicalType } from './column-types.js';
export { base16Digits, decodeBase16, base16Error } from './content-encoding.js';
export {
  METADATA_COLUMNS,
  METADATA_LOGICAL_TYPES,
  STAGING_SEQUENCE,
  STAGING_DELETED,
  ansiQuoteIdentifier,
  ansiQuoteLiteral,
  standardActivateVersion,
  standardMerge,
  standardLostDdlRace,
  sqlState,
  type MetadataColumn,
  type TableRef,
  type ColumnDefinition,
  type DialectCapabilities,
  type MergePlan,
  type SqlDialect,
} from './dialect.js';
export { StandardDialect, type StandardType, type StandardDialectOptions } from './standard-dialect.js';
export {
  SqlSession,
  type SqlConnection,
  type SqlTable,
  type LoadColumn,
  type SqlSessionOptions,
  sqlSessionOptions,
  type SqlSessionSettings,
  type DirectLoad,
  type NativeLoad,
} from './sql-session.js';
