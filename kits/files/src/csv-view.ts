import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { ProtocolError, type CsvBatchView, type CsvBatchViewField, type JsonSchema, type RecordData } from '@mage-int/core';
import { RecordShaper } from './coerce.js';
import { kindConversion, textKind, type TextKind } from './csv-conversions.js';
import { CSV_LINE_OPTIONS, sqlName, sqlString } from './duck.js';
import { positionalName, readCsvRows, type CsvReadOptions } from './formats/csv-reader.js';
import { SOURCE_FILE, SOURCE_LAST_MODIFIED, SOURCE_LINENO } from './metadata-columns.js';

/*
 * `csv-view` BATCH files: a CSV's records loaded by a destination that reads the CSV itself (DuckDB's parallel
 * reader inside destination-duckdb's INSERT), instead of a Parquet copy the source converts (batch-file.ts).
 *
 * The file is the source's CSV with each data row prefixed by the line it ends on (`12,` + the row's own bytes), the
 * header and skipped lines as empty lines (so a line of the copy is the source's line) and no BOM. The line number is
 * in the file because DuckDB has no row position for a CSV it reads in parallel (row_number(), WITH ORDINALITY,
 * POSITIONAL JOIN and a running sum are all one streaming pipeline: 1.2-1.4 s for a 1M-row INSERT against 0.64-0.69 s
 * in parallel, bench/README.md), and numbering the rows in JavaScript is a byte scan and a copy (~0.2 s per 100 MB),
 * far less than converting the file.
 *
 * The view says how to read it and make its rows the records (CsvBatchView, structured: the SQL is built here, never
 * taken from a message). The SQL conversions are RecordShaper's rules (csv-conversions.ts); a value they refuse, or a
 * number only an exact decimal holds, makes DuckDB stop, and the destination then reads the same file through
 * `csvViewRecords` — readCsvRows and RecordShaper, the record path — which keeps exact decimals and names the file,
 * line and field of a bad value.
 */

/** What `writeNumberedCsv` wrote: the data rows and the file's column names (header, given names, or positional). */
export interface NumberedCsv {
  rows: number;
  columns: string[];
}

const LF = 10;
const CR = 13;

/**
 * Writes the data rows of a CSV (its bytes, uncompressed) to `out`, each prefixed by the line it ends on and the
 * delimiter; undefined (and nothing left at `out`) when the file must be read by the record path: another encoding
 * than UTF-8, a delimiter, quote or escape that is not one ASCII character or an escape other than the quote (rows are
 * cut at line ends after an even number of quotes), line ends other than the first one's (LF or CRLF) or a CR
 * elsewhere (csv-parse counts it as a line), a quote in the skipped lines or where csv-parse takes none, an unclosed
 * quote at the end, or a first row whose values are not as many as the header's or the given column names. Lines are
 * counted as csv-parse counts them (`info.lines`): a row's line is the line its last byte is on, a CRLF inside a
 * quoted value two lines.
 */
export async function writeNumberedCsv(
  input: AsyncIterable<Uint8Array>,
  csv: CsvReadOptions,
  out: string,
): Promise<NumberedCsv | undefined> {
  if (!/^utf-?8$/i.test(csv.encoding)) return undefined;
  const oneByte = (text: string) => text.length === 1 && text.charCodeAt(0) < 128 && text !== '\n' && text !== '\r';
  if (!oneByte(csv.delimiter) || !oneByte(csv.quote) || csv.escape !== csv.quote) return undefined;
  const quote = csv.quote.charCodeAt(0);
  const delimiter = csv.delimiter.charCodeAt(0);
  const output = await open(out, 'w');
  let written = false;
  let pending: Promise<unknown> = Promise.resolve();
  try {
    const numbered = await numberRows(input, csv, quote, delimiter, async (bytes, length) => {
      pending = output.write(bytes, 0, length);
      await pending;
    });
    written = numbered !== undefined;
    return numbered;
  } finally {
    await pending.catch(() => {});
    await output.close();
    if (!written) await rm(out, { force: true });
  }
}

