import { link, open, rm, stat } from 'node:fs/promises';
import { schemaTypes, type BatchView, type BatchViewCast, type BatchViewField, type JsonSchema } from '@mage-int/core';
import { CSV_LINE_OPTIONS, DUCK_THREADS, sqlName, sqlString, type Duck } from './duck.js';
import type { FileReading } from './file-settings.js';
import { positionalName } from './formats/csv-reader.js';
import { parquetColumnTypes } from './formats/parquet-reader.js';
import { convertedText } from './csv-conversions.js';
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
  /**
   * At most this many BATCH files (default 1): a large CSV whose line numbers are selected is cut at row boundaries
   * into as many pieces, converted at once on DuckDB's threads (one streaming window each), each its own file named
   * after `out`. One where the destination needs a single file (keyed streams keep their file order).
   */
  parts?: number;
  /**
   * The destination takes `parquet-view` BATCH files: a Parquet file whose fields need only casts is then hard-linked
   * as `out` (not copied) and returned with the view that makes its rows the records; a CSV's file then leaves out the
   * values every row shares (key, time, partitions), which its view gives as texts.
   */
  view?: boolean;
}

/**
 * The records written: how many, and the BATCH files holding them in file order (none when there are no rows); with
 * `view`, the files are the source's own and their rows through `view` are the records (format `parquet-view`).
 */
