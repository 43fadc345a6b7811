import { open } from 'node:fs/promises';
import { schemaTypes, type JsonSchema } from '@mage-int/core';
import { CSV_LINE_OPTIONS, DUCK_THREADS, sqlName, sqlString, type Duck } from './duck.js';
import type { FileReading } from './file-settings.js';
import { positionalName } from './formats/csv-reader.js';
import { parquetColumnTypes } from './formats/parquet-reader.js';
import { SOURCE_FILE, SOURCE_LAST_MODIFIED, SOURCE_LINENO } from './metadata-columns.js';

/**
 * A file's records as a Parquet BATCH file (ConnectorContext.batchFiles), written by DuckDB in one statement on its
 * threads instead of record by record in JavaScript. The file holds exactly the records the JS path would send: the
 * selected fields only, CSV text converted by the same rules as RecordShaper (values it would refuse, and numbers it
 * would keep as exact decimals, make DuckDB stop: the caller then reads the file's records the usual way, which names
 * the line), partition and metadata values, `_sdc_source_lineno` the line a CSV row ends on. Column types are those
 * of the record values (VARCHAR, BIGINT, DOUBLE, BOOLEAN, DECIMAL(p,s)), and a Parquet file's DATE and TIMESTAMP(TZ)
 * columns as they are.
 */
export interface BatchFileInput {
  duck: Duck;
  /** The file on the local disk (CSV: uncompressed or gzip; Parquet: uncompressed). */
  path: string;
  reading: FileReading;
  key: string;
  modified: string;
  partitions: Record<string, string>;
  properties: Record<string, JsonSchema>;
  /** The selected fields, in the catalog's order. */
  fields: readonly string[];
  out: string;
}

// Equalities, not IN lists: DuckDB plans an IN list of constants as a join over every row.
const oneOf = (value: string, words: readonly string[]) => `(${words.map((w) => `${value} = '${w}'`).join(' OR ')})`;
const TRUE_WORDS = ['true', 't', 'yes', 'y', '1'];
const FALSE_WORDS = ['false', 'f', 'no', 'n', '0'];

/** SQL of one converted field: its value, and the helper columns it reads (computed once per row, in an inner SELECT). */
interface Conversion {
  /** Helpers over the file's columns (the text cast as it is). */
  helpers: string[];
  value: string;
}

/**
 * SQL turning CSV text column `c` into the record value RecordShaper makes of it (coerce.ts); undefined when the field
 * keeps its text, null when only the record path can convert it (JSON). A text RecordShaper refuses makes DuckDB stop
 * (`error()`), and so do integers past int64 and numbers whose value a double does not hold (more than 15 significant
 * digits and not the double's own shortest form): the record path then reads the file, and names the line.
 */