async function numberRows(
  input: AsyncIterable<Uint8Array>,
  csv: CsvReadOptions,
  quote: number,
  delimiter: number,
  write: (bytes: Buffer, length: number) => Promise<void>,
): Promise<NumberedCsv | undefined> {
  // The decimal digits of `counter`, right-aligned (leading zeros before `first10`).
  const digits = Buffer.alloc(24, 48);
  let counter = 0;
  let first10 = 23;
  let buffer = Buffer.allocUnsafe(0);
  let out = Buffer.allocUnsafe(1 << 21);
  let o = 0;
  // Written while the next chunk is numbered (waiting for each write left the thread idle a quarter of the time).
  let spare = Buffer.allocUnsafe(1 << 21);
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    await writing;
    writing = write(out, o);
    [out, spare] = [spare, out];
    o = 0;
  };
  let line = 0; // the lines before the row being read
  let rows = 0;
  let skip = csv.skipRows; // raw lines still to skip (csv-parse's from_line)
  let header = csv.header; // the header row is still to come
  let columns = csv.header ? undefined : csv.columnNames;
  let counted: number | undefined; // how many values csv-parse holds every row to (the header's), checked on the first row
  let first = true;
  let bom = true;
  let crlf: boolean | undefined; // the file's line ends, from its first
  let carry = 0; // bytes at the start of `buffer`: a row not yet ended
  const room = (bytes: number) => {
    if (o + bytes <= out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(out.length * 2, o + bytes));
    out.copy(grown, 0, 0, o);
    out = grown;
  };
  const emptyLines = (n: number) => {
    room(2 * n);
    for (let i = 0; i < n; i++) {
      if (crlf) out[o++] = CR;
      out[o++] = LF;
    }
  };
  let before = 0; // the lines before the row being ended (`line` as `row` is called)
  // The row in buffer[start, end) (its line end included, if any) ending on line `last`; false when the file is not for this path.
  const row = (start: number, end: number, last: number): boolean => {
    let stop = end;
    if (stop > start && buffer[stop - 1] === LF) stop--;
    if (stop > start && buffer[stop - 1] === CR) stop--;
    if (stop === start) {
      // An empty line, which csv-parse and DuckDB both skip: kept, so the copy's lines are the source's (the line
      // readCsvRows names in an error of the copy is the source's).
      emptyLines(1);
      return true;
    }
    if (header || first) {
      const values = parseRow(buffer.subarray(start, stop), csv);
      if (values === undefined) return false;
      if (header) {
        header = false;
        columns = csv.columnNames ?? values.map((name, i) => (name === null || name === '' ? positionalName(i) : name));
        counted = values.length;
        // The header's lines, as empty ones.
        emptyLines(last - before);
        return true;
      }
      first = false;
      // DuckDB reads exactly the columns' count of values; where the first row has another, the record path's own
      // reading (values left NULL, or its error) is the one to follow.
      if ((counted !== undefined && values.length !== counted) || (columns !== undefined && values.length !== columns.length)) return false;
      columns ??= values.map((_, i) => positionalName(i));
    }
    room(end - start + 32);
    // The line's digits, counted up from the row before's (most rows are one line on from it).
    for (; counter < last; counter++) {
      let i = 23;
      while (digits[i] === 57) digits[i--] = 48;
      digits[i] = (digits[i] as number) + 1;
      if (i < first10) first10 = i;
    }
    for (let i = first10; i < 24; i++) out[o++] = digits[i] as number;
    out[o++] = delimiter;
    out.set(buffer.subarray(start, end), o);
    o += end - start;
    if (buffer[end - 1] !== LF) {
      // The last row: the file's line end, so the copy's are all alike (csv-parse reads it back).
      if (crlf) out[o++] = CR;
      out[o++] = LF;
    }
    rows++;
    return true;
  };
  for await (const chunk of input) {
    let bytes = chunk;
    if (bom) {
      bom = false;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    if (buffer.length < carry + bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(carry + bytes.length, buffer.length * 2));
      buffer.copy(grown, 0, 0, carry);
      buffer = grown;
    }
    buffer.set(bytes, carry);
    const end = carry + bytes.length;
    // The row read so far starts at 0 (its quotes and lines are counted again).
    let start = 0;
    let lines = line;
    let quotes = 0;
    let q = buffer.indexOf(quote, 0);
    for (let lf = buffer.indexOf(LF, 0); lf !== -1 && lf < end; lf = buffer.indexOf(LF, lf + 1)) {
      for (; q !== -1 && q < lf; q = buffer.indexOf(quote, q + 1)) {
        if (!quoteFits(buffer, q, start, quotes, quote, delimiter)) return undefined;
        quotes++;
      }
      // csv-parse takes the file's first line end as its record delimiter (LF or CRLF); mixed ones are not for this path.
      const pair = lf > 0 && buffer[lf - 1] === CR;
      crlf ??= pair;
      if (pair !== crlf) return undefined;
      const quoted = (quotes & 1) === 1;
      // csv-parse counts a CR and an LF inside a quoted value as two lines, a CRLF ending a row as one.
      lines += crlf && quoted ? 2 : 1;
      if (skip > 0) {
        // csv-parse skips raw lines: a quote among them could end a value elsewhere than DuckDB would.
        if (quotes > 0) return undefined;
        skip--;
        emptyLines(1);
      } else if (quoted)
        continue; // a line end inside a quoted value
      else {
        before = line;
        if (!row(start, lf + 1, lines)) return undefined;
      }
      quotes = 0;
      start = lf + 1;
      line = lines;
    }
    // A CR only as the first byte of a CRLF file's line ends (csv-parse counts any other as a line of its own).
    for (let cr = buffer.indexOf(CR, 0); cr !== -1 && cr < start; cr = buffer.indexOf(CR, cr + 1))
      if (!crlf || buffer[cr + 1] !== LF) return undefined;
    buffer.copy(buffer, 0, start, end);
    carry = end - start;
    if (o >= 1 << 20) await flush();
  }
  if (carry > 0) {
    // The last line, without a line end.
    const tail = buffer.subarray(0, carry);
    let quotes = 0;
    for (let q = tail.indexOf(quote, 0); q !== -1; q = tail.indexOf(quote, q + 1)) {
      if (!quoteFits(tail, q, 0, quotes, quote, delimiter)) return undefined;
      quotes++;
    }
    if ((quotes & 1) === 1 || skip > 0) return undefined;
    for (let cr = tail.indexOf(CR, 0); cr !== -1; cr = tail.indexOf(CR, cr + 1)) if (!crlf || tail[cr + 1] !== LF) return undefined;
    let lines = line + 1;
    for (let lf = tail.indexOf(LF, 0); lf !== -1; lf = tail.indexOf(LF, lf + 1)) {
      const pair = lf > 0 && tail[lf - 1] === CR;
      crlf ??= pair;
      if (pair !== crlf) return undefined;
      lines += crlf ? 2 : 1;
    }
    before = line;
    if (!row(0, carry, lines)) return undefined;
  }
  if (o > 0) await flush();
  await writing;
  return columns === undefined ? { rows: 0, columns: [] } : { rows, columns };
}

