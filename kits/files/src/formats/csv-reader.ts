import { Readable } from 'node:stream';
import { parse, type CastingContext } from 'csv-parse';
import { FileDataError } from '../file-errors.js';
import { decodeText, ROWS_PER_BATCH, type RawRow } from './raw-row.js';

export interface CsvReadOptions {
  delimiter: string;
  quote: string;
  escape: string;
  /** The first row (after `skipRows`) holds the column names. */
  header: boolean;
  /** Column names to use: instead of the header's (which is then skipped), or for a file without one. */
  columnNames?: string[];
  /** Any encoding the WHATWG TextDecoder knows: utf-8, utf-16le, latin1, windows-1252, shift_jis… */
  encoding: string;
  /** Unquoted values read as NULL. A quoted value is always text: `""` is an empty string, an unquoted empty field is NULL. */
  nullValues: string[];
  /** Lines to skip before the header (or the first row). */
  skipRows: number;
}

export const DEFAULT_CSV: CsvReadOptions = {
  delimiter: ',',
  quote: '"',
  escape: '"',
  header: true,
  encoding: 'utf-8',
  nullValues: [''],
  skipRows: 0,
};

/** A column name for a file without a header: `column_1`, `column_2`… */
export function positionalName(index: number): string {
  return `column_${index + 1}`;
}

/**
 * The rows of a CSV file, streamed in batches: values are strings, or null for unquoted null values. `line` is
 * the line a row ends on (a quoted newline makes a row span lines).
 */
export async function* readCsvRows(input: AsyncIterable<Uint8Array>, options: CsvReadOptions, file: string): AsyncGenerator<RawRow[]> {
  const nulls = new Set(options.nullValues);
  const parser = parse({
    delimiter: options.delimiter,
    quote: options.quote,
    escape: options.escape,
    from_line: options.skipRows + 1,
    skip_empty_lines: true,
    info: true,
    cast: (value: string, context: CastingContext) => (!context.quoting && nulls.has(value) ? null : value),
  });
  const text = Readable.from(decodeText(input, options.encoding));
  text.on('error', (error) => parser.destroy(error));
  text.pipe(parser);
  let names = options.header ? undefined : options.columnNames;
  let skipHeader = options.header;
  let batch: RawRow[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: (string | null)[]; info: { lines: number } }>) {
      if (skipHeader) {
        skipHeader = false;
        names = options.columnNames ?? record.map((name, i) => (name === null || name === '' ? positionalName(i) : name));
        continue;
      }
      names ??= record.map((_, i) => positionalName(i));
      if (record.length > names.length) {
        throw new FileDataError(
          'CSV_EXTRA_COLUMNS',
          `a row has ${record.length} values but the file has ${names.length} columns`,
          { file, line: info.lines },
          {
            hint: 'check the delimiter and quote settings, or give `column_names` for every column',
          },
        );
      }
      const values: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) values[names[i] as string] = record[i] ?? null;
      batch.push({ values, line: info.lines });
      if (batch.length >= ROWS_PER_BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } catch (error) {
    if (error instanceof FileDataError) throw error;
    const e = error as Error & { lines?: number; code?: string };
    if (e instanceof TypeError && /encoded data|decode/i.test(e.message)) {
      throw new FileDataError(
        'FILE_ENCODING',
        `the file is not valid ${options.encoding}`,
        { file },
        { hint: "set `encoding` to the file's encoding (latin1, windows-1252, utf-16le…)", cause: error },
      );
    }
    throw new FileDataError(
      'CSV_MALFORMED',
      e.message,
      { file, ...(e.lines === undefined ? {} : { line: e.lines }) },
      { hint: 'check `delimiter`, `quote` and `escape`', cause: error },
    );
  } finally {
    text.destroy();
  }
}