export interface BatchFileOutput {
  rows: number;
  paths: string[];
  view?: BatchView;
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

/** Writes `input.out` (and more files beside it, see `parts`), or undefined when the file must be read record by record instead. */
export async function writeBatchFile(input: BatchFileInput): Promise<BatchFileOutput | undefined> {
  const { reading, properties } = input;
  const select: string[] = [];
  if (reading.format === 'csv') {
    const { csv } = reading;
    if (!/^utf-?8$/i.test(csv.encoding) || (reading.compression !== 'none' && reading.compression !== 'gzip')) return undefined;
    const options = `delim = ${sqlString(csv.delimiter)}, quote = ${sqlString(csv.quote)}, escape = ${sqlString(csv.escape)}, nullstr = [${csv.nullValues.map(sqlString).join(', ')}], allow_quoted_nulls = false, hive_partitioning = false, auto_detect = false, ${CSV_LINE_OPTIONS}, compression = ${sqlString(reading.compression === 'gzip' ? 'gzip' : 'none')}`;
    const before = csv.skipRows + (csv.header ? 1 : 0);
    const reader = (columns: string, path = input.path, skip = before) =>
      columns === ''
        ? `read_csv(${sqlString(path)}, header = false, skip = ${csv.skipRows}, all_varchar = true, ${options.replace('auto_detect = false', 'auto_detect = true')})`
        : `read_csv(${sqlString(path)}, header = false, skip = ${skip}, columns = ${columns}, ${options})`;
    const names = await csvNames(input, reader);
    // One column: DuckDB reads an empty line as a NULL row where the record path skips it, and the line count cannot tell.
    if (!names || names.length < 2) return undefined;
    const columns = `{${names.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ')}}`;
    const index = new Map(names.map((name, i) => [name, i])); // a repeated name: the last column wins, as in records
    // The line a row ends on: lines before it, plus the newlines inside its quoted values and those of the rows before.
    // Only text fields can hold one: a newline in a converted (number, boolean) or unselected field's value is counted
    // too, as the record path counts lines, but rarely there, so `contains` (a byte search) guards the count.
    // A CR inside a value is a line of its own for csv-parse (a quoted CRLF is two), which the file's count of LFs
    // cannot tell: such a row's count is made too large for the check below, which sends the file to the record path.
    const newlines = names
      .map(
        (_, i) =>
          `CASE WHEN contains(c${i}, chr(10)) THEN length(c${i}) - length(replace(c${i}, chr(10), '')) ELSE 0 END + CASE WHEN contains(c${i}, chr(13)) THEN ${CR_IN_VALUE} ELSE 0 END`,
      )
      .join(' + ');
    const helpers: string[] = [];
    // With a view, the values every row shares (the file's key and time, partitions) are not written into each row of
    // the file: the view gives them as texts, and the destination's INSERT takes each as one constant.
    const shared = input.view === true && !input.fields.includes('file_row_number') ? ([] as BatchViewField[]) : undefined;
    for (const field of input.fields) {
      const text = field === SOURCE_FILE ? input.key : field === SOURCE_LAST_MODIFIED ? input.modified : undefined;
      const partition =
        text === undefined && field !== SOURCE_LINENO && !index.has(field) && Object.hasOwn(input.partitions, field)
          ? input.partitions[field]
          : undefined;
      const shares = text ?? partition;
      if (shares !== undefined) {
        if (shared) shared.push({ name: field, text: shares });
        else select.push(`${sqlString(shares)} AS ${sqlName(field)}`);
        continue;
      }
      if (field === SOURCE_LINENO) select.push(`__line AS ${sqlName(field)}`);
      else if (index.has(field)) {
        const c = `c${index.get(field)}`;
        const converted = convertedText(c, properties[field] ?? {});
        if (converted === null) return undefined;
        helpers.push(...(converted?.helpers ?? []));
        select.push(`${converted?.value ?? c} AS ${sqlName(field)}`);
      } else continue;
      shared?.push({ name: field, column: field });
    }
    const viewed = (output: BatchFileOutput | undefined) => (output && shared ? { ...output, view: { fields: shared } } : output);
    // The line number comes straight off the scan (one streaming window, a running sum of each row's lines, keeps the
    // file's order), when it is selected; helper columns are computed once per row in the SELECT below the conversions.
    const numbered = input.fields.includes(SOURCE_LINENO);
    const source = (path: string, skip: number, start: number) => {
      const all = numbered
        ? [...helpers, `CAST(${start} + sum(1 + ${newlines}) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS BIGINT) AS __line`]
        : helpers;
      return all.length > 0 ? `(SELECT *, ${all.join(', ')} FROM ${reader(columns, path, skip)})` : reader(columns, path, skip);
    };
    if (numbered && reading.compression === 'none' && (input.parts ?? 1) > 1 && csv.quote.length === 1 && csv.escape === csv.quote) {
      if ((await stat(input.path)).size >= SPLIT_MIN_BYTES)
        return viewed(await writeParts(input, select, source, before, csv.quote.charCodeAt(0)));
    }
    // The file's lines are counted while DuckDB writes (on its own thread), for the check below.
    const lines = numbered && reading.compression === 'none' ? lineCount(input.path) : undefined;
    lines?.catch(() => {}); // awaited below, unless the COPY fails first
    const rows = await copy(input, select, source(input.path, before, before), 1, CSV_ROW_GROUP_ROWS);
    // Empty lines (skipped) or lone CR line ends would shift the line numbers: then the record path counts them.
    if (rows > 0 && numbered && (lines === undefined || (await lastLine(input.duck, input.out)) !== (await lines))) return undefined;
    return viewed({ rows, paths: rows > 0 ? [input.out] : [] });
  }
  if (reading.format !== 'parquet' || reading.compression !== 'none') return undefined;
  const columns = new Map((await parquetColumnTypes(input.duck, input.path, input.key)).map((c) => [c.name, c]));
  // Each field's SQL over the file's row, and the same as a BatchView field when it can be one.
  const view: BatchViewField[] = [];
  let viewable = input.view === true;
  for (const field of input.fields) {
    const q = sqlName(field);
    const text = field === SOURCE_FILE ? input.key : field === SOURCE_LAST_MODIFIED ? input.modified : undefined;
    if (text !== undefined) {
      select.push(`${sqlString(text)} AS ${q}`);
      view.push({ name: field, text });
      continue;
    }
    if (field === SOURCE_LINENO) {
      select.push(`CAST(file_row_number + 1 AS BIGINT) AS ${q}`);
      view.push({ name: field, rowNumber: true });
      continue;
    }
    const column = columns.get(field);
    if (!column) {
      if (field in input.partitions) {
        const value = input.partitions[field] as string;
        select.push(`${sqlString(value)} AS ${q}`);
        view.push({ name: field, text: value });
      }
      continue;
    }
    const type = column.duckType.toUpperCase();
    let cast: BatchViewCast | undefined;
    let value: string | undefined;
    if (/^DECIMAL\(/.test(type) || type === 'BOOLEAN') value = q;
    else if (/INT$|^INTEGER$/.test(type)) cast = 'BIGINT';
    else if (type === 'FLOAT' || type === 'DOUBLE') cast = 'DOUBLE';
    // Dates and timestamps stay typed (the record path's ISO text of the same value would only be parsed back): the
    // destination takes them into columns of the same type only (µs, as the record path's text).
    else if (type === 'DATE' || type === 'TIMESTAMP WITH TIME ZONE' || type === 'TIMESTAMPTZ') value = q;
    else if (/^TIMESTAMP/.test(type)) cast = 'TIMESTAMP';
    else if (column.schema.type !== undefined && schemaTypes(column.schema).includes('string')) {
      // Text in records (dates, times, UUIDs, timestamps, base64): as the record path selects it, converted when the
      // stream's schema declares another type.
      // A given schema declaring another type than the file's: rare, left to the record path.
      const types = schemaTypes(properties[field] ?? {}).filter((t) => t !== 'null');
      if (types.length > 0 && !types.includes('string')) return undefined;
      if (column.select === q) value = q;
      else if (column.select === `CAST(${q} AS VARCHAR)`) cast = 'VARCHAR';
      else viewable = false; // base64 of a BLOB: in the copy only
      value ??= column.select;
    } else return undefined; // lists, structs, maps, JSON: the record path
    value ??= `CAST(${q} AS ${cast as BatchViewCast})`;
    select.push(`${value} AS ${q}`);
    view.push(cast ? { name: field, column: field, cast } : { name: field, column: field });
  }
  // The file itself, linked into the batch folder, and the view: the destination applies it while it loads.
  if (viewable && !input.fields.includes('file_row_number') && (await linked(input.path, input.out))) {
    const [count] = await input.duck.rows(`SELECT count(*) AS n FROM read_parquet(${sqlString(input.out)}, hive_partitioning = false)`);
    const rows = Number(count?.['n'] ?? 0);
    return { rows, paths: rows > 0 ? [input.out] : [], view: { fields: view } };
  }
  const rows = await copy(
    input,
    select,
    `read_parquet(${sqlString(input.path)}, file_row_number = true, hive_partitioning = false)`,
    DUCK_THREADS,
  );
  return { rows, paths: rows > 0 ? [input.out] : [] };
}

/** Hard-links `path` as `out` (no copy); false where it cannot (another file system, a file of another user). */
async function linked(path: string, out: string): Promise<boolean> {
  try {
    await link(path, out);
    return true;
  } catch {
    return false;
  }
}

/** The largest `_sdc_source_lineno` of a BATCH file. */
async function lastLine(duck: Duck, path: string): Promise<number> {
  const [last] = await duck.rows(`SELECT max(${sqlName(SOURCE_LINENO)}) AS n FROM read_parquet(${sqlString(path)})`);
  return Number(last?.['n']);
}

/** What a CR inside a CSV value adds to its row's line count: more lines than any file has, so the file's check fails. */
const CR_IN_VALUE = 1_000_000_000_000;

/** A CSV smaller than this is converted in one piece. */
const SPLIT_MIN_BYTES = 16 << 20;

/** One piece of a CSV cut at row boundaries: its copy, and the lines before it and through its end. */
interface CsvPiece {
  path: string;
  linesBefore: number;
  lines: number;
}

/**
 * Copies the CSV at `path` into at most `parts` pieces of about equal size, each cut after a line end outside quoted
 * values (an even number of `quote` bytes before it: quotes are escaped by doubling them) and after the `before`
 * lines of header and skipped rows, counting the file's lines as it goes (a last line without a newline counts);
 * `written` is called as each piece is complete.
 */
async function cutCsv(
  path: string,
  parts: number,
  quote: number,
  before: number,
  out: (k: number) => string,
  written: (piece: CsvPiece, k: number) => void,
): Promise<CsvPiece[]> {
  const size = (await stat(path)).size;
  const input = await open(path, 'r');
  const pieces: CsvPiece[] = [{ path: out(0), linesBefore: 0, lines: 0 }];
  let output = await open(out(0), 'w');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let position = 0;
    let quotes = 0;
    let lines = 0;
    let last = 10;
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      let from = 0;
      let q = buffer.indexOf(quote, 0);
      for (let nl = buffer.indexOf(10, 0); nl !== -1 && nl < bytesRead; nl = buffer.indexOf(10, nl + 1)) {
        for (; q !== -1 && q < nl; q = buffer.indexOf(quote, q + 1)) quotes++;
        lines++;
        const next = pieces.length;
        if (next < parts && position + nl + 1 >= (size * next) / parts && quotes % 2 === 0 && lines > before) {
          await output.write(buffer, from, nl + 1 - from);
          await output.close();
          (pieces[next - 1] as CsvPiece).lines = lines;
          written(pieces[next - 1] as CsvPiece, next - 1);
          pieces.push({ path: out(next), linesBefore: lines, lines: 0 });
          output = await open(out(next), 'w');
          from = nl + 1;
        }
      }
      for (; q !== -1 && q < bytesRead; q = buffer.indexOf(quote, q + 1)) quotes++;
      await output.write(buffer, from, bytesRead - from);
      last = buffer[bytesRead - 1] as number;
      position += bytesRead;
    }
    await output.close();
    (pieces.at(-1) as CsvPiece).lines = last === 10 ? lines : lines + 1;
    written(pieces.at(-1) as CsvPiece, pieces.length - 1);
    return pieces;
  } finally {
    await output.close().catch(() => {});
    await input.close();
  }
}