/**
 * Whether the quote at `q` (after `before` quotes of the row starting at `start`) is where csv-parse takes one: an
 * opening quote at a value's start (or the second of a doubled one), a closing quote before a delimiter, a line end,
 * the end of the file or the quote doubling it. DuckDB reads a quote inside an unquoted value (`x"y`) as text where
 * csv-parse refuses the file, and such a quote would also shift the count that finds the rows' ends.
 */
function quoteFits(bytes: Buffer, q: number, start: number, before: number, quote: number, delimiter: number): boolean {
  if ((before & 1) === 0) return q === start || bytes[q - 1] === delimiter || bytes[q - 1] === quote;
  const next = bytes[q + 1];
  return next === undefined || next === delimiter || next === quote || next === LF || next === CR;
}

/** One CSV row's values as readCsvRows reads them (null for an unquoted null value); undefined when csv-parse refuses it. */
function parseRow(bytes: Buffer, csv: CsvReadOptions): (string | null)[] | undefined {
  const nulls = new Set(csv.nullValues);
  try {
    const [values] = parse(bytes.toString('utf8'), {
      delimiter: csv.delimiter,
      quote: csv.quote,
      escape: csv.escape,
      cast: (value: string, context: { quoting: boolean }) => (!context.quoting && nulls.has(value) ? null : value),
    }) as (string | null)[][];
    return values;
  } catch {
    return undefined;
  }
}

