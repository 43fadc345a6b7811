import {
  ConnectorError,
  getMetadata,
  keyProperties,
  selectedFields,
  type CatalogStream,
  type JsonSchema,
  type Logger,
  type RecordData,
} from '@mage-int/core';
import type { MySqlClient } from './connection.js';
import { ident, qualified } from './connection.js';
import { tableKeys, tableOf } from './discover.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { loadTables, type TableInfo } from './tables.js';
import {
  columnSchema,
  selectExpression,
  valueConverter,
  valueKind,
  type ColumnInfo,
  type ValueConverter,
  type ValueKind,
} from './type-map.js';

/** A live column being read. */
export interface PlanColumn extends ColumnInfo {
  kind: ValueKind;
  convert: ValueConverter;
}

/** What reading one selected stream needs: where the table is, which columns to read and how to convert them. */
export interface TablePlan {
  entry: CatalogStream;
  tapStreamId: string;
  stream: string;
  database: string;
  table: string;
  isView: boolean;
  columns: PlanColumn[];
  keys: string[];
  schema: JsonSchema;
}

/** Thrown by a converter for a zero date under `zero_dates: error`; `convertRow` adds the record. */
class ZeroDate extends Error {
  constructor(readonly column: string) {
    super(`zero date in column ${column}`);
  }
}

/** Zero dates become NULL with one warning per column, or fail the read, per `zero_dates`. */
function zeroDateHandler(config: Config, tapStreamId: string, logger: Logger): (column: string) => null {
  const warned = new Set<string>();
  return (column) => {
    if (config.zero_dates === 'error') throw new ZeroDate(column);
    if (!warned.has(column)) {
      warned.add(column);
      logger.warn(`column "${column}" holds zero dates (0000-00-00); they are read as NULL (zero_dates: null)`, { stream: tapStreamId });
    }
    return null;
  };
}

/** The error for a selected stream whose table is gone. */
export function tableNotFound(entry: CatalogStream, database: string, table: string): ConnectorError {
  return new ConnectorError('TABLE_NOT_FOUND', `table ${qualified(database, table)} does not exist (dropped or renamed)`, {
    stream: entry.tap_stream_id,
    hint: 'run discovery again and deselect or rename the stream; its saved bookmark can be removed with `mage-int state clear`',
  });
}

/** A plan from a live table description. */
export function planFromTable(
  config: Config,
  entry: CatalogStream,
  live: TableInfo,
  logger: Logger,
  alsoRead: readonly string[] = [],
  includeNew = false,
): TablePlan {
  const keys = keyProperties(entry).length > 0 ? keyProperties(entry) : tableKeys(config, live);
  const byName = new Map(live.columns.map((c) => [c.name, c]));
  for (const key of [...keys, ...alsoRead]) {
    if (!byName.has(key)) {
      throw new ConnectorError(
        'KEY_COLUMN_MISSING',
        `column "${key}" (a key or the replication key) no longer exists in ${qualified(live.database, live.table)}`,
        {
          stream: entry.tap_stream_id,
          field: key,
          hint: 'run discovery again so the stream gets its current key',
        },
      );
    }
  }
  const wanted = selectedFields(entry);
  const zeroDate = zeroDateHandler(config, entry.tap_stream_id, logger);
  const columns: PlanColumn[] = [];
  const properties: Record<string, JsonSchema> = {};
  const catalogProps = entry.schema.properties ?? {};
  for (const column of live.columns) {
    // A column added since discovery is read when `includeNew` (LOG_BASED follows ALTER TABLE ADD COLUMN).
    const added = includeNew && !(column.name in catalogProps);
    if (!added && !wanted.includes(column.name) && !keys.includes(column.name) && !alsoRead.includes(column.name)) continue;
    columns.push({ ...column, kind: valueKind(column), convert: valueConverter(column, zeroDate) });
    const discovered = getMetadata(entry, ['properties', column.name])['sql-datatype'];
    const stale = typeof discovered === 'string' && discovered !== column.columnType;
    if (stale)
      logger.warn(`column "${column.name}" is ${column.columnType} now (the catalog says ${discovered}); its schema follows the table`, {
        stream: entry.tap_stream_id,
      });
    properties[column.name] = (!stale ? catalogProps[column.name] : undefined) ?? columnSchema(column, keys.includes(column.name));
  }
  for (const name of wanted)
    if (!byName.has(name))
      logger.warn(`column "${name}" of ${qualified(live.database, live.table)} no longer exists; it is skipped`, {
        stream: entry.tap_stream_id,
      });
  return {
    entry,
    tapStreamId: entry.tap_stream_id,
    stream: entry.stream,
    database: live.database,
    table: live.table,
    isView: live.isView,
    columns,
    keys,
    schema: { ...entry.schema, type: 'object', properties },
  };
}

/** Loads the live columns of a stream's table and checks the selection still fits it. */
export async function planTable(
  client: MySqlClient,
  config: Config,
  entry: CatalogStream,
  logger: Logger,
  alsoRead: readonly string[] = [],
  includeNew = false,
): Promise<TablePlan> {
  const { database, table } = tableOf(entry);
  const [live] = await loadTables(client, [database], new Set([`${database}.${table}`]));
  if (!live) throw tableNotFound(entry, database, table);
  return planFromTable(config, entry, live, logger, alsoRead, includeNew);
}

/** The SELECT list of a plan's columns. */
export function selectList(plan: TablePlan): string {
  return plan.columns.map((c) => selectExpression(c, ident(c.name))).join(', ');
}

/**
 * A record from a row of the plan's columns in order (a query with rowsAsArray), or by name (a binlog row).
 * `index` is the record's position, for errors.
 */
export function convertRow(plan: TablePlan, row: readonly unknown[] | Record<string, unknown>, index: number): RecordData {
  const record: RecordData = {};
  const byPosition = Array.isArray(row);
  const columns = plan.columns;
  try {
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as PlanColumn;
      const value = byPosition ? (row as readonly unknown[])[i] : (row as Record<string, unknown>)[column.name];
      record[column.name] = value === null || value === undefined ? null : column.convert(value);
    }
  } catch (error) {
    throw rowError(plan, error, index);
  }
  return record;
}

/** What a failure to read the row at `index` throws: a zero date under `zero_dates: error` names its record. */
export function rowError(plan: TablePlan, error: unknown, index: number): unknown {
  if (!(error instanceof ZeroDate)) return error;
  return new ConnectorError('ZERO_DATE', `column "${error.column}" holds a zero date (0000-00-00), which no destination accepts`, {
    stream: plan.tapStreamId,
    record: index,
    field: error.column,
    hint: 'set zero_dates: null to read zero dates as NULL, or fix the rows (UPDATE … SET col = NULL WHERE col = 0)',
  });
}
