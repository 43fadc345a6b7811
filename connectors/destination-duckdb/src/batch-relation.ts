import { ProtocolError, type BatchMessage, type BatchView, type BatchViewField } from '@mage-int/core';
import { ansiQuoteLiteral, quoteIdentifier } from '@mage-int/core/sql';
import { csvViewRelation } from '@mage-int/files';

/**
 * The records of a Parquet BATCH message as a relation DuckDB reads: `records` (their fields only) and `numbered` (the
 * same plus each row's `file_row_number`, counted from 0 in its file, for ordering and paging).
 */
export interface BatchRelation {
  records: string;
  numbered: string;
  /** The files, as a SQL list of paths. */
  files: string;
  /** `csv-view`: DuckDB's CSV reader, whose rows have no number (`numbered` is `records`) nor row groups. */
  csv?: true;
}

const CASTS = new Set(['BIGINT', 'DOUBLE', 'TIMESTAMP', 'VARCHAR']);

/**
 * The relation of a `parquet` BATCH (the files hold the records), a `parquet-view` one (the files' rows through the
 * message's view: the source's own file, so its rows are written once) or a `csv-view` one (a CSV's numbered rows,
 * converted by the files kit's rules: csvViewRelation); undefined for other formats. A view is built from its
 * structured fields (quoted names, a closed set of casts and conversions), never taken as SQL.
 */
export function batchRelation(message: BatchMessage, paths: readonly string[]): BatchRelation | undefined {
  const files = `[${paths.map((path) => ansiQuoteLiteral(path)).join(', ')}]`;
  if (message.encoding.format === 'parquet')
    return { records: `read_parquet(${files})`, numbered: `read_parquet(${files}, file_row_number = true)`, files };
  if (message.encoding.format === 'csv-view') {
    const records = csvViewRelation(message.view, paths, message.stream);
    return { records, numbered: records, files, csv: true };
  }
  if (message.encoding.format !== 'parquet-view') return undefined;
  const fields = (message.view as BatchView | undefined)?.fields;
  if (!Array.isArray(fields) || fields.length === 0) throw invalid(message, 'has no view fields');
  const select = fields.map((field) => fieldSql(message, field)).join(', ');
  const from = `read_parquet(${files}, file_row_number = true, hive_partitioning = false)`;
  return { records: `(SELECT ${select} FROM ${from})`, numbered: `(SELECT ${select}, file_row_number FROM ${from})`, files };
}

function fieldSql(message: BatchMessage, field: BatchViewField): string {
  const f = field as Partial<Record<'name' | 'column' | 'cast' | 'text', unknown>> & { rowNumber?: unknown };
  if (typeof f.name !== 'string' || f.name === '' || f.name === 'file_row_number')
    throw invalid(message, `names a field ${JSON.stringify(f.name)}`);
  const as = quoteIdentifier(f.name);
  if (typeof f.text === 'string') return `${ansiQuoteLiteral(f.text)} AS ${as}`;
  if (f.rowNumber === true) return `CAST(file_row_number + 1 AS BIGINT) AS ${as}`;
  if (typeof f.column !== 'string') throw invalid(message, `field "${f.name}" has neither a column, a text nor a row number`);
  const column = quoteIdentifier(f.column);
  if (f.cast === undefined) return `${column} AS ${as}`;
  if (typeof f.cast !== 'string' || !CASTS.has(f.cast)) throw invalid(message, `field "${f.name}" asks for cast ${JSON.stringify(f.cast)}`);
  return `CAST(${column} AS ${f.cast}) AS ${as}`;
}

function invalid(message: BatchMessage, why: string): ProtocolError {
  return new ProtocolError('BATCH_VIEW_INVALID', `the view of a parquet-view BATCH ${why}`, {
    stream: message.stream,
    hint: 'a view field is {name, column, cast?} (cast BIGINT, DOUBLE, TIMESTAMP or VARCHAR), {name, text} or {name, rowNumber: true}',
  });
}