/** The view's field for a record field read from column `column` of a CSV, or null when only the record path converts it. */
export function csvViewField(name: string, column: number, schema: JsonSchema): CsvBatchViewField | null {
  const kind = textKind(schema);
  if (kind === null) return null;
  return kind === undefined ? { name, column } : { name, column, kind };
}

/**
 * The records of a CSV file as a `csv-view`: the numbered copy's view, or undefined when the file goes another way
 * (a field only the record path converts). `fields` are the selected fields in order; a column of the file wins over
 * a partition of the same name; the metadata fields are the key, the line and the time.
 */
export function csvView(input: {
  csv: CsvReadOptions;
  key: string;
  modified: string;
  columns: readonly string[];
  partitions: Record<string, string>;
  properties: Record<string, JsonSchema>;
  fields: readonly string[];
}): CsvBatchView | undefined {
  const index = new Map(input.columns.map((name, i) => [name, i])); // a repeated name: the last column wins, as in records
  const fields: CsvBatchViewField[] = [];
  for (const name of input.fields) {
    if (name === SOURCE_FILE) fields.push({ name, text: input.key });
    else if (name === SOURCE_LAST_MODIFIED) fields.push({ name, text: input.modified });
    else if (name === SOURCE_LINENO) fields.push({ name, line: true });
    else if (index.has(name)) {
      const field = csvViewField(name, index.get(name) as number, input.properties[name] ?? {});
      if (field === null) return undefined;
      fields.push(field);
    } else if (Object.hasOwn(input.partitions, name)) fields.push({ name, text: input.partitions[name] as string });
  }
  const { csv } = input;
  return {
    csv: { delimiter: csv.delimiter, quote: csv.quote, escape: csv.escape, nullValues: [...csv.nullValues] },
    file: input.key,
    columns: [...input.columns],
    fields,
  };
}

const KINDS = new Set<TextKind>(['integer', 'number', 'boolean']);
const LINE = '__line';

function invalid(stream: string, why: string): ProtocolError {
  return new ProtocolError('BATCH_VIEW_INVALID', `the view of a csv-view BATCH ${why}`, {
    stream,
    hint: 'a csv-view view is {csv: {delimiter, quote, escape, nullValues}, file, columns, fields}; a field is {name, column, kind?}, {name, text} or {name, line: true}',
  });
}

/** The view checked field by field (it comes in a message): names, indexes, kinds and one-character read options. */
function checkedView(view: unknown, stream: string): CsvBatchView {
  const v = view as Partial<CsvBatchView> | undefined;
  const csv = v?.csv as Partial<CsvBatchView['csv']> | undefined;
  const char = (c: unknown) => typeof c === 'string' && c.length === 1;
  if (!csv || !char(csv.delimiter) || !char(csv.quote) || !char(csv.escape))
    throw invalid(stream, 'has no one-character delimiter, quote and escape');
  if (!Array.isArray(csv.nullValues) || !csv.nullValues.every((n) => typeof n === 'string'))
    throw invalid(stream, 'has no nullValues list');
  if (typeof v?.file !== 'string') throw invalid(stream, 'names no file');
  const columns = v.columns;
  if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => typeof c === 'string'))
    throw invalid(stream, 'has no columns');
  const fields = v.fields;
  if (!Array.isArray(fields) || fields.length === 0) throw invalid(stream, 'has no fields');
  for (const field of fields as Partial<Record<'name' | 'column' | 'kind' | 'text' | 'line', unknown>>[]) {
    if (typeof field?.name !== 'string' || field.name === '') throw invalid(stream, `names a field ${JSON.stringify(field?.name)}`);
    if (typeof field.text === 'string' || field.line === true) continue;
    if (!Number.isInteger(field.column) || (field.column as number) < 0 || (field.column as number) >= columns.length)
      throw invalid(stream, `field "${field.name}" has no column of the file`);
    if (field.kind !== undefined && !KINDS.has(field.kind as TextKind))
      throw invalid(stream, `field "${field.name}" has kind ${JSON.stringify(field.kind)}`);
  }
  return v as CsvBatchView;
}