/**
 * A large CSV's records as several BATCH files: the file is cut into pieces at row boundaries (copies, beside the
 * BATCH files), and each piece converted by its own statement, all at once on DuckDB's threads, its line numbers
 * starting after the lines before it. The conversion's streaming window keeps one statement on one thread: a 1M-row
 * CSV took 2.0-4.4 s alone and 1.2-2.5 s in two pieces, the cut included (load 6.5; CPU 1.75-1.87 s and 1.74-1.90 s).
 * Each piece's last line number is checked as the whole file's is.
 */
async function writeParts(
  input: BatchFileInput,
  select: string[],
  source: (path: string, skip: number, start: number) => string,
  before: number,
  quote: number,
): Promise<BatchFileOutput | undefined> {
  const parts = input.parts ?? 1;
  const outs = Array.from({ length: parts }, (_, k) => (k === 0 ? input.out : input.out.replace(/(\.parquet)?$/, `-${k}.parquet`)));
  const convert = async (piece: CsvPiece, k: number): Promise<number> => {
    const connection = await input.duck.connect();
    try {
      const from = source(piece.path, k === 0 ? before : 0, k === 0 ? before : piece.linesBefore);
      const reader = await connection.runAndReadAll(
        `COPY (SELECT ${select.length > 0 ? select.join(', ') : '1 AS _empty'} FROM ${from}) TO ${sqlString(outs[k] as string)} (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE ${CSV_ROW_GROUP_ROWS})`,
      );
      return Number((reader.getRowObjectsJS()[0] as Record<string, unknown> | undefined)?.['Count'] ?? 0);
    } finally {
      connection.closeSync();
    }
  };
  const statements: Promise<number>[] = [];
  let paths: string[] | undefined;
  // Each statement on its own caller's thread and no other: with DuckDB's worker thread beside them, two statements
  // took 2.6-3.0 s CPU for a 1M-row CSV (one alone 1.8-1.9 s); with none, 1.7-1.9 s (load 6.5).
  await input.duck.rows('SET threads = 1');
  try {
    // Each piece is converted as soon as it is written, while the next one is.
    const pieces = await cutCsv(
      input.path,
      parts,
      quote,
      before,
      (k) => `${outs[k] as string}.csv`,
      (piece, k) => {
        statements[k] = convert(piece, k);
        statements[k].catch(() => {}); // settled below
      },
    );
    // Every statement has ended before anything is removed; the first refusal is the caller's.
    const settled = await Promise.allSettled(statements);
    const refused = settled.find((result) => result.status === 'rejected');
    if (refused) throw refused.reason;
    const counts = settled.map((result) => (result as PromiseFulfilledResult<number>).value);
    // Empty lines (skipped) or lone CR line ends would shift the line numbers: then the record path counts them.
    for (const [k, piece] of pieces.entries())
      if ((counts[k] as number) > 0 && (await lastLine(input.duck, outs[k] as string)) !== piece.lines) return undefined;
    paths = outs.filter((_, k) => (counts[k] ?? 0) > 0);
    return { rows: counts.reduce((a, b) => a + b, 0), paths };
  } finally {
    await Promise.allSettled(statements);
    await input.duck.rows(`SET threads = ${DUCK_THREADS}`);
    // The pieces go; the caller removes `out`, and the other files go here unless they are handed over.
    const kept = new Set(paths ?? []);
    await Promise.all([
      ...outs.map((out) => rm(`${out}.csv`, { force: true })),
      ...outs
        .slice(1)
        .filter((out) => !kept.has(out))
        .map((out) => rm(out, { force: true })),
    ]);
  }
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