function convertedText(c: string, schema: JsonSchema): Conversion | undefined | null {
  const types = schemaTypes(schema).filter((t) => t !== 'null');
  if (types.length === 0 || types.includes('string')) return undefined;
  // The text as RecordShaper reads it (trimmed, without a leading `+`): computed only for rows the fast tests below
  // do not settle, as are the slow tests (the original rules, unchanged).
  const t = `ltrim(trim(${c}), '+')`;
  // DuckDB's casts accept more than RecordShaper (`1.5`, `1e3`, `0x10`, `1_000` as integers; `inf`, `nan`, `1_000` as
  // doubles): integers must print back as their text, doubles be finite and without `_`.
  if (types.includes('integer') && !types.includes('number')) {
    const b = `${c}_i`;
    const slow = `CASE WHEN CAST(TRY_CAST(${t} AS BIGINT) AS VARCHAR) = ${t} THEN TRY_CAST(${t} AS BIGINT) ELSE error('not an integer') END`;
    // Fast: the text is an integer's own print (nothing to trim), so it is the trimmed text too.
    return {
      helpers: [`TRY_CAST(${c} AS BIGINT) AS ${b}`],
      value: `CASE WHEN ${c} IS NULL THEN NULL WHEN CAST(${b} AS VARCHAR) = ${c} THEN ${b} ELSE ${slow} END`,
    };
  }
  if (types.includes('number')) {
    const d = `${c}_d`;
    const slowD = `TRY_CAST(${t} AS DOUBLE)`;
    const mantissa = `regexp_replace(regexp_replace(regexp_replace(${t}, '^-', ''), '[eE].*$', ''), '\\.', '')`;
    const significant = `greatest(length(rtrim(ltrim(${mantissa}, '0'), '0')), 1)`;
    const zero = `(${slowD} <> 0 OR NOT regexp_matches(regexp_replace(${t}, '[eE].*$', ''), '[1-9]'))`;
    // Fast: the text starts with `-`, `.` or a digit and ends with `.` or a digit (so trimming leaves it as it is),
    // and passes the slow tests' first two rules. Nested CASEs: the cheap tests decide most values, the digit count
    // runs only for the rest.
    const plain = `ascii(${c}) BETWEEN 45 AND 57 AND ascii(right(${c}, 1)) BETWEEN 46 AND 57`;
    return {
      helpers: [`TRY_CAST(${c} AS DOUBLE) AS ${d}`],
      value: `CASE WHEN ${c} IS NULL THEN NULL
        WHEN ${plain} AND isfinite(${d}) AND NOT contains(${c}, '_') AND ((length(${c}) <= 15 AND ${d} <> 0) OR CAST(${d} AS VARCHAR) = ${c}) THEN ${d}
        WHEN ${slowD} IS NULL OR NOT isfinite(${slowD}) OR contains(${t}, '_') THEN error('not a number')
        WHEN (length(${t}) <= 15 AND ${slowD} <> 0) OR CAST(${slowD} AS VARCHAR) = ${t} THEN ${slowD}
        WHEN ${zero} AND ${significant} <= 15 THEN ${slowD} ELSE error('not a double') END`,
    };
  }
  if (types.includes('boolean')) {
    const lower = `lower(trim(${c}))`;
    return {
      helpers: [],
      value: `CASE WHEN ${c} IS NULL THEN NULL WHEN ${c} = 'true' THEN true WHEN ${c} = 'false' THEN false
        WHEN ${oneOf(lower, TRUE_WORDS)} THEN true WHEN ${oneOf(lower, FALSE_WORDS)} THEN false ELSE error('not a boolean') END`,
    };
  }
  // Objects and arrays (parsed JSON): the record path only.
  return null;
}

/** Line ends of a file: the line its last byte is on (a last line without a newline counts). */
async function lineCount(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let lines = 0;
    let last = 10;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      for (let i = buffer.indexOf(10, 0); i !== -1 && i < bytesRead; i = buffer.indexOf(10, i + 1)) lines++;
      last = buffer[bytesRead - 1] as number;
    }
    return last === 10 ? lines : lines + 1;
  } finally {
    await handle.close();
  }
}

/** The CSV's column names (header, given names, or positional), read with DuckDB. */
async function csvNames(input: BatchFileInput, reader: (columns: string) => string): Promise<string[] | undefined> {
  const { csv } = input.reading;
  const probe = await input.duck.rows(`SELECT * FROM ${reader('')} LIMIT 1`).catch(() => undefined);
  const first = probe?.[0];
  if (!first) return undefined;
  const values = Object.values(first).map((v) => (v === null ? null : String(v)));
  if (csv.header) return csv.columnNames ?? values.map((name, i) => (name === null || name === '' ? positionalName(i) : name));
  return csv.columnNames ?? values.map((_, i) => positionalName(i));
}