/**
 * The records of `csv-view` BATCH files as one DuckDB relation (a parenthesized SELECT): every file read by DuckDB's
 * CSV reader on its threads, each field converted by RecordShaper's rules in SQL. Built from the view's structure
 * only (quoted names, literals, a closed set of conversions); throws ProtocolError BATCH_VIEW_INVALID on a view
 * that is not one. Nothing in it needs the rows in order: an INSERT of it may run with `preserve_insertion_order` off.
 */
export function csvViewRelation(view: unknown, paths: readonly string[], stream: string): string {
  const { csv, columns, fields } = checkedView(view, stream);
  const types = [`'${LINE}': 'BIGINT'`, ...columns.map((_, i) => `'c${i}': 'VARCHAR'`)].join(', ');
  const reader = `read_csv([${paths.map(sqlString).join(', ')}], header = false, skip = 0, columns = {${types}}, delim = ${sqlString(csv.delimiter)}, quote = ${sqlString(csv.quote)}, escape = ${sqlString(csv.escape)}, nullstr = [${csv.nullValues.map(sqlString).join(', ')}], force_not_null = ['${LINE}'], allow_quoted_nulls = false, hive_partitioning = false, auto_detect = false, ${CSV_LINE_OPTIONS}, compression = 'none')`;
  const helpers: string[] = [];
  const select: string[] = [];
  const seen = new Set<string>();
  for (const field of fields) {
    const as = sqlName(field.name);
    if ('text' in field) select.push(`${sqlString(field.text)} AS ${as}`);
    else if ('line' in field) select.push(`${LINE} AS ${as}`);
    else {
      const c = `c${field.column}`;
      if (field.kind === undefined) select.push(`${c} AS ${as}`);
      else {
        const conversion = kindConversion(c, field.kind);
        // Two fields of one column share its helpers.
        if (!seen.has(`${c}:${field.kind}`)) helpers.push(...conversion.helpers);
        seen.add(`${c}:${field.kind}`);
        select.push(`${conversion.value} AS ${as}`);
      }
    }
  }
  const from = helpers.length > 0 ? `(SELECT *, ${helpers.join(', ')} FROM ${reader})` : reader;
  return `(SELECT ${select.join(', ')} FROM ${from})`;
}

/**
 * The records of one `csv-view` BATCH file, read the way the source's record path reads its CSV (readCsvRows, then
 * RecordShaper): exact decimals and integers past 2^53 kept, and a value that does not convert fails with
 * FileDataError naming the stream, the source's file (the view's `file`), the line and the field. For a destination
 * whose own reading of the file was refused.
 */
export async function* csvViewRecords(view: unknown, path: string, stream: string): AsyncGenerator<RecordData[]> {
  const { csv, columns, fields, file } = checkedView(view, stream);
  const names = [LINE, ...columns.map((_, i) => `c${i}`)];
  const properties: Record<string, JsonSchema> = {};
  for (const field of fields)
    if ('column' in field) properties[field.name] = field.kind ? { type: [field.kind, 'null'] } : { type: ['string', 'null'] };
  const shaper = new RecordShaper(properties, stream, new Set());
  const options: CsvReadOptions = { ...csv, header: false, columnNames: names, encoding: 'utf-8', skipRows: 0 };
  for await (const rows of readCsvRows(createReadStream(path, { highWaterMark: 1 << 20 }), options, file)) {
    const records: RecordData[] = [];
    for (const row of rows) {
      const line = Number(row.values[LINE]);
      const values: Record<string, unknown> = {};
      for (const field of fields) if ('column' in field) values[field.name] = row.values[`c${field.column}`];
      const record: RecordData = {};
      for (const field of fields) {
        if ('text' in field) record[field.name] = field.text;
        else if ('line' in field) record[field.name] = line;
      }
      shaper.shape(values, file, line, record);
      records.push(record);
    }
    yield records;
  }
}