/** Writes `input.out`; the number of records, or undefined when the file must be read record by record instead. */
export async function writeBatchFile(input: BatchFileInput): Promise<number | undefined> {
  const { reading, properties } = input;
  const select: string[] = [];
  const constants = (field: string): string | undefined => {
    if (field === SOURCE_FILE) return `${sqlString(input.key)} AS ${sqlName(field)}`;
    if (field === SOURCE_LAST_MODIFIED) return `${sqlString(input.modified)} AS ${sqlName(field)}`;
    return undefined;
  };
  let from: string;
  if (reading.format === 'csv') {
    const { csv } = reading;
    if (!/^utf-?8$/i.test(csv.encoding) || (reading.compression !== 'none' && reading.compression !== 'gzip')) return undefined;
    const options = `delim = ${sqlString(csv.delimiter)}, quote = ${sqlString(csv.quote)}, escape = ${sqlString(csv.escape)}, nullstr = [${csv.nullValues.map(sqlString).join(', ')}], allow_quoted_nulls = false, hive_partitioning = false, auto_detect = false, ${CSV_LINE_OPTIONS}, compression = ${sqlString(reading.compression === 'gzip' ? 'gzip' : 'none')}`;
    const reader = (columns: string) =>
      columns === ''
        ? `read_csv(${sqlString(input.path)}, header = false, skip = ${csv.skipRows}, all_varchar = true, ${options.replace('auto_detect = false', 'auto_detect = true')})`
        : `read_csv(${sqlString(input.path)}, header = false, skip = ${csv.skipRows + (csv.header ? 1 : 0)}, columns = ${columns}, ${options})`;
    const names = await csvNames(input, reader);
    // One column: DuckDB reads an empty line as a NULL row where the record path skips it, and the line count cannot tell.
    if (!names || names.length < 2) return undefined;
    const columns = `{${names.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ')}}`;
    const index = new Map(names.map((name, i) => [name, i])); // a repeated name: the last column wins, as in records
    // The line a row ends on: lines before it, plus the newlines inside its quoted values and those of the rows before.
    // Only text fields can hold one: a newline in a converted (number, boolean) or unselected field's value is counted
    // too, as the record path counts lines, but rarely there, so `contains` (a byte search) guards the count.
    const newlines = names
      .map((_, i) => `CASE WHEN contains(c${i}, chr(10)) THEN length(c${i}) - length(replace(c${i}, chr(10), '')) ELSE 0 END`)
      .join(' + ');
    const before = csv.skipRows + (csv.header ? 1 : 0);
    const helpers: string[] = [];
    for (const field of input.fields) {
      const constant = constants(field);
      if (constant) select.push(constant);
      else if (field === SOURCE_LINENO) select.push(`__line AS ${sqlName(field)}`);
      else if (index.has(field)) {
        const c = `c${index.get(field)}`;
        const converted = convertedText(c, properties[field] ?? {});
        if (converted === null) return undefined;
        helpers.push(...(converted?.helpers ?? []));
        select.push(`${converted?.value ?? c} AS ${sqlName(field)}`);
      } else if (field in input.partitions) select.push(`${sqlString(input.partitions[field] as string)} AS ${sqlName(field)}`);
    }
    // The line number comes straight off the scan (one streaming window, a running sum of each row's lines, keeps the
    // file's order), when it is selected; helper columns are computed once per row in the SELECT below the conversions.
    if (input.fields.includes(SOURCE_LINENO))
      helpers.push(`CAST(${before} + sum(1 + ${newlines}) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS __line`);
    from = helpers.length > 0 ? `(SELECT *, ${helpers.join(', ')} FROM ${reader(columns)})` : reader(columns);
    // The file's lines are counted while DuckDB writes (on its own thread), for the check below.
    const lines = input.fields.includes(SOURCE_LINENO) && reading.compression === 'none' ? lineCount(input.path) : undefined;
    lines?.catch(() => {}); // awaited below, unless the COPY fails first
    const rows = await copy(input, select, from, 1, CSV_ROW_GROUP_ROWS);
    // Empty lines (skipped) or lone CR line ends would shift the line numbers: then the record path counts them.
    if (rows > 0 && input.fields.includes(SOURCE_LINENO)) {
      const [last] = await input.duck.rows(`SELECT max(${sqlName(SOURCE_LINENO)}) AS n FROM read_parquet(${sqlString(input.out)})`);
      if (lines === undefined || Number(last?.['n']) !== (await lines)) return undefined;
    }
    return rows;
  }
  if (reading.format !== 'parquet' || reading.compression !== 'none') return undefined;
  const columns = new Map((await parquetColumnTypes(input.duck, input.path, input.key)).map((c) => [c.name, c]));
  for (const field of input.fields) {
    const constant = constants(field);
    if (constant) {
      select.push(constant);
      continue;
    }
    if (field === SOURCE_LINENO) {
      select.push(`CAST(file_row_number + 1 AS BIGINT) AS ${sqlName(field)}`);
      continue;
    }
    const column = columns.get(field);
    if (!column) {
      if (field in input.partitions) select.push(`${sqlString(input.partitions[field] as string)} AS ${sqlName(field)}`);
      continue;
    }
    const q = sqlName(field);
    const type = column.duckType.toUpperCase();
    let value: string;
    if (/^DECIMAL\(/.test(type) || type === 'BOOLEAN') value = q;
    else if (/INT$|^INTEGER$/.test(type)) value = `CAST(${q} AS BIGINT)`;
    else if (type === 'FLOAT' || type === 'DOUBLE') value = `CAST(${q} AS DOUBLE)`;
    // Dates and timestamps stay typed (the record path's ISO text of the same value would only be parsed back): the
    // destination takes them into columns of the same type only (µs, as the record path's text).
    else if (type === 'DATE' || type === 'TIMESTAMP WITH TIME ZONE' || type === 'TIMESTAMPTZ') value = q;
    else if (/^TIMESTAMP/.test(type)) value = `CAST(${q} AS TIMESTAMP)`;
    else if (column.schema.type !== undefined && schemaTypes(column.schema).includes('string')) {
      // Text in records (dates, times, UUIDs, timestamps, base64): as the record path selects it, converted when the
      // stream's schema declares another type.
      // A given schema declaring another type than the file's: rare, left to the record path.
      const types = schemaTypes(properties[field] ?? {}).filter((t) => t !== 'null');
      if (types.length > 0 && !types.includes('string')) return undefined;
      value = column.select;
    } else return undefined; // lists, structs, maps, JSON: the record path
    select.push(`${value} AS ${q}`);
  }
  return copy(input, select, `read_parquet(${sqlString(input.path)}, file_row_number = true, hive_partitioning = false)`, DUCK_THREADS);
}

/**
 * Rows per row group of a CSV's BATCH file: below DuckDB's own row group (122,880 rows). The CSV statement's chunks
 * filled row groups of 124,208 rows, which DuckDB's ordered INSERT stored as a full row group plus a sliver each, and
 * the destination's CHECKPOINT then rewrote the table (0.6-1.2 s for 1M rows); smaller groups are merged as they are
 * inserted, and the CHECKPOINT has nothing left to do. (A Parquet file's statement, on two threads, writes groups of
 * exactly 122,880 rows, which DuckDB takes as they are; 100,000 there cost ~100 MB more peak RSS in the pipeline.)
 */
const CSV_ROW_GROUP_ROWS = 100_000;

/**
 * The COPY, on `threads` threads (with row groups of `rowGroupRows`, or DuckDB's default). A CSV's statement runs in one pipeline anyway (its streaming window keeps the file's
 * order), and a second thread only added CPU on a busy machine: the same 1M-row conversion took 2.7-2.8 s CPU on one
 * thread, 3.2-6.9 s on two (load 16). A Parquet file's showed no difference (2.4-2.9 s CPU for the whole run either way).
 */
async function copy(input: BatchFileInput, select: string[], from: string, threads: number, rowGroupRows?: number): Promise<number> {
  if (threads !== DUCK_THREADS) await input.duck.rows(`SET threads = ${threads}`);
  try {
    const [result] = await input.duck.rows(
      `COPY (SELECT ${select.length > 0 ? select.join(', ') : '1 AS _empty'} FROM ${from}) TO ${sqlString(input.out)} (FORMAT parquet, COMPRESSION uncompressed${rowGroupRows ? `, ROW_GROUP_SIZE ${rowGroupRows}` : ''})`,
    );
    return Number(result?.['Count'] ?? 0);
  } finally {
    if (threads !== DUCK_THREADS) await input.duck.rows(`SET threads = ${DUCK_THREADS}`);
  }
}
